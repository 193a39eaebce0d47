"""CSV and Parquet read by DuckDB in the checker's one pass, against the batch reader it replaced.

The batch reader (polars for CSV, pyarrow row groups for Parquet, then Arrow batches into DuckDB)
still reads JSON Lines, XLSX and CSV files with blank lines; here it is the reference: the same
hand-written files loaded through each reader must give the same lake rows, audit rows and
quarantine (rule, row number, message, original values) to the byte.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.lib.contracts import load_contract
from pipelines.lib.ingest import ingest_source
from pipelines.lib.parsers import tabular
from pipelines.lib.validation import boundary
from tests.source_files import DOSSIER_HEADER, clean_rows, csv_bytes, loaded_state

# Hòa Bình (legacy 17), March 2024, as a provincial system exports it: BOM, ';' separator, CRLF,
# Vietnamese headers in capitals, Vietnamese thousands ('50.000'), 'có'/'không' booleans.
# Line 3: a district dossier; line 4 repeats line 2's id (both rows fail unique_dossier_id);
# line 5: a status outside the contract and a fee that is no number; line 6: a province name in
# another spelling (valid); line 7: a short row (its missing cells read as empty: required
# rules fail); line 8: Hà Tây, merged into Hà Nội in 2008 (province_valid_for_period); line 9: a
# cell with a quoted ';' and a doubled quote.
HEADER = (
    "MÃ HỒ SƠ;Mã tỉnh;Tên tỉnh;Mã cơ quan;Tên cơ quan;Cấp cơ quan;Mã xã;Mã TTHC;Lĩnh vực;"
    "Kênh tiếp nhận;Mức độ DVCTT;Ngày tiếp nhận;Ngày hẹn trả;Ngày có kết quả;Trạng thái;"
    "Số hóa hồ sơ;Số hóa kết quả;Cấp kết quả điện tử;Tái sử dụng dữ liệu;Có thu phí, lệ phí;"
    "Thanh toán trực tuyến;Số tiền phí, lệ phí (VNĐ)"
)
ROWS = [
    "17.2403.000001;17;Tỉnh Hòa Bình;17.S01;Sở Tư pháp;province;;1.001234;Hộ tịch;online;full;"
    "2024-03-02 08:00:00;2024-03-06 17:00:00;2024-03-04 10:00:00;resolved;có;không;có;không;"
    "có;có;50.000",
    "17.2403.000002;17;Tỉnh Hòa Bình;17.H150;UBND huyện Đà Bắc;district;;1.001234;Hộ tịch;"
    "direct;none;2024-03-03 08:00:00;2024-03-07 17:00:00;;processing;true;false;true;false;"
    "false;false;0",
    "17.2403.000001;17;Tỉnh Hòa Bình;17.S01;Sở Tư pháp;province;;1.001234;Hộ tịch;online;full;"
    "2024-03-02 08:00:00;2024-03-06 17:00:00;2024-03-04 10:00:00;resolved;1;0;1;0;1;1;50000",
    "17.2403.000003;17;Tỉnh Hòa Bình;17.S01;Sở Tư pháp;province;;1.001234;Hộ tịch;online;full;"
    "2024-03-04 08:00:00;2024-03-08 17:00:00;;done;có;không;có;không;có;có;năm mươi",
    "17.2403.000004;17;HOA BINH;17.S01;Sở Tư pháp;province;;1.001234;Hộ tịch;postal;none;"
    "2024-03-05 08:00:00;2024-03-09 17:00:00;;processing;có;không;có;không;không;không;0",
    "17.2403.000005;17;Tỉnh Hòa Bình;17.S01",
    "17.2403.000006;17;Tỉnh Hà Tây;17.S01;Sở Tư pháp;province;;1.001234;Hộ tịch;postal;none;"
    "2024-03-06 08:00:00;2024-03-09 17:00:00;;processing;có;không;có;không;không;không;0",
    '17.2403.000007;17;Tỉnh Hòa Bình;17.S01;"Sở Tư pháp; ""Hòa Bình""";province;;1.001234;'
    "Hộ tịch;online;partial;2024-03-07 08:00:00;2024-03-11 17:00:00;;processing;có;không;có;"
    "không;có;có;1.234.000",
]


def _exported_csv() -> bytes:
    return b"\xef\xbb\xbf" + "\r\n".join([HEADER, *ROWS, ""]).encode("utf-8")


