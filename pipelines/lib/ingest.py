"""Land files into the warehouse: parse, check against the contract, load or quarantine, audit.

Every landed file gets exactly one row in ``audit.loads`` per content it had (its SHA-256): a file
seen before is skipped, so loading a folder twice changes nothing. Each file is loaded in its own
transaction: a crash leaves no half-loaded file behind. Nothing in the landing folder is modified.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.contracts import Contract, load_contract
from pipelines.lib.files import FileReadError, file_sha256
from pipelines.lib.portal_report import ReportFormatError, parse_report

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


class RejectedFile(ValueError):
    """A file refused whole; the message names the file, the place and the rule."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


@dataclass
class ParsedFile:
    """What a source parser hands over: rows in contract columns plus the period key."""

    rows: pl.DataFrame  # contract columns + row_number (+ helper columns the rules read)
    province_code: str | None = None
    province_name: str | None = None
    period_grain: str | None = None
    period_start: object = None
    period_end: object = None
    warnings: list[str] = field(default_factory=list)


def parse_portal_report(path: Path) -> ParsedFile:
    try:
        report = parse_report(path)
    except (ReportFormatError, FileReadError) as error:
        rule = "file_readable" if isinstance(error, FileReadError) else "header_mappable"
        raise RejectedFile(rule, str(error)) from error
    warnings = []
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


PARSERS: dict[str, Callable[[Path], ParsedFile]] = {"portal_report": parse_portal_report}


@dataclass
class FileOutcome:
    file_name: str
    outcome: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    message: str | None


@dataclass
class IngestSummary:
    source: str
    files: list[FileOutcome] = field(default_factory=list)

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
    period_filter: Callable[[date | None], bool] | None = None,
) -> IngestSummary:
    """Load every new file of ``landing_dir``.

    ``period_filter`` (partitioned runs): given a file's period start (None when the file was
    refused before its period was read, or is a duplicate), False leaves the file unrecorded for
    the run whose months hold it.
    """
    contract = load_contract(source)
    ensure_schema(con, contract)
    parser = PARSERS[source]
    summary = IngestSummary(source)
    loaded_at = (now or datetime.now(UTC)).replace(tzinfo=None)
    for path in landed_files(landing_dir):
        digest = file_sha256(path)
        known = [source, digest, contract.version]
        if con.execute(
            "select 1 from audit.loads where source = ? and file_hash = ? "
            "and contract_version = ? and file_name = ?",
            [*known, path.name],
        ).fetchone():
            continue
        seen = con.execute(
            "select file_name from audit.loads where source = ? and file_hash = ? "
            "and contract_version = ? and outcome <> 'duplicate' order by load_seq limit 1",
            known,
        ).fetchone()
        if seen and period_filter is not None and not period_filter(None):
            continue
        con.execute("begin transaction")
        try:
            if seen:
                outcome = FileOutcome(path.name, "duplicate", 0, 0, 0, f"same content as {seen[0]}")
                _record_load(con, source, path, digest, contract, load_id, loaded_at, outcome, None)
            else:
                outcome = _ingest_file(
                    con, source, path, digest, contract, parser, load_id, loaded_at, period_filter
                )
            if outcome is None:
                con.execute("rollback")
                continue
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        summary.files.append(outcome)
    return summary


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    digest: str,
    contract: Contract,
    parser: Callable[[Path], ParsedFile],
    load_id: str,
    loaded_at: datetime,
    period_filter: Callable[[date | None], bool] | None = None,
) -> FileOutcome | None:
    try:
        parsed = parser(path)
    except RejectedFile as error:
        if period_filter is not None and not period_filter(None):
            return None
        outcome = FileOutcome(path.name, "rejected", 0, 0, 0, f"[{error.rule}] {error}")
        _record_load(con, source, path, digest, contract, load_id, loaded_at, outcome, None)
        return outcome
    if period_filter is not None and not period_filter(parsed.period_start):  # type: ignore[arg-type]
        return None
    rows = parsed.rows
    failures = find_rule_failures(con, rows, contract)
    failed_rows = set(failures.get_column("row_number").to_list()) if failures.height else set()
    good = rows.filter(~pl.col("row_number").is_in(list(failed_rows)))
    lineage = {
        "load_id": pl.lit(load_id),
        "source_file": pl.lit(path.name),
        "file_hash": pl.lit(digest),
        "source_row_number": pl.col("row_number"),
        "loaded_at": pl.lit(loaded_at),
    }
    message = "; ".join(parsed.warnings) or None
    if failures.height:
        rules = ", ".join(sorted(set(failures.get_column("rule").to_list())))
        note = f"{len(failed_rows)} row(s) quarantined by {rules}"
        message = f"{note}; {message}" if message else note
    outcome = FileOutcome(
        path.name,
        "loaded_with_quarantine" if failed_rows else "loaded",
        rows.height,
        good.height,
        len(failed_rows),
        message,
    )
    load_seq = _record_load(
        con, source, path, digest, contract, load_id, loaded_at, outcome, parsed
    )
    to_load = good.select(*contract.column_names, load_seq=pl.lit(load_seq), **lineage)  # noqa: F841
    con.execute(f"insert into {contract.table} by name select * from to_load")
    if failures.height:
        originals = rows.filter(pl.col("row_number").is_in(list(failed_rows)))
        _quarantine(con, source, path, digest, load_id, loaded_at, failures, originals)
    return outcome


