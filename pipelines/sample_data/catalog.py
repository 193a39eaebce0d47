"""Departments and procedures (thủ tục hành chính) the generator draws dossiers from.

Names and fields (lĩnh vực) follow the national procedure database; the procedure codes have the
national form (`1.001234`, `2.000123`) but are synthetic: they are not looked up in the real
database, so do not join them to it. Fees are the usual statutory amounts, rounded.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVINCE = "province"
DISTRICT = "district"
COMMUNE = "commune"

FULL = "full"
PARTIAL = "partial"
NONE = "none"


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    field: str
    legacy_level: str  # authority level before 2025-07-01
    legacy_department: str | None  # who handles it at province level, legacy era
    current_department: str | None  # after the 2025 department mergers
    max_capability: str  # best online service level a province may reach (full|partial|none)
    fee_vnd: int  # 0: no fee or charge
    statutory_days: int  # 0: same day
    volume_weight: float

    @property
    def current_level(self) -> str:
        # The district level was abolished on 2025-07-01; its procedures went to the communes.
        return COMMUNE if self.legacy_level == DISTRICT else self.legacy_level

    def level_in(self, era: str) -> str:
        return self.legacy_level if era == "legacy" else self.current_level

    def department_in(self, era: str) -> str | None:
        return self.legacy_department if era == "legacy" else self.current_department

    @property
    def fee_required(self) -> bool:
        return self.fee_vnd > 0


@dataclass(frozen=True)
class Department:
    name: str
    volume_weight: float


# Legacy era: the departments as they stood before the March 2025 mergers. The generator keeps
# them for the whole legacy era (to 30 June 2025), a simplification documented in docs.
_TP = "Sở Tư pháp"
_KHDT = "Sở Kế hoạch và Đầu tư"
_TNMT = "Sở Tài nguyên và Môi trường"
_XD = "Sở Xây dựng"
_GTVT = "Sở Giao thông vận tải"
_CT = "Sở Công Thương"
_NN = "Sở Nông nghiệp và Phát triển nông thôn"
_LD = "Sở Lao động - Thương binh và Xã hội"
_YT = "Sở Y tế"
_GD = "Sở Giáo dục và Đào tạo"
_VH = "Sở Văn hóa, Thể thao và Du lịch"
_TC = "Sở Tài chính"
_NV = "Sở Nội vụ"
_TT = "Sở Thông tin và Truyền thông"
_KH = "Sở Khoa học và Công nghệ"
_BQL = "Ban Quản lý các khu công nghiệp"
# Current era: after the mergers (KH&ĐT into Tài chính, TN&MT with NN&PTNT, GTVT into Xây dựng,
# LĐ-TB&XH into Nội vụ and Y tế, TT&TT into Khoa học và Công nghệ, a new Dân tộc và Tôn giáo).
_NNMT = "Sở Nông nghiệp và Môi trường"
_DTTG = "Sở Dân tộc và Tôn giáo"

# One line per procedure reads as a table; the formatter would explode it.
# fmt: off
PROCEDURES: tuple[Procedure, ...] = (
    # --- province level (departments)
    Procedure("2.000488", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam", "Lý lịch tư pháp", PROVINCE, _TP, _TP, FULL, 200_000, 10, 6.0),  # noqa: E501
    Procedure("2.000789", "Đăng ký hành nghề và cấp Thẻ công chứng viên", "Công chứng", PROVINCE, _TP, _TP, PARTIAL, 0, 10, 0.3),  # noqa: E501
    Procedure("2.001610", "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên", "Thành lập và hoạt động doanh nghiệp", PROVINCE, _KHDT, _TC, FULL, 50_000, 3, 3.0),  # noqa: E501
    Procedure("2.002053", "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "Thành lập và hoạt động doanh nghiệp", PROVINCE, _KHDT, _TC, FULL, 50_000, 3, 4.0),  # noqa: E501
    Procedure("1.009645", "Chấp thuận chủ trương đầu tư của Ủy ban nhân dân cấp tỉnh", "Đầu tư tại Việt Nam", PROVINCE, _KHDT, _TC, PARTIAL, 0, 35, 0.3),  # noqa: E501
    Procedure("1.009650", "Cấp Giấy chứng nhận đăng ký đầu tư đối với dự án không thuộc diện chấp thuận chủ trương đầu tư", "Đầu tư tại Việt Nam", PROVINCE, _BQL, _BQL, PARTIAL, 0, 15, 0.4),  # noqa: E501
    Procedure("1.012787", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất của tổ chức", "Đất đai", PROVINCE, _TNMT, _NNMT, PARTIAL, 100_000, 10, 2.5),  # noqa: E501
    Procedure("1.010727", "Cấp giấy phép môi trường", "Môi trường", PROVINCE, _TNMT, _NNMT, PARTIAL, 0, 30, 0.3),  # noqa: E501
    Procedure("1.004228", "Cấp giấy phép khai thác, sử dụng nước mặt", "Tài nguyên nước", PROVINCE, _TNMT, _NNMT, PARTIAL, 0, 30, 0.1),  # noqa: E501
    Procedure("1.009972", "Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II", "Hoạt động xây dựng", PROVINCE, _XD, _XD, PARTIAL, 150_000, 20, 0.5),  # noqa: E501
    Procedure("1.009982", "Cấp chứng chỉ hành nghề hoạt động xây dựng", "Hoạt động xây dựng", PROVINCE, _XD, _XD, FULL, 300_000, 20, 0.6),  # noqa: E501
    Procedure("1.002804", "Cấp đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "Đường bộ", PROVINCE, _GTVT, _XD, FULL, 135_000, 5, 7.0),  # noqa: E501
    Procedure("1.002861", "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô", "Đường bộ", PROVINCE, _GTVT, _XD, FULL, 200_000, 5, 0.6),  # noqa: E501
    Procedure("2.000620", "Cấp Giấy phép bán lẻ sản phẩm rượu", "Lưu thông hàng hóa trong nước", PROVINCE, _CT, _CT, FULL, 1_200_000, 10, 0.3),  # noqa: E501
    Procedure("2.000591", "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "An toàn thực phẩm", PROVINCE, _CT, _CT, PARTIAL, 700_000, 20, 0.2),  # noqa: E501
    Procedure("1.003984", "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông, lâm, thủy sản", "Quản lý chất lượng nông lâm sản và thủy sản", PROVINCE, _NN, _NNMT, PARTIAL, 0, 15, 0.2),  # noqa: E501
    Procedure("1.008004", "Cấp Giấy chứng nhận cơ sở đủ điều kiện sản xuất phân bón", "Trồng trọt", PROVINCE, _NN, _NNMT, PARTIAL, 0, 20, 0.1),  # noqa: E501
    Procedure("1.000459", "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam", "Việc làm", PROVINCE, _LD, _NV, FULL, 600_000, 5, 0.5),  # noqa: E501
    Procedure("1.003057", "Giải quyết chế độ trợ cấp ưu đãi đối với thân nhân người có công", "Người có công", PROVINCE, _LD, _NV, PARTIAL, 0, 20, 0.3),  # noqa: E501
    Procedure("1.004530", "Cấp giấy phép hành nghề khám bệnh, chữa bệnh", "Khám bệnh, chữa bệnh", PROVINCE, _YT, _YT, PARTIAL, 360_000, 30, 0.3),  # noqa: E501
    Procedure("1.004614", "Cấp Giấy chứng nhận đủ điều kiện kinh doanh dược", "Dược phẩm", PROVINCE, _YT, _YT, PARTIAL, 0, 30, 0.2),  # noqa: E501
    Procedure("2.001914", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Văn bằng, chứng chỉ", PROVINCE, _GD, _GD, FULL, 0, 3, 0.6),  # noqa: E501
    Procedure("1.001432", "Cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", "Du lịch", PROVINCE, _VH, _VH, FULL, 3_000_000, 10, 0.1),  # noqa: E501
    Procedure("1.000775", "Thủ tục tặng Bằng khen của Chủ tịch Ủy ban nhân dân cấp tỉnh", "Thi đua, khen thưởng", PROVINCE, _NV, _NV, PARTIAL, 0, 20, 0.3),  # noqa: E501
    Procedure("1.001055", "Đăng ký hoạt động tín ngưỡng", "Tín ngưỡng, tôn giáo", PROVINCE, _NV, _DTTG, PARTIAL, 0, 15, 0.1),  # noqa: E501
    Procedure("1.003725", "Cấp giấy phép xuất bản bản tin", "Báo chí", PROVINCE, _TT, _KH, FULL, 0, 10, 0.05),  # noqa: E501
    Procedure("2.001265", "Đăng ký thực hiện chuyển giao công nghệ", "Hoạt động khoa học và công nghệ", PROVINCE, _KH, _KH, PARTIAL, 0, 15, 0.05),  # noqa: E501
    Procedure("1.005428", "Quyết định mua sắm tài sản công phục vụ hoạt động của cơ quan, tổ chức, đơn vị", "Quản lý công sản", PROVINCE, _TC, _TC, NONE, 0, 30, 0.1),  # noqa: E501
    # --- district level before 2025-07 (commune level after)
    Procedure("1.001695", "Đăng ký khai sinh có yếu tố nước ngoài", "Hộ tịch", DISTRICT, None, None, PARTIAL, 75_000, 15, 0.2),  # noqa: E501
    Procedure("2.000942", "Cấp bản sao có chứng thực từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của nước ngoài cấp", "Chứng thực", DISTRICT, None, None, PARTIAL, 10_000, 0, 1.5),  # noqa: E501
    Procedure("1.012756", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất của hộ gia đình, cá nhân", "Đất đai", DISTRICT, None, None, PARTIAL, 50_000, 10, 8.0),  # noqa: E501
    Procedure("1.012757", "Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất lần đầu", "Đất đai", DISTRICT, None, None, PARTIAL, 100_000, 30, 2.0),  # noqa: E501
    Procedure("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Hoạt động xây dựng", DISTRICT, None, None, PARTIAL, 75_000, 15, 2.0),  # noqa: E501
    Procedure("2.000720", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh", DISTRICT, None, None, FULL, 100_000, 3, 3.0),  # noqa: E501
    Procedure("1.001776", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng", "Bảo trợ xã hội", DISTRICT, None, None, PARTIAL, 0, 20, 1.5),  # noqa: E501
    Procedure("1.005098", "Chuyển trường đối với học sinh trung học cơ sở", "Giáo dục trung học", DISTRICT, None, None, FULL, 0, 3, 0.5),  # noqa: E501
    # --- commune level
    Procedure("1.001193", "Đăng ký khai sinh", "Hộ tịch", COMMUNE, None, None, FULL, 0, 1, 8.0),
    Procedure("1.000656", "Đăng ký khai tử", "Hộ tịch", COMMUNE, None, None, FULL, 0, 1, 3.0),
    Procedure("1.000894", "Đăng ký kết hôn", "Hộ tịch", COMMUNE, None, None, PARTIAL, 0, 5, 2.0),
    Procedure("2.000635", "Cấp bản sao trích lục hộ tịch", "Hộ tịch", COMMUNE, None, None, FULL, 8_000, 1, 3.0),  # noqa: E501
    Procedure("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân", "Hộ tịch", COMMUNE, None, None, FULL, 15_000, 3, 3.0),  # noqa: E501
    Procedure("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp", "Chứng thực", COMMUNE, None, None, PARTIAL, 6_000, 0, 12.0),  # noqa: E501
    Procedure("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "Chứng thực", COMMUNE, None, None, NONE, 10_000, 0, 3.0),  # noqa: E501
    Procedure("1.010831", "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ", "Người có công", COMMUNE, None, None, PARTIAL, 0, 10, 0.3),  # noqa: E501
    Procedure("1.003596", "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội", "Bảo trợ xã hội", COMMUNE, None, None, PARTIAL, 0, 5, 0.5),  # noqa: E501
)
# fmt: on

LEGACY_DEPARTMENTS: tuple[Department, ...] = tuple(
    Department(name, sum(p.volume_weight for p in PROCEDURES if p.legacy_department == name))
    for name in (
        _TP,
        _KHDT,
        _TNMT,
        _XD,
        _GTVT,
        _CT,
        _NN,
        _LD,
        _YT,
        _GD,
        _VH,
        _TC,
        _NV,
        _TT,
        _KH,
        _BQL,
    )
)
CURRENT_DEPARTMENTS: tuple[Department, ...] = tuple(
    Department(name, sum(p.volume_weight for p in PROCEDURES if p.current_department == name))
    for name in (_TP, _TC, _NNMT, _XD, _CT, _NV, _YT, _GD, _VH, _KH, _DTTG, _BQL)
)

# Fields whose satisfaction is tracked separately (satisfaction_rate_land_construction_investment).
LAND_CONSTRUCTION_INVESTMENT_FIELDS = frozenset(
    {"Đất đai", "Hoạt động xây dựng", "Đầu tư tại Việt Nam"}
)
