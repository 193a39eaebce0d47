"""Reports passed through the checker several at once load exactly as one at a time.

pipelines/lib/files_ahead.py parses a batch of report files and types and checks their rows in
one statement before each file's own transaction; a file is still judged alone. Here hand-written
reports (tests/report_files.py: the official Biểu 06 layout, CSV and XLSX, UTF-8 and
Windows-1258) with a broken row, a file that is no report and a duplicate load three ways (every
file in its own pass, batches of two, one batch of all) and must give the same lake rows, audit
rows and quarantine (rule, row, message, original values) to the byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import files_ahead
from pipelines.lib.ingest import ingest_source
from pipelines.lib.validation.rules import FileChecker
from tests.report_files import hoa_binh_q1_2023_rows, write_csv, write_xlsx
from tests.source_files import loaded_state


def _with_cell(rows: list[list[str]], agency: str, column: int, value: str) -> list[list[str]]:
    return [
        [*row[:column], value, *row[column + 1 :]] if len(row) > 1 and row[1] == agency else row
        for row in rows
    ]


def _quarter_two(rows: list[list[str]]) -> list[list[str]]:
    return [["Quý II/2023"] if row == ["Quý I/2023"] else row for row in rows]


def _land(folder: Path) -> None:
    rows = hoa_binh_q1_2023_rows()
    write_csv(folder / "a_q1.csv", rows)
    # the same quarter re-exported in Windows-1258 (other bytes: a correction, not a duplicate)
    write_csv(folder / "b_q1_cp1258.csv", rows, encoding="cp1258")
    # Sở Tư pháp's received total one more than its parts: the row breaks two sum rules
    write_csv(folder / "c_q2_broken.csv", _quarter_two(_with_cell(rows, "Sở Tư pháp", 2, "14.425")))
    (folder / "d_not_a_report.csv").write_text("ten,tuoi\nAn,30\n", encoding="utf-8")
    write_xlsx(folder / "e_q2.xlsx", _quarter_two(rows))
    (folder / "f_copy_of_a.csv").write_bytes((folder / "a_q1.csv").read_bytes())


def _load(root: Path, landed: Path) -> tuple[list[tuple], ...]:
    folder = root / "landing" / "portal_report"
    shutil.copytree(landed, folder)  # the same bytes each time (an XLSX records when written)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    ingest_source(con, "portal_report", folder, load_id="run", gx_max_rows="all")
    return loaded_state(con, "portal_report")


def test_reports_passed_ahead_load_as_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes: list[int] = []
    real_check_ahead = FileChecker.check_ahead

    def counted(self: FileChecker, tables):  # type: ignore[no-untyped-def]
        passes.append(len(tables))
        return real_check_ahead(self, tables)

    monkeypatch.setattr(FileChecker, "check_ahead", counted)
    landed = tmp_path / "landed"
    _land(landed)
    all_at_once = _load(tmp_path / "all", landed)
    # one batch: the five reports (the file that is no report raised in its parse)
    assert passes == [5]

    monkeypatch.setattr(files_ahead, "AHEAD_FILES", 2)
    passes.clear()
    in_twos = _load(tmp_path / "twos", landed)
    # a, b | c, d (no report) | e, f: f is a's duplicate, never passed in its turn
    assert passes == [2, 1, 2]

    monkeypatch.setattr(files_ahead.FilesAhead, "prepare", lambda self, path, checker: None)
    passes.clear()
    one_at_a_time = _load(tmp_path / "one", landed)
    assert passes == []

    assert all_at_once == one_at_a_time
    assert in_twos == one_at_a_time
    lake, loads, quarantine = one_at_a_time
    assert [row[:5] for row in loads] == [
        ("a_q1.csv", "loaded", 4, 4, 0),
        ("b_q1_cp1258.csv", "loaded", 4, 4, 0),
        ("c_q2_broken.csv", "loaded_with_quarantine", 4, 3, 1),
        ("d_not_a_report.csv", "rejected", 0, 0, 0),
        ("e_q2.xlsx", "loaded", 4, 4, 0),
        ("f_copy_of_a.csv", "duplicate", 0, 0, 0),
    ]
    assert len(lake) == 4 + 4 + 3 + 4
    # the broken row: the agency's line in the file (the title, three header lines, the column
    # numbers and the level's line come first), with its values as the parser read them
    assert {(f, n, r) for f, n, r, _, _ in quarantine} == {
        ("c_q2_broken.csv", 9, "received_identity"),
        ("c_q2_broken.csv", 9, "balance_identity"),
    }
    assert all('"received_total":14425,' in values for *_, values in quarantine)
    assert all('"agency_name":"Sở Tư pháp"' in values for *_, values in quarantine)
