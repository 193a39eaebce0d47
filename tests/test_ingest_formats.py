"""Row-level sources as real exports come: encodings, formats, Vietnamese headers and numbers,
schema rejections named by rule, duplicates, batches, and GX as the SQL rules' oracle."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.lib.ingest import ingest_source
from pipelines.lib.parsers import tabular
from pipelines.lib.validation import rules
from pipelines.lib.validation.boundary import ContractEnginesDisagree
from tests.report_files import encode_cp1258
from tests.source_files import CLEAN_FILE_NAMES, clean_rows, csv_bytes, write_source_csv

# The generator's Vietnamese headers, re-spelled as other systems write them: old tone placement
# ("hoá"), capitals, no diacritics, extra spaces.
VIETNAMESE_HEADER = [
    "Mã hồ sơ", "MÃ TỈNH", "Tên tỉnh", "Ma co quan", "Tên cơ quan", "Cấp cơ quan", "Mã xã",
    "Mã TTHC", "Lĩnh vực", "Kênh tiếp nhận", "Mức độ DVCTT", "Ngày tiếp nhận", "Ngày hẹn trả",
    "Ngày có kết quả", "Ngày trả lại/rút hồ sơ", "Trạng thái", "Số hoá hồ sơ", "SỐ HÓA KẾT QUẢ",
    "Cấp kết quả điện tử", "Tái sử dụng dữ liệu", "Có thu phí,  lệ phí", "Thanh toán trực tuyến",
    "Số tiền phí, lệ phí (VNĐ)",
]  # fmt: skip


def _ingest(tmp_path: Path, source: str, **options) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest_source(con, source, tmp_path / "landing" / source, load_id="run", **options)
    return con


def _raw(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple]:
    return con.execute(
        f"select * exclude (load_seq, load_id, source_file, file_hash, source_row_number, "
        f"loaded_at) from raw.{source} order by all"
    ).fetchall()


def _loads(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select file_name, outcome, rows_in, rows_loaded, rows_quarantined, message "
        "from audit.loads order by load_seq"
    ).fetchall()


def _write_all_formats(landing: Path) -> None:
    rows = clean_rows("dossiers")
    for row in rows:
        row["fee_amount_vnd"] = "50.000"  # Vietnamese thousands
    write_source_csv(
        landing / "a.csv", rows, VIETNAMESE_HEADER, encoding="utf-8-sig", delimiter=";"
    )
    frame = pl.DataFrame(clean_rows("dossiers")).with_columns(
        pl.col(c).str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
        for c in ("received_at", "due_at", "resolved_at", "status_at")
    )
    frame = frame.with_columns(
        pl.col(c) == "true"
        for c in ("dossier_digitized", "result_digitized", "e_result_issued", "data_reused")
    ).with_columns(
        pl.col("fee_required") == "true",
        pl.col("paid_online") == "true",
        pl.col("fee_amount_vnd").cast(pl.Int64),
        pl.col("commune_code").replace("", None),
    )
    frame.write_parquet(landing / "b.parquet")
    frame.write_ndjson(landing / "c.jsonl")


def test_csv_with_vietnamese_headers_parquet_and_jsonl_load_the_same_rows(tmp_path: Path) -> None:
    landing = tmp_path / "landing" / "dossiers"
    landing.mkdir(parents=True)
    _write_all_formats(landing)

    con = _ingest(tmp_path, "dossiers")

    assert [(f, o, n, k) for f, o, n, k, _, _ in _loads(con)] == [
        ("a.csv", "loaded", 4, 4),
        ("b.parquet", "loaded", 4, 4),
        ("c.jsonl", "loaded", 4, 4),
    ]
    by_file = con.execute(
        "select source_file, list(fee_amount_vnd order by dossier_id), "
        "min(received_at)::varchar from raw.dossiers group by 1 order by 1"
    ).fetchall()
    assert by_file == [
        (name, [50_000] * 4, "2024-03-02 08:00:00") for name in ("a.csv", "b.parquet", "c.jsonl")
    ]
    distinct_rows = con.execute(
        "select count(*) from (select distinct * exclude (load_seq, load_id, source_file, "
        "file_hash, source_row_number, loaded_at) from raw.dossiers)"
    ).fetchone()
    assert distinct_rows == (4,)


def test_windows_1258_is_refused_for_dossiers_and_read_for_satisfaction(tmp_path: Path) -> None:
    dossiers = tmp_path / "landing" / "dossiers" / "legacy.csv"
    dossiers.parent.mkdir(parents=True)
    dossiers.write_bytes(
        encode_cp1258(csv_bytes(clean_rows("dossiers"), VIETNAMESE_HEADER).decode())
    )
    satisfaction = tmp_path / "landing" / "satisfaction" / "legacy.csv"
    satisfaction.parent.mkdir(parents=True)
    rows = clean_rows("satisfaction")
    satisfaction.write_bytes(encode_cp1258(csv_bytes(rows).decode()))

    con = _ingest(tmp_path, "dossiers")
    ingest_source(con, "satisfaction", satisfaction.parent, load_id="run")

    (dossier_load, satisfaction_load) = _loads(con)
    assert dossier_load[1:5] == ("rejected", 0, 0, 0)
    assert dossier_load[5].startswith("[utf8_encoding] legacy.csv line 1: byte ")
    assert satisfaction_load[1:5] == ("loaded", 2, 2, 0)
    names = con.execute("select agency_name from raw.satisfaction order by 1").fetchall()
    assert names == [("Sở Tư pháp",), ("UBND huyện Đà Bắc",)]  # NFC, as UTF-8 writes them


@pytest.mark.parametrize(
    ("source", "file_name", "content", "rule", "words"),
    [
        ("payments", "empty.csv", b"", "non_empty_file", "empty.csv: the file is empty"),
        ("payments", "p.xlsx", b"PK", "file_readable", "p.xlsx: file type .xlsx is not accepted"),
        (
            "dossiers",
            "no-status.csv",
            csv_bytes(
                [{k: v for k, v in r.items() if k != "status"} for r in clean_rows("dossiers")]
            ),
            "header_unmappable",
            "no-status.csv header (line 1) has no column for status (or 'Trạng thái'",
        ),
        (
            "procedures",
            "catalog.csv",
            csv_bytes(clean_rows("procedures")[:2]),
            "snapshot_date_known",
            "catalog.csv: no snapshot_date column and no ISO date in the file name",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and "_" in v and " " not in v else None,
)
def test_a_file_breaking_the_schema_is_rejected_whole_naming_file_and_rule(
    tmp_path: Path, source: str, file_name: str, content: bytes, rule: str, words: str
) -> None:
    landing = tmp_path / "landing" / source
    landing.mkdir(parents=True)
    (landing / file_name).write_bytes(content)
    write_source_csv(landing / CLEAN_FILE_NAMES[source], clean_rows(source))

    con = _ingest(tmp_path, source)

    loads = {f: rest for f, *rest in _loads(con)}
    outcome, rows_in, loaded, held, message = loads[file_name]
    assert (outcome, rows_in, loaded, held) == ("rejected", 0, 0, 0)
    assert message.startswith(f"[{rule}] {words}")
    assert tuple(loads[CLEAN_FILE_NAMES[source]][:3]) == (
        "loaded",
        len(clean_rows(source)),
        len(clean_rows(source)),
    )
    assert con.execute(f"select distinct source_file from raw.{source}").fetchall() == [
        (CLEAN_FILE_NAMES[source],)
    ]


def test_procedures_take_their_snapshot_date_from_the_file_name(tmp_path: Path) -> None:
    write_source_csv(tmp_path / "landing" / "procedures" / "danh-muc_2025-07-01.csv", [
        {**row, "province_code": "25", "authority_level": "province"}
        for row in clean_rows("procedures")
    ])  # fmt: skip

    con = _ingest(tmp_path, "procedures")

    assert con.execute(
        "select distinct snapshot_date::varchar, province_code from raw.procedures"
    ).fetchall() == [("2025-07-01", "25")]


def test_the_same_file_twice_changes_nothing_and_a_copy_is_a_duplicate(tmp_path: Path) -> None:
    landing = tmp_path / "landing" / "payments"
    write_source_csv(landing / "p.csv", clean_rows("payments"))
    con = _ingest(tmp_path, "payments")
    before = (_raw(con, "payments"), _loads(con))

    ingest_source(con, "payments", landing, load_id="run-2")
    assert (_raw(con, "payments"), _loads(con)) == before

    (landing / "p-copy.csv").write_bytes((landing / "p.csv").read_bytes())
    ingest_source(con, "payments", landing, load_id="run-3")
    assert _raw(con, "payments") == before[0]
    assert _loads(con)[-1][:2] == ("p-copy.csv", "duplicate")


def test_a_loaded_file_is_hashed_once_and_a_rewritten_one_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A landed file's hash is kept with its size and modification time: a run after it reads
    no file whose size and time are unchanged; a re-export under the same name (a new time) is
    read and loaded as a new version; without the kept hashes the run loads the same."""
    from pipelines.lib import file_digests

    hashed: list[str] = []
    real_sha256 = file_digests.file_sha256
    monkeypatch.setattr(
        file_digests, "file_sha256", lambda path: hashed.append(path.name) or real_sha256(path)
    )
    landing = tmp_path / "landing" / "payments"
    write_source_csv(landing / "p.csv", clean_rows("payments"))
    write_source_csv(landing / "q.csv", clean_rows("payments")[:2])
    con = _ingest(tmp_path, "payments")
    assert sorted(hashed) == ["p.csv", "q.csv"]
    assert con.execute(
        "select file_name, file_bytes from landing.file_digests order by 1"
    ).fetchall() == [(name, (landing / name).stat().st_size) for name in ("p.csv", "q.csv")]

    hashed.clear()
    ingest_source(con, "payments", landing, load_id="run-2")
    assert hashed == []  # nothing read again
    assert [row[:2] for row in _loads(con)] == [("p.csv", "loaded"), ("q.csv", "loaded")]

    # A corrected re-export of p.csv: other bytes, written later.
    corrected = clean_rows("payments")
    corrected[0]["amount_vnd"] = "1"
    write_source_csv(landing / "p.csv", corrected)
    ingest_source(con, "payments", landing, load_id="run-3")
    assert hashed == ["p.csv"]
    assert [row[:2] for row in _loads(con)][-1] == ("p.csv", "loaded")
    assert len(_loads(con)) == 3

    # The kept hashes are a cache: without them every file is read, and nothing new is loaded.
    con.execute("drop table landing.file_digests")
    hashed.clear()
    ingest_source(con, "payments", landing, load_id="run-4")
    assert sorted(hashed) == ["p.csv", "q.csv"]
    assert len(_loads(con)) == 3


