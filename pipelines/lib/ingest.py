"""Land files into the raw lake: parse, check against the contract, load or quarantine, audit.

Every landed file gets exactly one row in ``audit.loads`` per content it had (its SHA-256): a file
seen before is skipped, so loading a folder twice changes nothing. Each file is loaded in its own
transaction: a crash leaves no half-loaded file behind. Nothing in the landing folder is modified.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from pipelines.lib.admin_units import UnknownProvinceError, resolve_province
from pipelines.lib.contracts import Contract, load_contract
from pipelines.lib.file_digests import DIGESTS_DDL, FileDigests
from pipelines.lib.files import FileReadError
from pipelines.lib.files_ahead import FilesAhead
from pipelines.lib.ingest_types import ParsedFile, RejectedFile
from pipelines.lib.lake import (
    LakeTable,
    file_key,
    lake_dir_for_database,
    lake_glob,
    read_sql,
    sql_text,
    view_glob,
)
from pipelines.lib.official_figures import parse_governance_indices, parse_published_index
from pipelines.lib.parse_pool import ParsePool
from pipelines.lib.parsers.tabular import (
    FileRelation,
    SchemaRejection,
    TabularFile,
    name_date,
    open_tabular,
)
from pipelines.lib.portal_report import ReportFormatError, parse_report
from pipelines.lib.progress import LoadListener, load_listener
from pipelines.lib.validation.boundary import (
    FAILURES_OF_RUN,
    BoundaryValidator,
    prepare_in_background,
    stop_worker,
)
from pipelines.lib.validation.rules import FileChecker, era_expression
from pipelines.settings import SOURCES, DataPaths

AUDIT_DDL = """
create schema if not exists raw;
create schema if not exists audit;
create sequence if not exists audit.load_seq;
create table if not exists audit.loads (
    load_seq bigint primary key default nextval('audit.load_seq'),
    load_id varchar not null,
    source varchar not null,
    file_name varchar not null,
    file_hash varchar not null,
    file_bytes bigint not null,
    contract_version varchar not null,
    outcome varchar not null,          -- loaded | loaded_with_quarantine | rejected | duplicate
    rows_in bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    province_code varchar,
    province_name varchar,
    period_grain varchar,
    period_start date,
    period_end date,
    message varchar,
    loaded_at timestamp not null
);
create table if not exists audit.quarantine (
    load_id varchar not null,
    source varchar not null,
    file_name varchar not null,
    file_hash varchar not null,
    row_number bigint not null,
    rule varchar not null,
    message varchar not null,
    original_values json,
    loaded_at timestamp not null
);
"""


def parse_portal_report(path: Path) -> ParsedFile:
    try:
        report = parse_report(path)
    except (ReportFormatError, FileReadError) as error:
        raise RejectedFile(error.rule, str(error)) from error
    warnings = list(report.warnings)
    if report.total_row is not None and report.rows.height:
        sums = report.rows.select(pl.col(c).sum() for c in report.total_row).row(0, named=True)
        differing = [c for c, v in report.total_row.items() if v is not None and sums[c] != v]
        if differing:
            warnings.append(
                "total row differs from the sum of the agency rows in "
                + ", ".join(f"{c} ({report.total_row[c]} vs {sums[c]})" for c in differing)
            )
    return ParsedFile(
        rows=report.rows,
        province_code=report.province_code,
        province_name=report.province_name,
        period_grain=report.period.grain,
        period_start=report.period.start,
        period_end=report.period.end,
        warnings=warnings,
    )


# Sources whose files need a parser of their own (a report grid); every other source of
# SOURCES is a table export read by pipelines.lib.parsers.tabular under its contract.
FILE_PARSERS: dict[str, Callable[[Path], ParsedFile]] = {
    "portal_report": parse_portal_report,
    "published_index": parse_published_index,
    "governance_indices": parse_governance_indices,
}
PARSERS: tuple[str, ...] = SOURCES

# The connection's settings while a source loads, put back afterwards:
LOAD_SETTINGS = {
    # per-file commits must not each checkpoint a growing database file: the WAL size that
    # triggers one (DuckDB's default is 16 MB; 1 GB cost about the same CPU on 2 M dossier
    # rows and held ~600 MB more memory)
    "checkpoint_threshold": "256MB",
    # a CSV's rows are numbered by the order of their copy (tabular.CSV_ROWS): the copy must
    # keep the file's order whatever the caller's connection says
    "preserve_insertion_order": True,
}


@contextmanager
def session_settings(
    con: duckdb.DuckDBPyConnection, settings: dict[str, str | bool]
) -> Iterator[None]:
    """``settings`` on ``con`` for the block, each put back to what it was afterwards."""
    before = {
        name: con.execute("select current_setting(?)", [name]).fetchone()[0]  # type: ignore[index]
        for name in settings
    }
    try:
        for name, value in settings.items():
            con.execute(f"set {name} = {_setting_sql(value)}")
        yield
    finally:
        for name, value in before.items():
            con.execute(f"set {name} = {_setting_sql(value)}")


def _setting_sql(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else sql_text(str(value))


class UnreadableFile(Exception):
    """DuckDB's reader refused the file in the middle of the pass (the message is the load's)."""


@dataclass
class FileOutcome:
    file_name: str
    outcome: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    message: str | None
    boundary_results: list[dict[str, object]] = field(default_factory=list)


@dataclass
class IngestSummary:
    source: str
    files: list[FileOutcome] = field(default_factory=list)
    boundary: BoundaryValidator | None = None

    @property
    def new_files(self) -> int:
        return len(self.files)

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def ensure_schema(
    con: duckdb.DuckDBPyConnection, contract: Contract, lake_dir: Path | None = None
) -> LakeTable:
    """The audit tables, the source's lake folder (with its contract part) and the view
    ``raw.<source>`` over it (a table of that name from before the lake is dropped)."""
    con.execute(AUDIT_DDL)
    lake = LakeTable(lake_dir or default_lake_dir(con), contract)
    lake.ensure(con)
    schema, name = contract.table.split(".")
    kind = con.execute(
        "select table_type from information_schema.tables where table_schema = ? "
        "and table_name = ? and table_catalog = current_database()",
        [schema, name],
    ).fetchone()
    if kind and kind[0] == "BASE TABLE":
        con.execute(f"drop table {contract.table}")
    define_view(con, contract.table, f"select * from {read_sql(lake.root, contract.source)}")
    return lake


def define_view(con: duckdb.DuckDBPyConnection, view: str, select_sql: str) -> None:
    """``create or replace view`` unless the view already selects exactly this: each view
    carries a digest of its query as its comment. Creating a view over the lake binds it,
    which reads the footer of every part (union_by_name): ≈ 0.5 s a source at reference
    scale, at every run, for a view that was already this one."""
    digest = "cchc:" + hashlib.sha256(select_sql.encode()).hexdigest()[:16]
    schema, name = view.split(".")
    held = con.execute(
        "select comment from duckdb_views() where database_name = current_database() "
        "and schema_name = ? and view_name = ?",
        [schema, name],
    ).fetchone()
    if held and held[0] == digest:
        return
    con.execute(f"create or replace view {view} as {select_sql}")
    con.execute(f"comment on view {view} is '{digest}'")


def default_lake_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """The lake of the warehouse file ``con`` is on (``lake_dir_for_database``)."""
    row = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    if not row or not row[0]:
        raise ValueError("an in-memory warehouse has no lake: pass lake_dir")
    return lake_dir_for_database(Path(row[0]))


def landed_files(landing_dir: Path) -> Iterator[Path]:
    """Files in a source's landing folder, oldest name first; editor and partial files skipped."""
    if not landing_dir.exists():
        return
    for path in sorted(landing_dir.iterdir()):
        if path.is_file() and not path.name.startswith((".", "~$", "_")):
            yield path


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    source: str,
    landing_dir: Path,
    *,
    load_id: str,
    now: datetime | None = None,
    gx_max_rows: int | str | None = "env",
    period_filter: Callable[[date | None], bool] | None = None,
    lake_dir: Path | None = None,
) -> IngestSummary:
    """Load every new file of one source's landing folder, each in its own transaction.

    ``period_filter`` (partitioned runs): given a file's period start (None when the file was
    refused before its period was read, or is a duplicate), False leaves the file unrecorded for
    the run whose months hold it. A row-level file's period starts at its earliest row date.
    ``lake_dir``: the raw lake (default: ``default_lake_dir``).
    """
    load = _source_load(
        con,
        source,
        load_id=load_id,
        now=now,
        gx_max_rows=gx_max_rows,
        period_filter=period_filter,
        lake_dir=lake_dir,
    )
    summary = load.run(list(landed_files(landing_dir)))
    refresh_current_views(con, load.contract)
    return summary


