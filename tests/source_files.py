"""Small, clean row-level source files for ingestion tests (independent of the generator)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

DOSSIER_HEADER = [
    "dossier_id", "province_code", "province_name", "agency_code", "agency_name", "agency_level",
    "commune_code", "procedure_code", "procedure_field", "channel", "online_level",
    "received_at", "due_at", "resolved_at", "status_at", "status", "dossier_digitized",
    "result_digitized", "e_result_issued", "data_reused", "fee_required", "paid_online",
    "fee_amount_vnd",
]  # fmt: skip

# Hòa Bình (legacy 17) in March 2024: a province department, a district and a commune.
DOSSIER_ROWS: list[dict[str, str]] = [
    {
        "dossier_id": f"17.2403.{n:06d}",
        "province_code": "17",
        "province_name": "Tỉnh Hòa Bình",
        "agency_code": code,
        "agency_name": name,
        "agency_level": level,
        "commune_code": commune,
        "procedure_code": "1.001234",
        "procedure_field": "Hộ tịch",
        "channel": channel,
        "online_level": online,
        "received_at": f"2024-03-{n + 1:02d} 08:00:00",
        "due_at": f"2024-03-{n + 5:02d} 17:00:00",
        "resolved_at": f"2024-03-{n + 3:02d} 10:00:00" if status == "resolved" else "",
        # a returned dossier closes on its status date (no result, so no resolved_at)
        "status_at": f"2024-03-{n + 2:02d} 09:00:00" if status == "returned" else "",
        "status": status,
        "dossier_digitized": "true",
        "result_digitized": "false",
        "e_result_issued": "true",
        "data_reused": "false",
        "fee_required": "true",
        "paid_online": "true" if channel == "online" else "false",
        "fee_amount_vnd": "50000",
    }
    for n, (code, name, level, commune, channel, online, status) in enumerate(
        [
            ("17.S01", "Sở Tư pháp", "province", "", "online", "full", "resolved"),
            ("17.H150", "UBND huyện Đà Bắc", "district", "", "direct", "none", "resolved"),
            ("17.X04942", "UBND xã Lâm Sơn", "commune", "04942", "online", "partial", "processing"),
            ("17.S01", "Sở Tư pháp", "province", "", "postal", "none", "returned"),
        ],
        start=1,
    )
]

PAYMENT_ROWS: list[dict[str, str]] = [
    {
        "transaction_id": f"TT17.2403.{n:06d}-1",
        "dossier_id": f"17.2403.{n:06d}",
        "province_code": "17",
        "amount_vnd": "50000",
        "channel": channel,
        "status": status,
        "paid_at": f"2024-03-{n + 1:02d} 09:00:00",
    }
    for n, (channel, status) in enumerate(
        [("online", "success"), ("offline", "success"), ("online", "failed")], start=1
    )
]

PROCEDURE_ROWS: list[dict[str, str]] = [
    {
        "province_code": "17",
        "procedure_code": code,
        "procedure_name": name,
        "procedure_field": field,
        "authority_level": level,
        "online_capability": capability,
        "fee_required": fee,
        "online_payment_enabled": paid_online,
        "national_portal_integrated": "true",
    }
    for code, name, field, level, capability, fee, paid_online in [
        ("1.001234", "Đăng ký khai sinh", "Hộ tịch", "commune", "full", "false", "false"),
        ("1.000459", "Cấp giấy phép lao động", "Việc làm", "province", "partial", "true", "true"),
        ("2.000815", "Chứng thực bản sao", "Chứng thực", "district", "none", "true", "false"),
    ]
]

SATISFACTION_ROWS: list[dict[str, str]] = [
    {
        "province_code": "17",
        "agency_code": code,
        "agency_name": name,
        "procedure_field": field,
        "period_start": "2024-03-01",
        "responses": responses,
        "satisfied_responses": satisfied,
    }
    for code, name, field, responses, satisfied in [
        ("17.S01", "Sở Tư pháp", "Hộ tịch", "120", "118"),
        ("17.H150", "UBND huyện Đà Bắc", "Đất đai", "1.250", "1.100"),
    ]
]

# The same survey one row per response (Sở Tư pháp, Hộ tịch, March 2024): 3 of 4 satisfied.
SATISFACTION_RESPONSE_ROWS: list[dict[str, str]] = [
    {
        "response_id": f"DG17.2403.{n:04d}",
        "province_code": "17",
        "dossier_id": f"17.2403.{n:06d}",
        "agency_code": "17.S01",
        "agency_name": "Sở Tư pháp",
        "procedure_field": "Hộ tịch",
        "rated_at": f"2024-03-{n + 10:02d} 15:30:00",
        "score": score,
    }
    for n, score in enumerate(["5", "4", "2", "5"], start=1)
]

# Real rows of shared/domain/reference/published_766_2026-10-10.csv (the portal, 2026 year to date).
PUBLISHED_INDEX_ROWS: list[dict[str, str]] = [
    dict(zip(
        ["published_rank", "province_name", "dvcqg_code", "total", "ckmb", "tdgq", "clgq", "mdsh",
         "mdhl", "tttt"],
        row.split(","),
        strict=True,
    ))
    for row in [
        "1,Đồng Tháp,H20,68.80,11.46,17.69,8.84,9.72,14.67,6.42",
        "2,Đồng Nai,H19,67.48,12.31,16.14,9.25,10.03,12.32,7.43",
        "3,Hải Phòng,H24,67.18,11.08,17.77,9.14,10.69,11.56,6.94",
    ]
]  # fmt: skip

# Real rows of shared/domain/reference/papi_2021_2024.csv (PAPI 2024, points of 80).
GOVERNANCE_INDEX_ROWS: list[dict[str, str]] = [
    {"index_code": "PAPI", "year": "2024", "province_name": name, "score": score,
     "published_rank": rank, "change": "", "group_label": ""}
    for name, score, rank in [
        ("Quảng Ninh", "47.8210", "1"), ("Tây Ninh", "47.0990", "2"), ("Bình Thuận", "46.5766", "3")
    ]
]  # fmt: skip

CLEAN_ROWS = {
    "dossiers": DOSSIER_ROWS,
    "payments": PAYMENT_ROWS,
    "procedures": PROCEDURE_ROWS,
    "satisfaction": SATISFACTION_ROWS,
    "satisfaction_responses": SATISFACTION_RESPONSE_ROWS,
    "published_index": PUBLISHED_INDEX_ROWS,
    "governance_indices": GOVERNANCE_INDEX_ROWS,
}
CLEAN_FILE_NAMES = {
    "dossiers": "17_hoa_binh_2024-03.csv",
    "payments": "17_hoa_binh_2024-03.csv",
    "procedures": "procedures_2024-03-01.csv",
    "satisfaction": "satisfaction_2024-03.csv",
    "satisfaction_responses": "danh_gia_2024-03.csv",
    "published_index": "published_766_2026-ytd_2026-10-10T06-00.csv",
    "governance_indices": "papi_2024.csv",
}


def clean_rows(source: str) -> list[dict[str, str]]:
    return [dict(row) for row in CLEAN_ROWS[source]]


def csv_bytes(
    rows: list[dict[str, str]],
    header: list[str] | None = None,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    names = list(rows[0]) if rows else (header or [])
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header or names)
    writer.writerows([row.get(name, "") for name in names] for row in rows)
    return buffer.getvalue().encode(encoding)


def write_source_csv(
    path: Path, rows: list[dict[str, str]], header: list[str] | None = None, **options
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(rows, header, **options))
    return path


def loaded_state(con: duckdb.DuckDBPyConnection, source: str) -> tuple[list[tuple], ...]:
    """What a load of ``source`` left, to compare two ways of loading the same files: its lake
    rows (without the load's id and time), its audit rows and its quarantine, each sorted."""
    lake = con.execute(
        f"select * exclude (load_id, loaded_at) from raw.{source} "
        "order by source_file, source_row_number"
    ).fetchall()
    loads = con.execute(
        "select file_name, outcome, rows_in, rows_loaded, rows_quarantined, period_start, message "
        "from audit.loads order by load_seq"
    ).fetchall()
    quarantine = con.execute(
        "select file_name, row_number, rule, message, original_values::varchar "
        "from audit.quarantine order by all"
    ).fetchall()
    return lake, loads, quarantine