def find_rule_failures(
    con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, contract: Contract
) -> pl.DataFrame:
    """One row per (row, broken rule): the contract's required, allowed-value and row rules."""
    checks: list[tuple[str, str, str]] = []
    present = set(rows.columns)
    for column in contract.columns:
        if column.name not in present:
            continue
        if column.required:
            checks.append(
                (f"{column.name}_required", f"{column.name} is not null", f"{column.name} is empty")
            )
        if column.valid_values:
            allowed = ", ".join(f"'{v}'" for v in column.valid_values)
            checks.append(
                (
                    f"{column.name}_allowed_values",
                    f"{column.name} is null or {column.name} in ({allowed})",
                    f"{column.name} is not one of {', '.join(column.valid_values)}",
                )
            )
    for rule in contract.row_rules:
        checks.append((rule.name, rule.predicate, rule.description))
    if not checks or rows.height == 0:
        return pl.DataFrame(
            schema={"row_number": pl.Int64, "rule": pl.String, "message": pl.String}
        )
    selects = " union all ".join(
        f"select row_number, '{name}' as rule, {_sql_text(message)} as message "
        f"from parsed_rows where not coalesce(({predicate}), false)"
        for name, predicate, message in checks
    )
    con.register("parsed_rows", rows.to_arrow())
    try:
        return pl.from_arrow(con.sql(f"{selects} order by row_number, rule").to_arrow_table())
    finally:
        con.unregister("parsed_rows")


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    digest: str,
    load_id: str,
    loaded_at: datetime,
    failures: pl.DataFrame,
    originals: pl.DataFrame,
) -> None:
    values = {
        row["row_number"]: json.dumps(row, ensure_ascii=False, default=str)
        for row in originals.iter_rows(named=True)
    }
    records = failures.with_columns(
        load_id=pl.lit(load_id),
        source=pl.lit(source),
        file_name=pl.lit(path.name),
        file_hash=pl.lit(digest),
        message=pl.format(
            "{} row {}: rule {} failed — {}",
            pl.lit(path.name),
            pl.col("row_number"),
            pl.col("rule"),
            pl.col("message"),
        ),
        original_values=pl.col("row_number").replace_strict(values, return_dtype=pl.String),
        loaded_at=pl.lit(loaded_at),
    )
    con.register("quarantine_rows", records.to_arrow())
    try:
        con.execute("insert into audit.quarantine by name select * from quarantine_rows")
    finally:
        con.unregister("quarantine_rows")


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