def _source_load(
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    load_id: str,
    now: datetime | None = None,
    gx_max_rows: int | str | None = "env",
    period_filter: Callable[[date | None], bool] | None = None,
    lake_dir: Path | None = None,
) -> SourceLoad:
    """A source's load, its schema, lake folder and raw view made first."""
    contract = load_contract(source)
    return SourceLoad(
        con=con,
        contract=contract,
        lake=ensure_schema(con, contract, lake_dir),
        load_id=load_id,
        loaded_at=(now or datetime.now(UTC)).replace(tzinfo=None),
        boundary=BoundaryValidator.for_contract(contract, gx_max_rows),
        period_filter=period_filter,
    )


# Sources loaded at once (``ingest_sources``). A source's files load one after the other, each
# mostly on one core (a file smaller than one of DuckDB's row groups, 122,880 rows, is read on
# one thread), so two sources at once use both cores of the reference machine.
LOAD_LANES = 2


@dataclass
class SourcesLoad:
    """What ``ingest_sources`` did: each source's summary, or the error that stopped it, and
    the seconds each took."""

    summaries: dict[str, IngestSummary] = field(default_factory=dict)
    failures: dict[str, Exception] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def ingest_sources(
    con: duckdb.DuckDBPyConnection,
    landings: dict[str, Path],
    *,
    load_id: str,
    period_filter: Callable[[date | None], bool] | None = None,
    lake_dir: Path | None = None,
    lanes: int = LOAD_LANES,
) -> SourcesLoad:
    """Load each source of ``landings`` (source → its landing folder) as ``ingest_source``
    does, ``lanes`` sources at a time, each on its own cursor of ``con``'s database: its work
    tables and macros are the cursor's own, and the sources share only appends to the audit
    tables. Every catalog change (schemas, tables, the raw views) is made here, before and
    after the lanes, never by two cursors at once (DuckDB refuses two transactions creating
    the same table). The largest landing folders start first. A source that fails does not
    stop the others: its error is in ``failures``. Each source's files still load in name
    order, one transaction each, as ``ingest_source`` loads them."""
    result = SourcesLoad()
    if landings:
        prepare_in_background()
    con.execute(DIGESTS_DDL)
    loads = {
        source: _source_load(
            con, source, load_id=load_id, period_filter=period_filter, lake_dir=lake_dir
        )
        for source in landings
    }
    files: dict[str, list[Path]] = {}
    sizes: dict[str, int] = {}
    for source, folder in landings.items():
        try:
            files[source] = list(landed_files(folder))
            sizes[source] = sum(path.stat().st_size for path in files[source])
        except OSError as error:  # the folder cannot be listed: the source's load fails
            result.failures[source] = error
    ordered = sorted(sizes, key=lambda source: -sizes[source])

    def load(source: str) -> None:
        began = time.perf_counter()
        cursor = con.cursor()
        try:
            result.summaries[source] = replace(loads[source], con=cursor).run(files[source])
        except Exception as error:  # reported with the source; the other sources go on
            result.failures[source] = error
        finally:
            cursor.close()
            result.seconds[source] = time.perf_counter() - began

    # The load settings are the database's, not a cursor's: set once around every lane (each
    # source's own session_settings then finds them set and leaves them so).
    workers = max(1, min(lanes, len(ordered)))
    try:
        with (
            session_settings(con, LOAD_SETTINGS),
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="load") as pool,
        ):
            list(pool.map(load, ordered))
    finally:
        stop_worker()  # a GX worker process (boundary.start_worker) serves the loads only
    for source in result.summaries:
        refresh_current_views(con, loads[source].contract)
    return result


