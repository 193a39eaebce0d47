"""`make pipeline` for people: a line per source while loading (not a terminal), dbt's summary
line instead of its whole log, and a closing summary whose counts are audit.loads'."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pytest

from pipelines.settings import DataPaths
from tests.dbt_parse_cache import seed_data_folder
from tests.report_files import hoa_binh_q1_2023_rows, write_csv
from tests.source_files import CLEAN_FILE_NAMES, clean_rows, write_source_csv

SUMMARY_COLUMNS = (
    "files_loaded",
    "files_with_quarantine",
    "files_rejected",
    "files_duplicate",
    "rows_loaded",
    "rows_quarantined",
)


@dataclass
class CliRun:
    paths: DataPaths
    exit_code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliRun]:
    """Hand-written files: a clean report and a file of every source; one dossier row with a
    day-first date (quarantined) and an empty payments file (rejected). Then the CLI, with its
    output captured (so not a terminal)."""
    from pipelines import cli

    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("cli") / "data"
    monkeypatch.setenv("CCHC_DATA_DIR", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    monkeypatch.delenv("CCHC_WAREHOUSE_DB", raising=False)
    paths = DataPaths(root).ensure()
    write_csv(paths.landing_for("portal_report") / "hb.csv", hoa_binh_q1_2023_rows())
    for source, name in CLEAN_FILE_NAMES.items():
        rows = clean_rows(source)
        if source == "dossiers":
            rows[1]["received_at"] = "05/03/2024 08:00:00"  # not ISO: this row is quarantined
        write_source_csv(paths.landing_for(source) / name, rows)
    (paths.landing_for("payments") / "17_hoa_binh_2024-04.csv").write_bytes(b"")  # rejected
    seed_data_folder(paths)  # the session's dbt parse (tests/dbt_parse_cache.py)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["pipeline"])
    yield CliRun(paths, code, out.getvalue(), err.getvalue())
    monkeypatch.undo()


def _summary_table(out: str) -> dict[str, tuple[int, ...]]:
    """The rows of the printed 'Files and rows loaded' table: source → its six counts."""
    table = out.split("Files and rows loaded by this run", 1)[1].split("Build and publish", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if len(cells) == 7 and cells[1].replace(",", "").isdigit():
            rows[cells[0]] = tuple(int(c.replace(",", "")) for c in cells[1:])
    return rows


def test_the_summary_counts_are_those_of_audit_loads(cli_run: CliRun) -> None:
    assert cli_run.exit_code == 0, cli_run.err[-3000:]
    printed = _summary_table(cli_run.out)
    with duckdb.connect(str(cli_run.paths.serving_db), read_only=True) as con:
        loads = con.execute(
            "select source, outcome, rows_loaded, rows_quarantined from audit.loads"
        ).fetchall()
    expected: dict[str, list[int]] = {}
    index = {"loaded": 0, "loaded_with_quarantine": 1, "rejected": 2, "duplicate": 3}
    for source, outcome, rows_loaded, rows_quarantined in loads:
        counts = expected.setdefault(source, [0] * 6)
        counts[index[outcome]] += 1
        counts[4] += rows_loaded
        counts[5] += rows_quarantined
    assert {s: printed[s] for s in expected} == {s: tuple(c) for s, c in expected.items()}
    totals = tuple(sum(c[i] for c in expected.values()) for i in range(6))
    assert printed["total"] == totals
    # What the files hold, counted by hand: 4 agency rows of the report; the dossiers file
    # with one quarantined row; the empty payments file rejected next to the clean one.
    assert printed["portal_report"] == (1, 0, 0, 0, 4, 0)
    assert printed["dossiers"][1] == 1 and printed["dossiers"][5] == 1
    assert printed["payments"][:3] == (1, 0, 1)


def test_loads_show_one_line_per_source_and_dbt_only_its_summary(cli_run: CliRun) -> None:
    out = cli_run.out
    assert "pipeline: load payments: 2 of 2 file(s) read" in out
    assert "pipeline: load portal_report: 1 of 1 file(s) read, 4 rows" in out
    assert re.search(r"^dbt: Done\. PASS=\d+ WARN=0 ERROR=0", out, re.MULTILINE)
    assert "START sql table model" not in out  # dbt's own log stays in the log file
    log = next((cli_run.paths.root / "logs").glob("pipeline-*.log")).read_text()
    assert "START sql table model marts.fct_kpi" in log


def test_the_summary_names_dbt_counts_the_publish_and_where_to_look(cli_run: CliRun) -> None:
    out = cli_run.out
    models = re.search(r"dbt models\s*│\s*(\d+) built, (\d+) seeds", out)
    tests = re.search(r"dbt tests\s*│\s*(\d+) passed, 0 warned, 0 failed", out)
    assert models and tests
    assert int(models.group(1)) > 20 and int(tests.group(1)) > 100
    published = re.search(r"serving\.duckdb\s*│\s*published: (\d+) tables", out)
    assert published
    with duckdb.connect(str(cli_run.paths.serving_db), read_only=True) as con:
        (tables,) = con.execute(
            "select count(*) from meta.tables where table_name like 'marts.%' "
            "or table_name like 'audit.%'"
        ).fetchone()
    assert int(published.group(1)) == tables
    for step in ("load dossiers", "dbt build", "publish"):
        assert re.search(rf"seconds: {step}\s*│\s*[\d,.]+", out), step
    assert "Tình trạng dữ liệu / Data status" in out
    assert str(cli_run.paths.serving_db.parent / "exports") in out


class Recorder:
    """A load listener that writes down what it hears."""

    def __init__(self) -> None:
        self.heard: list[tuple] = []

    def source_started(self, source: str, files_total: int) -> None:
        self.heard.append(("started", source, files_total))

    def file_done(self, source: str, file_name: str, rows: int) -> None:
        self.heard.append(("file", source, file_name, rows))

    def source_finished(self, source: str) -> None:
        self.heard.append(("finished", source))


def test_the_loader_reports_every_file_to_the_listener_and_skipped_ones_with_no_rows(
    tmp_path,
) -> None:
    from pipelines.lib.ingest import ingest_source
    from pipelines.lib.progress import listening

    landing = tmp_path / "payments"
    write_source_csv(landing / "a.csv", clean_rows("payments"))
    (landing / "b.csv").write_bytes(b"")  # rejected: heard, with no rows
    rows = len(clean_rows("payments"))
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        with listening(Recorder()) as first:
            ingest_source(con, "payments", landing, load_id="run-1", gx_max_rows=0)
        with listening(Recorder()) as again:  # nothing new: every file skipped
            ingest_source(con, "payments", landing, load_id="run-2", gx_max_rows=0)
    assert first.heard == [
        ("started", "payments", 2),
        ("file", "payments", "a.csv", rows),
        ("file", "payments", "b.csv", 0),
        ("finished", "payments"),
    ]
    assert again.heard == [
        ("started", "payments", 2),
        ("file", "payments", "a.csv", 0),
        ("file", "payments", "b.csv", 0),
        ("finished", "payments"),
    ]


def test_a_run_loads_only_the_sources_with_a_new_file(
    cli_run: CliRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A copy of the folder first loads every source (its raw views read the other folder's
    lake until a load points them here); then a new payments file: the next `make pipeline`
    runs payments' load alone, with every source's freshness check, dbt and the publish."""
    import shutil

    import dagster as dg

    from pipelines import cli
    from pipelines.lib.ingest import sources_with_new_files

    assert cli_run.exit_code == 0
    root = tmp_path_factory.mktemp("cli-copy") / "data"
    shutil.copytree(cli_run.paths.root, root, symlinks=True)
    paths = DataPaths(root)
    seed_data_folder(paths)
    assert sources_with_new_files(paths) is None  # views read the first folder's lake

    def run() -> tuple[int, set[str], set[str], dict[str, str]]:
        """The exit code, the run's steps, the sources it loaded, its tags."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CCHC_DATA_DIR", str(root))
            patch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
            patch.delenv("CCHC_WAREHOUSE_DB", raising=False)
            with contextlib.redirect_stdout(io.StringIO()):
                code = cli.main(["pipeline"])
            with dg.DagsterInstance.get() as instance:
                (last,) = instance.get_runs(limit=1)
                steps = {s.step_key for s in instance.get_run_step_stats(last.run_id)}
                loaded = {
                    path[1]
                    for path in cli.run_materializations(instance, last.run_id)
                    if path[0] == "raw"
                }
        return code, steps, loaded, dict(last.tags)

    code, steps, loaded, _ = run()
    assert code == 0 and set(CLEAN_FILE_NAMES) <= loaded
    assert sources_with_new_files(paths) == set()

    write_source_csv(
        paths.landing_for("payments") / "17_hoa_binh_2024-05.csv", clean_rows("payments")
    )
    assert sources_with_new_files(paths) == {"payments"}
    code, steps, loaded, tags = run()
    assert code == 0
    assert loaded == {"payments"}
    assert {f"raw__{s}_freshness" for s in CLEAN_FILE_NAMES} <= steps
    assert tags["cchc/sources"] == "payments"
    assert tags["cchc/dbt_sources"] == "payments"  # the models downstream of payments only
    assert {"cchc_dbt_assets", "serving__serving_db"} <= steps
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as con:
        assert con.execute(
            "select outcome from audit.loads where file_name = '17_hoa_binh_2024-05.csv'"
        ).fetchall() == [("duplicate",)]