def _land(landing: Path) -> None:
    folder = landing / "dossiers"
    folder.mkdir(parents=True)
    (folder / "a_export.csv").write_bytes(_exported_csv())
    # A header and no rows, and a clean file written as the generator writes them.
    (folder / "b_header_only.csv").write_bytes(csv_bytes([], DOSSIER_HEADER))
    (folder / "c_clean.csv").write_bytes(csv_bytes(clean_rows("dossiers")))
    # Parquet with text columns and typed ones (timestamps, booleans, a number), empty cells as
    # nulls; its second row has a fee below zero.
    frame = (
        pl.DataFrame(clean_rows("dossiers"))
        .with_columns(pl.col(pl.String).replace("", None))
        .with_columns(
            pl.col("received_at", "due_at").str.to_datetime("%Y-%m-%d %H:%M:%S"),
            pl.col("dossier_digitized", "fee_required") == "true",
            pl.col("fee_amount_vnd").cast(pl.Int64),
            pl.col("dossier_id").str.replace("17.2403", "17.2404"),
        )
    )
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(-5)
        .otherwise(pl.col("fee_amount_vnd"))
        .alias("fee_amount_vnd")
    )
    frame.write_parquet(folder / "d_typed.parquet")


def _load(root: Path) -> duckdb.DuckDBPyConnection:
    _land(root / "landing")
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    ingest_source(con, "dossiers", root / "landing" / "dossiers", load_id="run", gx_max_rows="all")
    return con


def test_duckdb_readers_load_what_the_batch_reader_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_by_duckdb: list[str] = []
    real_relation = tabular.TabularFile.relation

    def spied(self: tabular.TabularFile):  # type: ignore[no-untyped-def]
        relation = real_relation(self)
        if relation is not None:
            read_by_duckdb.append(self.path.name)
        return relation

    monkeypatch.setattr(tabular.TabularFile, "relation", spied)
    one_pass = loaded_state(_load(tmp_path / "one_pass"), "dossiers")
    assert read_by_duckdb == [
        "a_export.csv", "b_header_only.csv", "c_clean.csv", "d_typed.parquet",
    ]  # fmt: skip

    monkeypatch.setattr(tabular.TabularFile, "relation", lambda self: None)
    batches = loaded_state(_load(tmp_path / "batches"), "dossiers")

    assert one_pass == batches
    lake, loads, quarantine = one_pass
    assert [row[:5] for row in loads] == [
        ("a_export.csv", "loaded_with_quarantine", 8, 3, 5),
        ("b_header_only.csv", "loaded", 0, 0, 0),
        ("c_clean.csv", "loaded", 4, 4, 0),
        ("d_typed.parquet", "loaded_with_quarantine", 4, 3, 1),
    ]
    assert {(f, n, r) for f, n, r, _, _ in quarantine} >= {
        ("a_export.csv", 2, "unique_dossier_id"),
        ("a_export.csv", 4, "unique_dossier_id"),
        ("a_export.csv", 5, "status_allowed_values"),
        ("a_export.csv", 5, "whole_number"),
        ("a_export.csv", 7, "agency_name_required"),
        ("a_export.csv", 8, "province_valid_for_period"),
        ("d_typed.parquet", 2, "non_negative_fee"),
    }
    messages = {(f, n, r): message for f, n, r, message, _ in quarantine}
    assert (
        "fee_amount_vnd 'năm mươi' is not a whole number"
        in messages[("a_export.csv", 5, "whole_number")]
    )
    by_row = {(f, n, r): values for f, n, r, _, values in quarantine}
    # The original text of the file, not the typed value.
    assert '"fee_amount_vnd":"năm mươi"' in by_row[("a_export.csv", 5, "whole_number")]
    assert (
        '"province_name":"Tỉnh Hà Tây"' in by_row[("a_export.csv", 8, "province_valid_for_period")]
    )
    # (source_file, source_row_number); the lineage columns end the row, then data_month
    loaded = {(row[-4], row[-2]): row for row in lake}
    assert sorted(n for f, n in loaded if f == "a_export.csv") == [3, 6, 9]
    quoted = loaded[("a_export.csv", 9)]
    assert 'Sở Tư pháp; "Hòa Bình"' in quoted
    assert 1_234_000 in quoted


