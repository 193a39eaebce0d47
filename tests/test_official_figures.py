"""The official-figures sources (published_index, governance_indices): hand-written files in each
accepted shape, every named rule breaking on the row written to break it, the rest loading."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.ingest import ingest_source

PORTAL_HEADER = "Xếp hạng;Tỉnh/thành phố;Mã tỉnh;Tổng điểm;CKMB;TDGQ;CLGQ;MDSH;MDHL;TTTT"
# Hand-written: Vietnamese decimal commas, semicolons, the orthographies a person types.
PORTAL_ROWS = [
    "1;Tỉnh Đồng Tháp;H20;68,80;11,46;17,69;8,84;9,72;14,67;6,42",  # line 2: loads
    "2;TP. Hồ Chí Minh;H29;63,43;8,00;17,88;9,68;10,25;10,34;7,28",  # line 3: loads
    "3;Cà Mau;H12;69,11;19,00;18,01;6,89;9,64;9,27;6,30",  # line 4: CKMB 19 > 18
    "4;Khánh Hoà;H32;61,00;14,00;16,88;6,89;9,60;7,80;6,49",  # line 5: groups add to 61.66
    "5;Tỉnh Bình Định;;60,00;10,00;16,00;8,00;10,00;10,00;6,00",  # line 6: not a 2026 province
    "6;Đồng Tháp;;68,80;11,46;17,69;8,84;9,72;14,67;6,42",  # line 7: Đồng Tháp again
]


def _load(tmp_path: Path, source: str, name: str, text: str) -> duckdb.DuckDBPyConnection:
    folder = tmp_path / source
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    con = duckdb.connect()
    lake = tmp_path / "lake"  # an in-memory warehouse has no data folder: its lake is given
    ingest_source(con, source, folder, load_id="test", gx_max_rows="all", lake_dir=lake)
    return con


def _quarantined(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return con.execute(
        "select row_number, rule from audit.quarantine order by row_number, rule"
    ).fetchall()


def test_portal_table_rules(tmp_path: Path) -> None:
    text = "\n".join([PORTAL_HEADER, *PORTAL_ROWS]) + "\n"
    con = _load(tmp_path, "published_index", "published_766_2026-ytd_2026-10-10T06-00.csv", text)
    assert _quarantined(con) == [
        (2, "unique_province_snapshot"),
        (4, "group_within_max"),
        (5, "total_is_sum_of_groups"),
        (6, "province_valid_for_period"),
        (7, "unique_province_snapshot"),
    ]
    loaded = con.execute(
        "select province_code, province_name, total, ckmb, snapshot_at::varchar, period_grain, "
        "period_start::varchar, period_end::varchar from raw.published_index"
    ).fetchall()
    # Hồ Chí Minh: 79 (current code); 63,43 read as 63.43; the name gives the period and read time.
    assert loaded == [
        (
            "79",
            "TP. Hồ Chí Minh",
            63.43,
            8.0,
            "2026-10-10 06:00:00",
            "year_to_date",
            "2026-01-01",
            "2026-10-10",
        )
    ]
    (message,) = con.execute(
        "select message from audit.quarantine where rule = 'province_valid_for_period'"
    ).fetchone()
    assert "Bình Định" in message and "row 6" in message


def test_portal_json_group_scores(tmp_path: Path) -> None:
    def province(code: str, name: str, groups: list[float]) -> dict[str, object]:
        codes = ["CKMB", "TDGQ", "CLGQ", "MDSH", "MDHL", "TTTT"]
        maxima = [18, 20, 12, 22, 18, 10]
        return {
            "code": code,
            "name": name,
            "total": round(sum(groups), 2),
            "groupScores": [
                {"code": c, "score": s, "maxScore": m}
                for c, s, m in zip(codes, groups, maxima, strict=True)
            ],
        }

    document = {
        "snapshotAt": "2026-04-02 07:30",
        "fromDate": "2026-01-01",
        "toDate": "2026-03-31",
        "periodGrain": "quarter",
        "data": [
            province("H26", "Thành phố Hà Nội", [11.2, 14.81, 9.23, 8.01, 7.29, 4.69]),
            province("H55", "Thái Nguyên", [8.1, 21.0, 8.82, 9.74, 11.84, 6.35]),  # TDGQ 21 > 20
        ],
    }
    con = _load(tmp_path, "published_index", "service-results.json", json.dumps(document))
    assert _quarantined(con) == [(2, "group_within_max")]
    assert con.execute(
        "select province_code, total, tdgq, period_grain, period_end::varchar, "
        "snapshot_at::varchar from raw.published_index"
    ).fetchall() == [("01", 55.23, 14.81, "quarter", "2026-03-31", "2026-04-02 07:30:00")]


def test_portal_json_unknown_group_rejects_file(tmp_path: Path) -> None:
    record = {"code": "H26", "name": "Hà Nội", "total": 5, "groupScores": [{"code": "XYZ"}]}
    con = _load(tmp_path, "published_index", "x_2026-ytd_2026-10-10.json", json.dumps([record]))
    (outcome, message) = con.execute("select outcome, message from audit.loads").fetchone()
    assert outcome == "rejected" and message.startswith("[group_codes_known]")
    assert "record 1" in message


def test_portal_file_without_period_is_rejected(tmp_path: Path) -> None:
    text = "\n".join([PORTAL_HEADER, PORTAL_ROWS[0]]) + "\n"
    con = _load(tmp_path, "published_index", "published_766.csv", text)
    (outcome, message) = con.execute("select outcome, message from audit.loads").fetchone()
    assert outcome == "rejected" and message.startswith("[snapshot_period_known]")


GOVERNANCE = """Chỉ số,Năm,Tỉnh,Điểm,Xếp hạng,Nhóm
PAR INDEX,2022,Tỉnh Hoà Bình,"86,30",30,B
PAR INDEX,2022,Thừa Thiên Huế,"89,02",12,B
PAPI,2022,Quảng Ninh,"85,10",1,
PAR INDEX,2025,Hòa Bình,"88,00",10,B
PAR INDEX,2022,Hòa Bình,"86,30",30,B
DTI,2022,TP. Đà Nẵng,"0,8002",1,
DTI,2022,Lạng Sơn,,6,
PCI,2022,Hà Tây,"70,00",5,
"""


def test_governance_rules(tmp_path: Path) -> None:
    con = _load(tmp_path, "governance_indices", "chi_so_2022.csv", GOVERNANCE)
    assert _quarantined(con) == [
        (2, "unique_province_year"),  # Hoà Bình and Hòa Bình (line 6) are one province
        (4, "score_in_range"),  # PAPI is out of 80
        (5, "province_valid_for_year"),  # Hòa Bình is not one of the 34 ranked for 2025
        (6, "unique_province_year"),
        (9, "province_valid_for_year"),  # Hà Tây no longer exists
    ]
    assert con.execute(
        "select index_code, year, province_code, score, published_rank, group_label "
        "from raw.governance_indices order by source_row_number"
    ).fetchall() == [
        ("PAR_INDEX", 2022, "46", 89.02, 12, "B"),  # legacy Thừa Thiên Huế
        ("DTI", 2022, "48", 0.8002, 1, None),
        ("DTI", 2022, "20", None, 6, None),  # a rank without a published score is valid
    ]


@pytest.mark.parametrize(
    ("raw", "expected"), [("86,30", 86.3), ("86.30", 86.3), ("0,8002", 0.8002), ("1.234,5", 1234.5)]
)
def test_decimal_comma(tmp_path: Path, raw: str, expected: float) -> None:
    text = f'index,year,province_name,score\nSIPAS,2024,Hà Giang,"{raw}"\n'
    con = _load(tmp_path, "governance_indices", "sipas.csv", text)
    if expected > 100:
        assert _quarantined(con) == [(2, "score_in_range")]
    else:
        assert con.execute("select score from raw.governance_indices").fetchall() == [(expected,)]


def test_decimal_garbage_is_a_type_error(tmp_path: Path) -> None:
    text = "index,year,province_name,score,rank\nSIPAS,2024,Hà Giang,8x,3\n"
    con = _load(tmp_path, "governance_indices", "sipas.csv", text)
    assert _quarantined(con) == [(2, "decimal_number")]