def test_keys_are_unique_across_batches_and_every_row_is_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tabular, "DEFAULT_BATCH_ROWS", 2)
    rows = clean_rows("dossiers")
    rows[3]["dossier_id"] = rows[0]["dossier_id"]  # line 5 repeats line 2, in another batch
    rows[2]["status"] = "done"
    write_source_csv(tmp_path / "landing" / "dossiers" / "d.csv", rows)

    con = _ingest(tmp_path, "dossiers", gx_max_rows="all")

    assert con.execute("select row_number, rule from audit.quarantine order by all").fetchall() == [
        (2, "unique_dossier_id"),
        (4, "status_allowed_values"),
        (5, "unique_dossier_id"),
    ]
    assert _loads(con)[0][1:5] == ("loaded_with_quarantine", 4, 1, 3)


def test_gx_catches_a_rule_the_sql_failed_to_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GX's suite is generated from the contract independently of the SQL: a compiler bug that
    drops the allowed-values check lets a bad row through the SQL, and GX stops the load."""
    real_checks = rules.row_checks
    monkeypatch.setattr(
        rules,
        "row_checks",
        lambda contract, schema: [
            c for c in real_checks(contract, schema) if c.rule != "status_allowed_values"
        ],
    )
    rows = clean_rows("dossiers")
    rows[1]["status"] = "done"
    write_source_csv(tmp_path / "landing" / "dossiers" / "d.csv", rows)

    with pytest.raises(ContractEnginesDisagree, match=r"d.csv row 3 \(status_allowed_values\)"):
        _ingest(tmp_path, "dossiers", gx_max_rows="all")


def test_unknown_and_wrong_era_provinces_are_quarantined(tmp_path: Path) -> None:
    rows = clean_rows("dossiers")
    rows[0]["province_name"] = "Tỉnh Hà Tây"  # merged into Hà Nội in 2008: never a new province
    rows[1]["province_name"] = "Hoà Bình"  # old orthography, no prefix: the same unit
    rows[2]["province_name"] = "TINH HOA BINH"
    rows[3].update(  # 17 ended on 30 June 2025
        received_at="2025-08-01 08:00:00",
        due_at="2025-08-02 17:00:00",
        status_at="2025-08-01 10:00:00",  # (the returned dossier's status date follows it)
    )
    write_source_csv(tmp_path / "landing" / "dossiers" / "d.csv", rows)

    con = _ingest(tmp_path, "dossiers")

    quarantined = con.execute(
        "select row_number, rule, message from audit.quarantine order by 1"
    ).fetchall()
    assert [(n, r) for n, r, _ in quarantined] == [
        (2, "province_valid_for_period"),
        (5, "province_valid_for_period"),
    ]
    assert "'Tỉnh Hà Tây' is not one of the 63 legacy provinces" in quarantined[0][2]
    assert "province code '17' is not one of the 34 current provinces" in quarantined[1][2]


def test_a_catalog_with_the_same_rows_under_another_date_is_a_new_snapshot(tmp_path: Path) -> None:
    """The file name carries the snapshot date, so equal bytes are not a duplicate there."""
    landing = tmp_path / "landing" / "procedures"
    write_source_csv(landing / "procedures_2024-01-01.csv", clean_rows("procedures"))
    (landing / "procedures_2024-03-01.csv").write_bytes(
        (landing / "procedures_2024-01-01.csv").read_bytes()
    )
    (landing / "copy_procedures_2024-03-01.csv").write_bytes(
        (landing / "procedures_2024-01-01.csv").read_bytes()
    )

    con = _ingest(tmp_path, "procedures")

    assert [(f, o) for f, o, *_ in _loads(con)] == [
        ("copy_procedures_2024-03-01.csv", "loaded"),
        ("procedures_2024-01-01.csv", "loaded"),
        ("procedures_2024-03-01.csv", "duplicate"),
    ]
    snapshots = con.execute(
        "select snapshot_date::varchar, count(*) from raw.procedures group by 1 order by 1"
    )
    assert snapshots.fetchall() == [("2024-01-01", 3), ("2024-03-01", 3)]


def test_one_checker_serves_every_file_and_a_rolled_back_file_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    """The checker's work tables live for the whole source and are emptied per file: no row or
    failure of one file reaches the next, and a file rolled back (another partition's month)
    then loaded later gives the same warehouse as a clean load."""

    def write(landing: Path) -> None:
        _write_all_formats(landing)
        rows = clean_rows("dossiers")
        rows[1]["status"] = "done"
        rows[2]["dossier_id"] = rows[0]["dossier_id"]
        write_source_csv(landing / "d.csv", rows)
        write_source_csv(landing / "a2.csv", clean_rows("dossiers"))  # a.csv's columns

    def state(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], ...]:
        raw = con.execute(
            "select * exclude (load_seq, load_id, loaded_at) from raw.dossiers order by all"
        ).fetchall()
        loads = con.execute(
            "select file_name, outcome, rows_in, rows_loaded, rows_quarantined, message "
            "from audit.loads order by file_name"
        ).fetchall()
        quarantine = con.execute(
            "select file_name, row_number, rule, message from audit.quarantine order by all"
        ).fetchall()
        return raw, loads, quarantine

    clean = tmp_path / "clean"
    write(clean / "landing" / "dossiers")
    expected = state(_ingest(clean, "dossiers", gx_max_rows="all"))
    assert [row[:5] for row in expected[1]] == [
        ("a.csv", "loaded", 4, 4, 0),
        ("a2.csv", "loaded", 4, 4, 0),
        ("b.parquet", "loaded", 4, 4, 0),
        ("c.jsonl", "loaded", 4, 4, 0),
        ("d.csv", "loaded_with_quarantine", 4, 1, 3),
    ]

    staged = tmp_path / "staged"
    write(staged / "landing" / "dossiers")
    calls: list[object] = []

    def refuse_a_and_d(start: object) -> bool:  # a.csv is the first to create _typed
        calls.append(start)
        return len(calls) not in (1, 5)

    con = _ingest(staged, "dossiers", gx_max_rows="all", period_filter=refuse_a_and_d)
    assert [row[0] for row in state(con)[1]] == ["a2.csv", "b.parquet", "c.jsonl"]
    ingest_source(con, "dossiers", staged / "landing" / "dossiers", load_id="run-2")
    assert state(con) == expected


def test_a_file_after_one_skipped_for_its_months_sees_none_of_an_earlier_files_failures(
    tmp_path: Path,
) -> None:
    """A skipped file's transaction is rolled back, which also puts back the earlier file's
    failures its start emptied: the next file must not take them as its own (nor skip its key
    check for their row numbers)."""
    landing = tmp_path / "landing" / "payments"
    landing.mkdir(parents=True)
    header = "transaction_id,dossier_id,province_code,amount_vnd,channel,status,paid_at\n"
    # Hand-written: p1 breaks a rule on its row 3, p2 is of another month (skipped by the
    # run), p3 breaks one on its row 2 and repeats a transaction id on rows 3 and 4.
    (landing / "p1.csv").write_text(
        header
        + "T1,D1,17,50000,online,success,2024-01-05 08:00:00\n"
        + "T2,D2,17,-5,online,success,2024-01-06 08:00:00\n",
        encoding="utf-8",
    )
    (landing / "p2.csv").write_text(
        header + "T3,D3,17,10000,online,success,2024-03-01 09:30:00\n", encoding="utf-8"
    )
    (landing / "p3.csv").write_text(
        header
        + "T4,D4,17,-7,online,success,2024-01-07 08:00:00\n"
        + "T5,D5,17,20000,offline,success,2024-01-08 08:00:00\n"
        + "T5,D6,17,30000,offline,success,2024-01-09 08:00:00\n",
        encoding="utf-8",
    )

    def january(start: object) -> bool:
        return start is None or str(start) < "2024-02-01"

    con = _ingest(tmp_path, "payments", gx_max_rows=0, period_filter=january)

    assert [row[:5] for row in _loads(con)] == [
        ("p1.csv", "loaded_with_quarantine", 2, 1, 1),
        ("p3.csv", "loaded_with_quarantine", 3, 0, 3),
    ]
    assert con.execute(
        "select file_name, row_number, rule from audit.quarantine order by all"
    ).fetchall() == [
        ("p1.csv", 3, "non_negative_amount"),
        ("p3.csv", 2, "non_negative_amount"),
        ("p3.csv", 3, "unique_transaction_id"),
        ("p3.csv", 4, "unique_transaction_id"),
    ]