def test_a_csv_with_blank_lines_keeps_the_line_numbers_of_its_rows(tmp_path: Path) -> None:
    """DuckDB's reader skips an empty line; such a file goes through the batch reader, which
    counts it, so a quarantined row is still named by its line in the file."""
    rows = clean_rows("dossiers")
    rows[3]["status"] = "done"
    text = csv_bytes(rows).decode().splitlines()
    folder = tmp_path / "landing" / "dossiers"
    folder.mkdir(parents=True)
    (folder / "d.csv").write_text("\n".join([*text[:2], "", *text[2:]]) + "\n", encoding="utf-8")

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest_source(con, "dossiers", folder, load_id="run")

    quarantined = con.execute(
        "select row_number, rule from audit.quarantine where rule = 'status_allowed_values'"
    ).fetchall()
    assert quarantined == [(6, "status_allowed_values")]  # header 1, rows 2, (empty 3), 4, 5, 6


def test_a_row_longer_than_the_header_rejects_the_file_and_the_next_file_loads(
    tmp_path: Path,
) -> None:
    """DuckDB's reader refuses the row inside the pass (which aborts the file's transaction):
    the file is recorded as rejected, naming the line, and the run goes on."""
    folder = tmp_path / "landing" / "dossiers"
    folder.mkdir(parents=True)
    lines = csv_bytes(clean_rows("dossiers")).decode().splitlines()
    lines[3] += ",an extra cell"
    (folder / "a_ragged.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "b_clean.csv").write_bytes(csv_bytes(clean_rows("dossiers")))

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest_source(con, "dossiers", folder, load_id="run")

    loads = con.execute(
        "select file_name, outcome, rows_in, rows_loaded, message from audit.loads order by 1"
    ).fetchall()
    assert [row[:4] for row in loads] == [
        ("a_ragged.csv", "rejected", 0, 0),
        ("b_clean.csv", "loaded", 4, 4),
    ]
    assert loads[0][4].startswith("[file_readable] a_ragged.csv: not readable as dossiers rows")
    assert "Line: 4" in loads[0][4]
    assert con.execute("select distinct source_file from raw.dossiers").fetchall() == [
        ("b_clean.csv",)
    ]


def test_gx_pools_a_file_in_bounded_chunks_after_its_failures_are_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file larger than one GX pool is validated in several runs, each after the file's
    quarantined rows are recorded: GX's findings on a bad row in the first chunk agree with
    the SQL's, and every row goes through GX once."""
    monkeypatch.setattr(boundary, "GX_BATCH_ROWS", 2)
    rows = clean_rows("dossiers")
    rows[0]["status"] = "done"  # line 2: in the first pool of two rows
    folder = tmp_path / "landing" / "dossiers"
    folder.mkdir(parents=True)
    (folder / "d.csv").write_bytes(csv_bytes(rows))

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    summary = ingest_source(con, "dossiers", folder, load_id="run", gx_max_rows="all")

    assert summary.boundary is not None
    assert (summary.boundary.runs, summary.boundary.rows_validated) == (2, 4)
    assert summary.files[0].boundary_results == [
        {
            "rule": "status_allowed_values",
            "expectation": "expect_column_values_to_be_in_set",
            "column": "status",
            "unexpected": 1,
            "rows": [2],
        }
    ]


def test_the_gx_budget_is_spread_over_every_file_of_the_run(tmp_path: Path) -> None:
    """Under a budget smaller than the run, each file gives GX an even share of what is left,
    as rows spread through it (line numbers that are multiples of a step), rather than the
    first files whole: three files of eight rows (lines 2-9) and a budget of 9 rows give three
    rows each, lines 2 (8 // 3 = 2: every second line), 4 and 6. A bad status on line 4 of the
    last file is in its sample (GX finds it, and agrees with the SQL); one on line 3 of the
    first file is not (the SQL alone quarantines it)."""
    folder = tmp_path / "landing" / "dossiers"
    folder.mkdir(parents=True)
    template = clean_rows("dossiers")[0]
    for name, bad_line in (("a.csv", 3), ("b.csv", None), ("c.csv", 4)):
        rows = [dict(template, dossier_id=f"{name}-{line}") for line in range(2, 10)]
        if bad_line is not None:
            rows[bad_line - 2]["status"] = "done"
        (folder / name).write_bytes(csv_bytes(rows))

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    summary = ingest_source(con, "dossiers", folder, load_id="run", gx_max_rows=9)

    gx = summary.boundary
    assert gx is not None
    assert (gx.rows_seen, gx.rows_validated, gx.runs) == (24, 9, 1)
    assert gx.files_validated == {"a.csv", "b.csv", "c.csv"}
    assert gx.note is not None and "9 of 24 rows, from 3 of 3 files" in gx.note
    assert [f.boundary_results for f in summary.files] == [
        [],
        [],
        [
            {
                "rule": "status_allowed_values",
                "expectation": "expect_column_values_to_be_in_set",
                "column": "status",
                "unexpected": 1,
                "rows": [4],
            }
        ],
    ]
    assert con.execute(
        "select file_name, row_number, rule from audit.quarantine order by 1"
    ).fetchall() == [("a.csv", 3, "status_allowed_values"), ("c.csv", 4, "status_allowed_values")]


def test_a_files_share_of_the_gx_budget() -> None:
    """An even share (rounded up) of what is left among the files to come, never more than
    the file has; without a budget, every row."""
    contract = load_contract("dossiers")
    budgeted = boundary.BoundaryValidator.for_contract(contract, 250_000)
    budgeted.expect_files(260)
    assert budgeted.file_share(40_000) == 962  # ⌈250,000 / 260⌉
    budgeted.expect_files(10)
    assert budgeted.file_share(40_000) == 25_000
    assert budgeted.file_share(700) == 700
    budgeted.rows_validated = 249_995
    assert budgeted.file_share(40_000) == 1  # ⌈5 / 10⌉
    budgeted.rows_validated = 250_000
    assert budgeted.file_share(40_000) == 0
    unlimited = boundary.BoundaryValidator.for_contract(contract, "all")
    assert unlimited.file_share(40_000) == 40_000


@pytest.mark.parametrize(
    "copy_from_bytes", [0, 1 << 40], ids=["copied-then-numbered-by-rowid", "numbered-in-the-pass"]
)
def test_a_large_csv_keeps_each_rows_line_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy_from_bytes: int
) -> None:
    """A CSV of 300,000 rows (≈ 60 MB, many of DuckDB's read buffers): each row keeps the
    number of its line, in the lake and in quarantine, whichever way it is numbered: copied as
    read into a work table and numbered by its rowid (the pass then runs on every thread), or
    by a streaming ``row_number()`` in the pass. A copy or a window that lost the file's order
    would move rows between numbers."""
    monkeypatch.setattr(tabular, "COPY_CSV_FROM_BYTES", copy_from_bytes)
    template = clean_rows("dossiers")[0]
    total = 300_000
    # line n holds dossier 'L<n>'; lines 2 and 299,001 repeat one id (both fail the key rule),
    # line 150,001 has a status outside the contract, line 300,001 (the last) a bad fee
    broken_status, repeated, bad_fee = 150_001, (2, 299_001), total + 1
    rows = []
    for line in range(2, total + 2):
        row = dict(template, dossier_id=f"L{line}")
        if line in repeated:
            row["dossier_id"] = "REPEATED"
        if line == broken_status:
            row["status"] = "done"
        if line == bad_fee:
            row["fee_amount_vnd"] = "năm mươi"
        rows.append(row)
    folder = tmp_path / "landing" / "dossiers"
    folder.mkdir(parents=True)
    (folder / "large.csv").write_bytes(csv_bytes(rows))

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    # as dbt's profile sets it for its own connection: the load keeps the order for its copy
    con.execute("set preserve_insertion_order = false")
    summary = ingest_source(con, "dossiers", folder, load_id="run", gx_max_rows=0)

    assert [(f.rows_in, f.rows_loaded, f.rows_quarantined) for f in summary.files] == [
        (total, total - 4, 4)
    ]
    assert con.execute(
        "select row_number, rule from audit.quarantine order by row_number, rule"
    ).fetchall() == [
        (2, "unique_dossier_id"),
        (broken_status, "status_allowed_values"),
        (299_001, "unique_dossier_id"),
        (bad_fee, "whole_number"),
    ]
    lake = str(tmp_path / "lake" / "dossiers" / "**" / "*.parquet")
    misnumbered = con.execute(
        f"select count(*), count(*) filter (where source_row_number <> "
        f"substr(dossier_id, 2)::bigint) from read_parquet('{lake}')"
    ).fetchone()
    assert misnumbered == (total - 4, 0)
    # and the caller's setting is as it was
    assert con.execute("select current_setting('preserve_insertion_order')").fetchone() == (False,)