def sources_with_new_files(paths: DataPaths, sources: Iterable[str] = SOURCES) -> set[str] | None:
    """The sources whose landing folder may hold a file not loaded yet, told from the files'
    sizes and times and the warehouse's records, without reading a landed file (a run loads
    only those). None when the warehouse cannot say: none yet, another run holds it, or its
    raw views read another lake than this data folder's (a data folder copied or moved: a
    load of every source points them here again)."""
    if not paths.warehouse_db.exists():
        return None
    contracts = [load_contract(source) for source in sources]
    try:
        con = duckdb.connect(str(paths.warehouse_db), read_only=True)
    except duckdb.Error:  # locked by a run in another process
        return None
    try:
        views = dict(
            con.execute(
                "select view_name, sql from duckdb_views() "
                "where database_name = current_database() and schema_name = 'raw'"
            ).fetchall()
        )
        if any(
            view_glob(views.get(c.table.split(".")[-1])) != lake_glob(paths.lake, c.source)
            for c in contracts
        ):
            return None
        return {
            c.source
            for c in contracts
            if may_hold_new_content(con, c, list(landed_files(paths.landing_for(c.source))))
        }
    except duckdb.CatalogException:  # no audit.loads yet
        return None
    finally:
        con.close()


def may_hold_new_content(
    con: duckdb.DuckDBPyConnection, contract: Contract, files: list[Path]
) -> bool:
    """Whether a load of ``files`` could load anything, told without reading a file: True when
    one of them has no kept hash for its size and time (new or rewritten: the load reads it),
    or its kept hash was never loaded under this name and contract version."""
    if not files:
        return False
    digests = FileDigests.read(con, contract.source)
    loaded = loaded_files(con, contract)
    for path in files:
        digest = digests.kept(path)
        if digest is None or (path.name, digest) not in loaded:
            return True
    return False


