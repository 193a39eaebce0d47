"""Several sources loaded at once (``ingest_sources``): the same warehouse as one at a time.

Each source loads on its own cursor of one DuckDB database, two at a time; they share the audit
tables and the lake's root. Compared here with the sources loaded one after the other, on
hand-written files with a quarantined row, a rejected file and a duplicate.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.lib.ingest import ingest_source, ingest_sources
from pipelines.lib.validation import boundary
from tests.source_files import clean_rows, csv_bytes

SOURCES = ("dossiers", "payments")


def _landing(root: Path) -> dict[str, Path]:
    """Per source: a clean file, one with a broken row, a copy of the clean one, and a file
    that is not a table of that source."""
    landings = {}
    for source in SOURCES:
        folder = root / "landing" / source
        folder.mkdir(parents=True)
        rows = clean_rows(source)
        (folder / "a_clean.csv").write_bytes(csv_bytes(rows))
        broken = [dict(row) for row in rows]
        broken[-1] = {name: "" for name in broken[-1]}  # every required cell empty
        (folder / "b_broken.csv").write_bytes(csv_bytes(broken))
        (folder / "c_copy.csv").write_bytes(csv_bytes(rows))
        (folder / "d_other.csv").write_bytes(b"not,a,table\n1,2\n")
        landings[source] = folder
    return landings


def _state(con: duckdb.DuckDBPyConnection, lake: Path) -> dict[str, list[tuple]]:
    """The warehouse's audit and the lake's rows, without load ids, times and sequence numbers
    (which follow the order the sources happened to load in)."""
    state = {
        "loads": con.execute(
            "select source, file_name, outcome, rows_in, rows_loaded, rows_quarantined, "
            "message from audit.loads order by all"
        ).fetchall(),
        "quarantine": con.execute(
            "select source, file_name, row_number, rule, message, original_values::varchar "
            "from audit.quarantine order by all"
        ).fetchall(),
    }
    for source in SOURCES:
        state[source] = con.execute(
            f"select * exclude (load_seq, load_id, loaded_at) from read_parquet("
            f"'{lake / source}/**/*.parquet', hive_partitioning = true) order by all"
        ).fetchall()
        state[f"{source}_current"] = con.execute(
            f"select count(*) from raw.{source}_current"
        ).fetchall()
    return state


def test_sources_loaded_at_once_give_what_one_at_a_time_gives(tmp_path: Path) -> None:
    landings = _landing(tmp_path)
    one_at_a_time = duckdb.connect(str(tmp_path / "one.duckdb"))
    for source, folder in landings.items():
        ingest_source(one_at_a_time, source, folder, load_id="run", lake_dir=tmp_path / "lake1")
    at_once = duckdb.connect(str(tmp_path / "two.duckdb"))

    loads = ingest_sources(at_once, landings, load_id="run", lake_dir=tmp_path / "lake2", lanes=2)

    assert loads.failures == {}
    assert set(loads.summaries) == set(loads.seconds) == set(SOURCES)
    for source in SOURCES:
        outcomes = [(f.file_name, f.outcome) for f in loads.summaries[source].files]
        assert outcomes == [
            ("a_clean.csv", "loaded"),
            ("b_broken.csv", "loaded_with_quarantine"),
            ("c_copy.csv", "duplicate"),
            ("d_other.csv", "rejected"),
        ]
    expected = _state(one_at_a_time, tmp_path / "lake1")
    assert expected["quarantine"] and all(expected[source] for source in SOURCES)
    assert _state(at_once, tmp_path / "lake2") == expected
    # each source's files in name order: load_seq grows with the file name within a source
    for source in SOURCES:
        names = at_once.execute(
            "select file_name from audit.loads where source = ? order by load_seq", [source]
        ).fetchall()
        assert names == sorted(names)
    # the load settings are put back
    assert at_once.execute("select current_setting('preserve_insertion_order')").fetchone() == (
        True,
    )

    # a second run finds nothing new in either source
    again = ingest_sources(at_once, landings, load_id="run-2", lake_dir=tmp_path / "lake2")
    assert [len(again.summaries[s].files) for s in SOURCES] == [0, 0]


def test_a_source_that_fails_leaves_the_others_loaded(tmp_path: Path) -> None:
    landings = _landing(tmp_path)
    # a landing "folder" that is a file: listing it fails
    not_a_folder = tmp_path / "landing" / "payments.txt"
    not_a_folder.write_text("not a folder")
    landings["payments"] = not_a_folder
    con = duckdb.connect(str(tmp_path / "w.duckdb"))

    loads = ingest_sources(con, landings, load_id="run", lake_dir=tmp_path / "lake")

    assert set(loads.failures) == {"payments"}
    assert isinstance(loads.failures["payments"], NotADirectoryError)
    assert set(loads.summaries) == {"dossiers"}
    assert con.execute("select source, count(*) from audit.loads group by source").fetchall() == [
        ("dossiers", 4)
    ]


@pytest.mark.parametrize("lanes", [1, 3])
def test_any_number_of_lanes_loads_every_source(tmp_path: Path, lanes: int) -> None:
    landings = _landing(tmp_path)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    loads = ingest_sources(con, landings, load_id="run", lake_dir=tmp_path / "lake", lanes=lanes)
    assert loads.failures == {} and set(loads.summaries) == set(SOURCES)


def test_the_gx_suites_in_a_worker_process_find_what_they_find_in_this_one(
    tmp_path: Path,
) -> None:
    """The pipeline command runs the loads' GX suites in a process started before Dagster loads
    (boundary.start_worker): the same findings, file by file, as in the loading process, and
    the worker ends with the loads."""
    landings = _landing(tmp_path)
    findings = {}
    for mode in ("here", "worker"):
        if mode == "worker":
            boundary.start_worker()
            assert boundary._WORKER.executor is not None
        con = duckdb.connect(str(tmp_path / f"{mode}.duckdb"))
        loads = ingest_sources(con, landings, load_id="run", lake_dir=tmp_path / mode)
        assert boundary._WORKER.executor is None  # ended with the loads
        findings[mode] = {
            source: (
                summary.boundary.runs,
                summary.boundary.rows_validated,
                summary.boundary.findings,
                [(f.file_name, f.boundary_results) for f in summary.files],
            )
            for source, summary in loads.summaries.items()
        }
    # the broken row's empty required cells are found by GX (and were quarantined by the SQL)
    assert any(found for _, _, found, _ in findings["here"].values())
    assert findings["worker"] == findings["here"]
