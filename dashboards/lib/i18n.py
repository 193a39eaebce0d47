"""Vietnamese by default, English on request; Vietnamese number and date formats in Vietnamese."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

_TEXT: dict[str, dict[str, str]] = {
    "app_title": {"vi": "Kho dữ liệu cải cách hành chính", "en": "Administrative reform warehouse"},
    "page_kpis": {"vi": "Chỉ số theo tỉnh", "en": "KPIs by province"},
    "language": {"vi": "Ngôn ngữ", "en": "Language"},
    "period": {"vi": "Kỳ báo cáo", "en": "Reporting period"},
    "data_as_of": {"vi": "Số liệu cập nhật đến", "en": "Data as of"},
    "no_data": {"vi": "Chưa có số liệu", "en": "No data"},
    "no_serving_db": {
        "vi": "Chưa có cơ sở dữ liệu phục vụ. Hãy chạy `make pipeline`.",
        "en": "No serving database yet. Run `make pipeline`.",
    },
    "province": {"vi": "Tỉnh, thành phố", "en": "Province"},
    "numerator": {"vi": "Tử số", "en": "Numerator"},
    "denominator": {"vi": "Mẫu số", "en": "Denominator"},
    "value_pct": {"vi": "Tỷ lệ (%)", "en": "Rate (%)"},
    "grain_month": {"vi": "Tháng", "en": "Month"},
    "grain_quarter": {"vi": "Quý", "en": "Quarter"},
    "grain_half_year": {"vi": "6 tháng", "en": "Half year"},
    "grain_year": {"vi": "Năm", "en": "Year"},
    "grain_range": {"vi": "Khoảng thời gian", "en": "Date range"},
}


def language() -> str:
    lang = st.query_params.get("lang", "vi")
    return lang if lang in LANGUAGES else "vi"


def t(key: str) -> str:
    return _TEXT[key][language()]


def fmt_number(value: float | int | None, decimals: int = 0) -> str:
    """1.234.567,8 in Vietnamese, 1,234,567.8 in English; '—' for no data."""
    if value is None or value != value:
        return "—"
    text = f"{value:,.{decimals}f}"
    if language() == "vi":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


def fmt_pct(value: float | None, decimals: int = 2) -> str:
    return "—" if value is None or value != value else f"{fmt_number(value, decimals)} %"


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return (
            value.strftime("%d/%m/%Y %H:%M")
            if language() == "vi"
            else value.strftime("%Y-%m-%d %H:%M")
        )
    return value.strftime("%d/%m/%Y") if language() == "vi" else value.isoformat()


def fmt_period(grain: str, start: date, end: date) -> str:
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