def loaded_files(con: duckdb.DuckDBPyConnection, contract: Contract) -> set[tuple[str, str]]:
    """The (file name, hash) pairs of a source loaded under its contract's version: a landed
    file among them is known and skipped."""
    return set(
        con.execute(
            "select file_name, file_hash from audit.loads where source = ? "
            "and contract_version = ?",
            [contract.source, contract.version],
        ).fetchall()
    )


@dataclass
class SourceLoad:
    """One source's load in one run: it owns the connection, the contract, the run's load id
    and time, the lake folder, the GX boundary and the one FileChecker (and so the work tables
    ``_staged`` / ``_failures`` it fills), instead of handing them from function to function."""

    con: duckdb.DuckDBPyConnection
    contract: Contract
    lake: LakeTable
    load_id: str
    loaded_at: datetime
    boundary: BoundaryValidator
    period_filter: Callable[[date | None], bool] | None = None
    # Made on the first new file (outside the files' transactions), none when nothing is new.
    checker: FileChecker | None = None
    # Report sources: the run's new files parsed in worker processes (parse_pool.py) and
    # passed through the checker several at once (files_ahead.py).
    ahead: FilesAhead | None = None
    # The files' hashes (read once per content) and the (name, hash) pairs loaded before under
    # this contract version, both read at the start of the run.
    digests: FileDigests | None = None
    loaded_before: set[tuple[str, str]] = field(default_factory=set)
    # Each content's (hash) first loads, not as duplicates: (file name, period start) in load
    # order, read at the start of the run and kept up to date as its files commit (a query per
    # file cost ≈ 1.7 ms). ``_recorded``: the record of the file in its transaction.
    first_loads: dict[str, list[tuple[str, object]]] = field(default_factory=dict)
    _recorded: tuple[str, str, object] | None = None

    @property
    def source(self) -> str:
        return self.contract.source

    def run(self, files: list[Path]) -> IngestSummary:
        con = self.con
        summary = IngestSummary(self.source)
        # Every quarantined (file, row, rule) of the run: the GX boundary compares its findings
        # with it (BoundaryValidator.flush reads the table by this name).
        con.execute(
            f"create or replace temp table {FAILURES_OF_RUN} "
            "(file_name varchar, row_number bigint, rule varchar)"
        )
        listener = load_listener()
        listener.source_started(self.source, len(files))
        self.digests = FileDigests.load(con, self.source)
        self.loaded_before = loaded_files(con, self.contract)
        for name, digest, period_start in con.execute(
            "select file_name, file_hash, period_start from audit.loads where source = ? "
            "and contract_version = ? and outcome <> 'duplicate' order by load_seq",
            [self.source, self.contract.version],
        ).fetchall():
            self.first_loads.setdefault(digest, []).append((name, period_start))
        new_files = [p for p in files if not self._known(p)]
        self.boundary.expect_files(len(new_files))
        if self.source in FILE_PARSERS:
            self.ahead = FilesAhead(
                new_files, FILE_PARSERS[self.source], ParsePool(self.source, new_files)
            )
        try:
            with session_settings(con, LOAD_SETTINGS):
                self._files(files, summary, listener)
        finally:
            self.digests.save(con)
            if self.ahead is not None:
                self.ahead.close()
            listener.source_finished(self.source)
            if self.checker is not None:
                self.checker.drop()
        self.boundary.flush(con)
        for outcome in summary.files:
            outcome.boundary_results = self.boundary.results_for(outcome.file_name)
        summary.boundary = self.boundary
        con.execute(f"drop table if exists {FAILURES_OF_RUN}")
        return summary

    def _files(self, files: list[Path], summary: IngestSummary, listener: LoadListener) -> None:
        """Each new file of the folder in its own transaction, appended to ``summary``. The
        listener hears of every file, skipped ones included (with 0 rows)."""
        for path in files:
            outcome = self._one(path)
            if outcome is not None:
                summary.files.append(outcome)
            listener.file_done(self.source, path.name, outcome.rows_in if outcome else 0)

    def _one(self, path: Path) -> FileOutcome | None:
        """One file in its own transaction; None when it is skipped (already loaded, or of
        months outside the run's)."""
        con, contract = self.con, self.contract
        if self._known(path):
            return None
        digest = self._digest(path)
        # Where the file name carries data (a catalog's snapshot date), the same bytes under a
        # name with another date are another snapshot, not a duplicate.
        named_day = name_date(path, contract)
        seen = next(
            (
                name
                for name, period_start in self.first_loads.get(digest, [])
                if named_day is None or period_start == named_day
            ),
            None,
        )
        if seen and self.period_filter is not None and not self.period_filter(None):
            return None
        if not seen and self.checker is None:
            self.checker = FileChecker(con, contract)
        if not seen and self.ahead is not None:
            assert self.checker is not None
            self.ahead.prepare(path, self.checker)  # outside the file's transaction
        self._recorded = None
        con.execute("begin transaction")
        try:
            if seen:
                outcome = FileOutcome(path.name, "duplicate", 0, 0, 0, f"same content as {seen}")
                self._record(path, digest, outcome, None)
            else:
                try:
                    outcome = self._file(path, digest)
                except UnreadableFile as error:
                    # DuckDB's reader failed inside the pass, which aborts the transaction: the
                    # rejection is recorded in a new one.
                    self._rollback()
                    con.execute("begin transaction")
                    outcome = self._rejected(path, digest, str(error))
            if outcome is None:  # another partition's month
                self._rollback()
                return None
            con.execute("commit")
        except BaseException:
            self._rollback()
            raise
        if self._recorded is not None and outcome.outcome != "duplicate":
            digest, name, period_start = self._recorded
            self.first_loads.setdefault(digest, []).append((name, period_start))
        return outcome

    def _rollback(self) -> None:
        self.con.execute("rollback")
        if self.checker is not None:
            self.checker.rolled_back()

    def _digest(self, path: Path) -> str:
        assert self.digests is not None
        return self.digests.digest(path)

    def _known(self, path: Path) -> bool:
        """Loaded before: the same name and content under this contract version."""
        return (path.name, self._digest(path)) in self.loaded_before

    def _skipped_by_period(self, period_start: object) -> bool:
        return self.period_filter is not None and not self.period_filter(period_start)  # type: ignore[arg-type]

    def _rejected(self, path: Path, digest: str, message: str) -> FileOutcome | None:
        self.boundary.discard(self.con, path.name)
        if self._skipped_by_period(None):
            return None
        outcome = FileOutcome(path.name, "rejected", 0, 0, 0, message)
        self._record(path, digest, outcome, None)
        return outcome

    def _file(self, path: Path, digest: str) -> FileOutcome | None:
        """Parse, type and check one file in one pass; write its good rows to the lake,
        quarantine the rest.

        A file that breaks the schema (unreadable, wrong encoding, unmappable header) is rejected
        whole and nothing of it is loaded; otherwise rows_in = rows_loaded + rows_quarantined.
        """
        con, contract, source = self.con, self.contract, self.source
        checker = self.checker
        assert checker is not None
        checker.start_file()
        tabular: TabularFile | None = None
        try:
            if self.ahead is not None:
                parsed = self.ahead.file(path)
                if self._skipped_by_period(parsed.period_start):
                    return None
                self.ahead.stage(path, parsed, checker)
            else:
                tabular = open_tabular(path, contract)
                parsed = ParsedFile(rows=pl.DataFrame(), warnings=list(tabular.warnings))
                relation = tabular.relation()
                if relation is not None:
                    self._read_in_one_pass(path, relation)
                else:
                    for batch in tabular.batches():
                        checker.add_batch(batch)
            checker.finish()
        except (RejectedFile, SchemaRejection) as error:
            return self._rejected(path, digest, f"[{error.rule}] {error}")
        except (pl.exceptions.PolarsError, pa.ArrowException, UnicodeDecodeError) as error:
            detail = " ".join(str(error).split())[:400]
            return self._rejected(
                path,
                digest,
                f"[file_readable] {path.name}: not readable as {source} rows: {detail}",
            )
        finally:
            if tabular is not None:
                tabular.close()
        rows_in, rows_loaded, rows_quarantined = checker.counts()
        # The GX boundary sees every typed row, failing ones included, and cross-checks its
        # findings with the run's failures: the file's go in first. (A clean file, the common
        # case, skips every statement about failures: each is a fixed ≈ 1 ms.)
        if rows_quarantined:
            con.execute(
                f"insert into {FAILURES_OF_RUN} select ?, row_number, rule from _failures",
                [path.name],
            )
        self.boundary.add(con, path.name, checker)
        checker.keep_passing()
        if tabular is not None:
            _describe_rows(con, contract, parsed)
            if self._skipped_by_period(parsed.period_start):
                self.boundary.discard(con, path.name)
                return None
        message = "; ".join([*checker.warnings(), *parsed.warnings]) or None
        if rows_quarantined:
            note = f"{rows_quarantined} row(s) quarantined: " + _quarantine_note(con)
            message = f"{note}; {message}" if message else note
        outcome = FileOutcome(
            path.name,
            "loaded_with_quarantine" if rows_quarantined else "loaded",
            rows_in,
            rows_loaded,
            rows_quarantined,
            message,
        )
        load_seq = self._record(path, digest, outcome, parsed)
        # The parts are renamed into place before the audit row commits: a crash in between
        # leaves parts that no audit row names, which the next run's load of the same file
        # (unrecorded, so loaded again) replaces, as its key is the file's, not the load's.
        self.lake.write_file(
            con,
            file_key(source, path.name),
            f"select * exclude (row_number), {load_seq}::bigint as load_seq, "
            f"{sql_text(self.load_id)} as load_id, {sql_text(path.name)} as source_file, "
            f"{sql_text(digest)} as file_hash, row_number as source_row_number, "
            f"{sql_text(self.loaded_at.isoformat(sep=' '))}::timestamp as loaded_at "
            "from _staged",
        )
        if rows_quarantined:
            con.execute(
                """
                insert into audit.quarantine by name
                select ? as load_id, ? as source, ? as file_name, ? as file_hash, row_number,
                    rule, ? || ' row ' || row_number || ': rule ' || rule || ' failed — '
                        || message as message,
                    original_values, ?::timestamp as loaded_at
                from _failures order by row_number, rule
                """,
                [self.load_id, source, path.name, digest, path.name, self.loaded_at],
            )
        return outcome

    def _read_in_one_pass(self, path: Path, relation: FileRelation) -> None:
        """The checker's pass over DuckDB's reader of the file; a file the reader refuses (a
        row longer than the header, a broken quote, a corrupt Parquet) is unreadable."""
        assert self.checker is not None
        try:
            for statement in relation.prepare:
                self.con.execute(statement)
            self.checker.check(relation.select_sql, relation.incoming)
            for statement in relation.cleanup:
                self.con.execute(statement)
        except (duckdb.InvalidInputException, duckdb.IOException) as error:
            lines = str(error).split("Possible fixes")[0].split()
            raise UnreadableFile(
                f"[file_readable] {path.name}: not readable as {self.source} rows: "
                + " ".join(lines)[:400]
            ) from error

    def _record(
        self, path: Path, digest: str, outcome: FileOutcome, parsed: ParsedFile | None
    ) -> int:
        """One audit.loads row per file and load; its load_seq orders versions (latest wins)."""
        row = self.con.execute(
            """
            insert into audit.loads (
                load_id, source, file_name, file_hash, file_bytes, contract_version, outcome,
                rows_in, rows_loaded, rows_quarantined, province_code, province_name,
                period_grain, period_start, period_end, message, loaded_at
            ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            returning load_seq
            """,
            [
                self.load_id,
                self.source,
                path.name,
                digest,
                path.stat().st_size,
                self.contract.version,
                outcome.outcome,
                outcome.rows_in,
                outcome.rows_loaded,
                outcome.rows_quarantined,
                parsed.province_code if parsed else None,
                parsed.province_name if parsed else None,
                parsed.period_grain if parsed else None,
                parsed.period_start if parsed else None,
                parsed.period_end if parsed else None,
                outcome.message,
                self.loaded_at,
            ],
        ).fetchone()
        assert row is not None
        self._recorded = (digest, path.name, parsed.period_start if parsed else None)
        return int(row[0])


