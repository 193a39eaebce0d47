"""Land files into the warehouse: parse, check against the contract, load or quarantine, audit.

Every landed file gets exactly one row in ``audit.loads`` per content it had (its SHA-256): a file
seen before is skipped, so loading a folder twice changes nothing. Each file is loaded in its own
transaction: a crash leaves no half-loaded file behind. Nothing in the landing folder is modified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from pipelines.lib.admin_units import UnknownProvinceError, resolve_province
from pipelines.lib.contracts import Contract, load_contract
from pipelines.lib.files import FileReadError, file_sha256
from pipelines.lib.ingest_types import ParsedFile, RejectedFile
from pipelines.lib.official_figures import parse_governance_indices, parse_published_index
from pipelines.lib.parsers.tabular import SchemaRejection, TabularFile, name_date, open_tabular
from pipelines.lib.portal_report import ReportFormatError, parse_report
from pipelines.lib.progress import LoadListener, load_listener
from pipelines.lib.validation.boundary import BoundaryValidator
from pipelines.lib.validation.rules import FileChecker, era_expression
from pipelines.settings import SOURCES

LINEAGE_COLUMNS = {
    "load_seq": "bigint",
    "load_id": "varchar",
    "source_file": "varchar",
    "file_hash": "varchar",
    "source_row_number": "bigint",
    "loaded_at": "timestamp",
}

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

# The WAL size that triggers a checkpoint while a source loads (DuckDB's default is 16 MB;
# 1 GB cost about the same CPU on 2 M dossier rows and held ~600 MB more memory).
LOAD_CHECKPOINT_THRESHOLD = "256MB"


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


def ensure_schema(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute(AUDIT_DDL)
    columns = [f"{c.name} {c.physical_type}" for c in contract.columns]
    columns += [f"{name} {ddl}" for name, ddl in LINEAGE_COLUMNS.items()]
    con.execute(f"create table if not exists {contract.table} ({', '.join(columns)})")


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
) -> IngestSummary:
    """Load every new file of one source's landing folder, each in its own transaction.

    ``period_filter`` (partitioned runs): given a file's period start (None when the file was
    refused before its period was read, or is a duplicate), False leaves the file unrecorded for
    the run whose months hold it. A row-level file's period starts at its earliest row date.
    """
    contract = load_contract(source)
    ensure_schema(con, contract)
    summary = IngestSummary(source)
    loaded_at = (now or datetime.now(UTC)).replace(tzinfo=None)
    boundary = BoundaryValidator.for_contract(contract, gx_max_rows)
    con.execute(
        "create or replace temp table _failures_all "
        "(file_name varchar, row_number bigint, rule varchar)"
    )
    # The checker's work tables and macros: once per source (made before the first new file,
    # outside the files' transactions), none when nothing is new.
    checkers: list[FileChecker] = []
    # Per-file commits must not each checkpoint a growing database file: raise the WAL size
    # that triggers one for the load, and put the setting back afterwards.
    (threshold,) = con.execute(  # type: ignore[misc]
        "select current_setting('checkpoint_threshold')"
    ).fetchone()
    con.execute(f"set checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'")
    listener = load_listener()
    files = list(landed_files(landing_dir))
    listener.source_started(source, len(files))
    try:
        _ingest_files(
            con, source, files, contract, checkers, summary, boundary, listener,
            load_id=load_id, loaded_at=loaded_at, period_filter=period_filter,
        )  # fmt: skip
    finally:
        listener.source_finished(source)
        con.execute(f"set checkpoint_threshold = '{threshold}'")
        for checker in checkers:
            checker.drop()
    boundary.flush(con)
    for outcome in summary.files:
        outcome.boundary_results = boundary.results_for(outcome.file_name)
    summary.boundary = boundary
    con.execute("drop table if exists _failures_all")
    refresh_current_views(con, contract)
    return summary


def _ingest_files(
    con: duckdb.DuckDBPyConnection,
    source: str,
    files: list[Path],
    contract: Contract,
    checkers: list[FileChecker],
    summary: IngestSummary,
    boundary: BoundaryValidator,
    listener: LoadListener,
    *,
    load_id: str,
    loaded_at: datetime,
    period_filter: Callable[[date | None], bool] | None,
) -> None:
    """Each new file of the folder in its own transaction, appended to ``summary``; the one
    FileChecker of the source is made on the first new file and kept in ``checkers``. The
    listener hears of every file, skipped ones included (with 0 rows)."""
    for path in files:
        outcome = _ingest_one(
            con, source, path, contract, checkers, boundary,
            load_id=load_id, loaded_at=loaded_at, period_filter=period_filter,
        )  # fmt: skip
        if outcome is not None:
            summary.files.append(outcome)
        listener.file_done(source, path.name, outcome.rows_in if outcome else 0)


def _ingest_one(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    contract: Contract,
    checkers: list[FileChecker],
    boundary: BoundaryValidator,
    *,
    load_id: str,
    loaded_at: datetime,
    period_filter: Callable[[date | None], bool] | None,
) -> FileOutcome | None:
    """One file in its own transaction; None when it is skipped (already loaded, or of months
    outside the run's)."""
    digest = file_sha256(path)
    known = [source, digest, contract.version]
    if con.execute(
        "select 1 from audit.loads where source = ? and file_hash = ? "
        "and contract_version = ? and file_name = ?",
        [*known, path.name],
    ).fetchone():
        return None
    # Where the file name carries data (a catalog's snapshot date), the same bytes under a
    # name with another date are another snapshot, not a duplicate.
    named_day = name_date(path, contract)
    seen = con.execute(
        "select file_name from audit.loads where source = ? and file_hash = ? "
        "and contract_version = ? and outcome <> 'duplicate' "
        "and (?::date is null or period_start = ?::date) order by load_seq limit 1",
        [*known, named_day, named_day],
    ).fetchone()
    if seen and period_filter is not None and not period_filter(None):
        return None
    if not seen and not checkers:
        checkers.append(FileChecker(con, contract))
    con.execute("begin transaction")
    try:
        if seen:
            outcome = FileOutcome(path.name, "duplicate", 0, 0, 0, f"same content as {seen[0]}")
            _record_load(con, source, path, digest, contract, load_id, loaded_at, outcome, None)
        else:
            outcome = _ingest_file(
                con,
                source,
                path,
                digest,
                contract,
                load_id,
                loaded_at,
                boundary,
                checkers[0],
                period_filter,
            )
        if outcome is None:  # another partition's month
            con.execute("rollback")
            for checker in checkers:
                checker.forget_typed()
            return None
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        for checker in checkers:
            checker.forget_typed()
        raise
    return outcome


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    digest: str,
    contract: Contract,
    load_id: str,
    loaded_at: datetime,
    boundary: BoundaryValidator,
    checker: FileChecker,
    period_filter: Callable[[date | None], bool] | None = None,
) -> FileOutcome | None:
    """Parse, type and check one file in bounded batches; load its good rows, quarantine the rest.

    A file that breaks the schema (unreadable, wrong encoding, unmappable header) is rejected
    whole and nothing of it is loaded; otherwise rows_in = rows_loaded + rows_quarantined.
    """
    checker.start_file()
    tabular: TabularFile | None = None
    try:
        if source in FILE_PARSERS:
            parsed = FILE_PARSERS[source](path)
            if period_filter is not None and not period_filter(parsed.period_start):  # type: ignore[arg-type]
                return None
            batches: Iterable[pa.Table] = [parsed.rows.to_arrow()]
        else:
            tabular = open_tabular(path, contract)
            parsed = ParsedFile(rows=pl.DataFrame(), warnings=list(tabular.warnings))
            batches = tabular.batches()
        for batch in batches:
            checker.add_batch(batch)
            boundary.add(con, path.name, checker)
        checker.finish()
    except (RejectedFile, SchemaRejection) as error:
        boundary.discard(con, path.name)
        if period_filter is not None and not period_filter(None):
            return None
        outcome = FileOutcome(path.name, "rejected", 0, 0, 0, f"[{error.rule}] {error}")
        _record_load(con, source, path, digest, contract, load_id, loaded_at, outcome, None)
        return outcome
    except (pl.exceptions.PolarsError, pa.ArrowException, UnicodeDecodeError) as error:
        boundary.discard(con, path.name)
        if period_filter is not None and not period_filter(None):
            return None
        detail = " ".join(str(error).split())[:400]
        message = f"[file_readable] {path.name}: not readable as {source} rows: {detail}"
        outcome = FileOutcome(path.name, "rejected", 0, 0, 0, message)
        _record_load(con, source, path, digest, contract, load_id, loaded_at, outcome, None)
        return outcome
    finally:
        if tabular is not None:
            tabular.close()
    rows_in, rows_loaded, rows_quarantined = checker.counts()
    if tabular is not None:
        _describe_rows(con, contract, parsed)
        if period_filter is not None and not period_filter(parsed.period_start):  # type: ignore[arg-type]
            boundary.discard(con, path.name)
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
    load_seq = _record_load(
        con, source, path, digest, contract, load_id, loaded_at, outcome, parsed
    )
    columns = ", ".join(f'"{c}"' for c in contract.column_names)
    con.execute(
        f"insert into {contract.table} by name select {columns}, ? as load_seq, "
        "? as load_id, ? as source_file, ? as file_hash, row_number as source_row_number, "
        "?::timestamp as loaded_at from _staged",
        [load_seq, load_id, path.name, digest, loaded_at],
    )
    con.execute(
        """
        insert into audit.quarantine by name
        select ? as load_id, ? as source, ? as file_name, ? as file_hash, row_number, rule,
            ? || ' row ' || row_number || ': rule ' || rule || ' failed — ' || message
                as message,
            original_values, ?::timestamp as loaded_at
        from _failures order by row_number, rule
        """,
        [load_id, source, path.name, digest, path.name, loaded_at],
    )
    con.execute("insert into _failures_all select ?, row_number, rule from _failures", [path.name])
    return outcome


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
    con.execute(
        f"create or replace view {contract.table}_current as select * from {contract.table} "
        f"qualify row_number() over (partition by {keys} "
        "order by load_seq desc, source_row_number desc) = 1"
    )


def _record_load(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    digest: str,
    contract: Contract,
    load_id: str,
    loaded_at: datetime,
    outcome: FileOutcome,
    parsed: ParsedFile | None,
) -> int:
    """One audit.loads row per file and load; its load_seq orders versions (latest wins)."""
    row = con.execute(
        """
        insert into audit.loads (
            load_id, source, file_name, file_hash, file_bytes, contract_version, outcome,
            rows_in, rows_loaded, rows_quarantined, province_code, province_name, period_grain,
            period_start, period_end, message, loaded_at
        ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        returning load_seq
        """,
        [
            load_id,
            source,
            path.name,
            digest,
            path.stat().st_size,
            contract.version,
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
            loaded_at,
        ],
    ).fetchone()
    assert row is not None
    return int(row[0])
