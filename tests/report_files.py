"""Write portal reports in the layouts provinces use, for tests (independent of the generator)."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import xlsxwriter

# Hòa Bình, Q1/2023, whole province (seed 001): split over agencies so the sums are exact.
HOA_BINH_Q1_2023_AGENCIES: list[tuple[str, str, list[int]]] = [
    # level section, agency, [carried, online, direct_postal, early, on_time, late, within, overdue]
    ("I. Cấp tỉnh", "Sở Tư pháp", [1_070, 12_901, 453, 10_192, 3_139, 86, 998, 9]),
    (
        "I. Cấp tỉnh",
        "Sở Tài nguyên và Môi trường",
        [4_000, 20_000, 1_000, 14_000, 6_000, 50, 4_940, 10],
    ),
    ("II. Cấp huyện", "UBND huyện Lạc Sơn", [3_000, 25_000, 1_500, 20_000, 6_000, 30, 3_470, 0]),
    ("III. Cấp xã", "UBND xã Hợp Thịnh", [3_000, 15_000, 1_500, 15_000, 4_000, 20, 480, 0]),
]
HOA_BINH_TOTALS = {
    "carried_over": 11_070,
    "received_online": 72_901,
    "received_direct_postal": 4_453,
    "resolved_early": 59_192,
    "resolved_on_time": 19_139,
    "resolved_late": 186,
    "in_progress_within_due": 9_888,
    "in_progress_overdue": 19,
}


def vn_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _official_layout(agencies, title_province: str, title_period: str, number=vn_number):
    """Biểu 06 layout: 3 header rows (group, 'Tổng số'/'Trong đó', leaf), sections, total row."""
    rows: list[list[str]] = [
        [f"UBND {title_province.upper()}", "", "", "", "", "", "", "", "", "", "", "", "", ""],
        ["BÁO CÁO TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ TTHC"],
        [title_period],
        [
            "STT",
            "Đơn vị",
            "Tiếp nhận",
            "",
            "",
            "",
            "Đã giải quyết",
            "",
            "",
            "",
            "Đang giải quyết",
            "",
            "",
            "Trả lại/Rút hồ sơ",
        ],
        [
            "",
            "",
            "Tổng số",
            "Trong đó",
            "",
            "",
            "Tổng số",
            "Trước hạn",
            "Đúng hạn",
            "Quá hạn",
            "Tổng số",
            "Trong hạn",
            "Quá hạn",
            "",
        ],
        [
            "",
            "",
            "",
            "Kỳ trước chuyển sang",
            "Trực tuyến",
            "Trực tiếp, bưu chính",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "(1)",
            "(2)",
            "(3)",
            "(4)",
            "(5)",
            "(6)",
            "(7)",
            "(8)",
            "(9)",
            "(10)",
            "(11)",
            "(12)",
            "(13)",
            "(14)",
        ],
    ]
    totals = [0] * 8
    section = None
    for stt, (sec, agency, c) in enumerate(agencies, start=1):
        if sec != section:
            rows.append([sec.split(".")[0], sec])
            section = sec
        totals = [a + b for a, b in zip(totals, c, strict=True)]
        rows.append(_agency_row(str(stt), agency, c, number))
    rows.append(_agency_row("", "Tổng cộng", totals, number))
    return rows


def _agency_row(stt: str, agency: str, c: list[int], number) -> list[str]:
    carried, online, direct, early, on_time, late, within, overdue = c
    return [
        stt,
        agency,
        number(carried + online + direct),
        number(carried),
        number(online),
        number(direct),
        number(early + on_time + late),
        number(early),
        number(on_time),
        number(late),
        number(within + overdue),
        number(within),
        number(overdue),
        number(0),
    ]


_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tones combining."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        vowel = unicodedata.normalize(
            "NFC", base + "".join(m for m in marks if m not in _TONE_MARKS)
        )
        out += vowel.encode("cp1258") + "".join(m for m in marks if m in _TONE_MARKS).encode(
            "cp1258"
        )
    return bytes(out)


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    text = buffer.getvalue()
    path.write_bytes(encode_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    return path


def write_xlsx(
    path: Path, rows: list[list[str]], merge_header: bool = True, extra_sheet: bool = False
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Bieu 06")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value == "":
                continue
            digits = value.replace(".", "")
            if digits.isdigit() and r > 6:
                sheet.write_number(r, c, int(digits))
            else:
                sheet.write_string(r, c, value)
    if merge_header:
        sheet.merge_range(3, 2, 3, 5, "Tiếp nhận")
        sheet.merge_range(3, 6, 3, 9, "Đã giải quyết")
        sheet.merge_range(3, 10, 3, 12, "Đang giải quyết")
        sheet.merge_range(4, 3, 4, 5, "Trong đó")
    if extra_sheet:
        workbook.add_worksheet("Ghi chú").write_string(0, 0, "Số liệu tạm tính")
    workbook.close()
    return path


def hoa_binh_q1_2023_rows(title_province: str = "Tỉnh Hòa Bình") -> list[list[str]]:
    return _official_layout(HOA_BINH_Q1_2023_AGENCIES, title_province, "Quý I/2023")