def _quarantine_note(con: duckdb.DuckDBPyConnection, rows_shown: int = 5) -> str:
    """Each rule with the rows it quarantined and its first message, for audit.loads (and so
    for `make pipeline`'s output): 'rule R on rows 2, 3 (row 2: why)'."""
    parts = []
    for rule, count, numbers, example in con.execute(
        f"""
        select rule, count(*), list(row_number order by row_number)[1:{rows_shown}],
            min_by(message, row_number)
        from _failures group by rule order by min(row_number), rule
        """
    ).fetchall():
        more = f" and {count - len(numbers)} more" if count > len(numbers) else ""
        rows = ", ".join(map(str, numbers))
        parts.append(f"{rule} on row{'s' if count > 1 else ''} {rows}{more} ({example})")
    return "; ".join(parts)


def _describe_rows(con: duckdb.DuckDBPyConnection, contract: Contract, parsed: ParsedFile) -> None:
    """audit.loads' province and period of a row-level file: its single province (if it has one)
    and the range of the dates its rows are about."""
    if not contract.province_rules:
        return
    rule = contract.province_rules[0]
    day = rule.date_sql
    code = f'"{rule.code_column}"' if rule.code_column else "null"
    row = con.execute(
        f"select count(distinct {code}), min({code}), min({day})::date, max({day})::date, "
        f"count(distinct {era_expression(rule.date_sql)}) from _staged"
    ).fetchone()
    assert row is not None
    codes, first_code, first_day, last_day, eras = row
    if first_day is None:
        return
    parsed.period_grain, parsed.period_start, parsed.period_end = "range", first_day, last_day
    if codes == 1 and eras == 1:
        try:
            province = resolve_province(first_code, first_day)
        except UnknownProvinceError:
            return
        parsed.province_code, parsed.province_name = province.code, province.name


def refresh_current_views(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """raw.<source>_current: the latest loaded version of every key (the contract's replaceKey),
    so a corrected re-export replaces the earlier rows while raw.<source> keeps them all."""
    if not contract.replace_key:
        return
    keys = ", ".join(f'"{c}"' for c in contract.replace_key)
    define_view(
        con,
        f"{contract.table}_current",
        f"select * from {contract.table} qualify row_number() over (partition by {keys} "
        "order by load_seq desc, source_row_number desc) = 1",
    )
