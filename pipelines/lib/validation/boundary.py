"""Great Expectations 1.x at the file boundary, with suites generated from the data contract.

Division of labour (measured, see benchmarks/bench_contracts.py): DuckDB SQL compiled from the
contract types and checks every row and decides quarantine (fast, exact, bounded memory). GX runs
the suite generated from the same contract — the schema (columns), required columns not null and
allowed values — on the typed rows as they arrive, in bounded pandas batches (at most
``GX_BATCH_ROWS`` rows; never a whole large source), and is an independent oracle: a row GX finds
unexpected that the SQL did not quarantine under the matching rule is a bug in the contract's
compilation, and the raw asset fails loudly (ContractEnginesDisagree).

GX costs a fixed ~20-60 ms per expectation per run whatever the row count, so rows of small files
are pooled (with their file name) into one GX run per ``GX_BATCH_ROWS``; per source and run at
most ``CCHC_GX_MAX_ROWS`` rows go through GX (default 250,000; ``all`` for every row; ``0``
turns it off) and the rest are checked by the SQL alone — audit and the Dagster check say so.
The budget is shared among the run's files (``expect_files``): each file gives an even share of
what is left (a small file's unused share goes to the next ones) as rows spread through it
(every k-th row number), so GX sees every file of a large run (each file's header mapping,
format and typing: what the oracle checks is the SQL compiled for that shape) rather than the
first files whole.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from pipelines.lib.contracts import Contract
from pipelines.lib.validation.rules import quote, sql_text, type_rule

if TYPE_CHECKING:
    from pipelines.lib.validation.rules import FileChecker

GX_BATCH_ROWS = 100_000
# The run's quarantined (file, row, rule), filled by pipelines.lib.ingest.SourceLoad.
FAILURES_OF_RUN = "_failures_of_run"
DEFAULT_GX_MAX_ROWS = 250_000
SAMPLE_ROWS = 20  # row numbers kept per failing expectation and file, for the check metadata


def gx_row_budget(value: int | str | None = "env") -> int | None:
    """Rows per source and run that go through GX; None = every row. ``"env"`` reads
    CCHC_GX_MAX_ROWS; ``"all"`` means every row; a number is a row count (0 = GX off)."""
    if value is None or isinstance(value, int):
        return value
    configured = os.environ.get("CCHC_GX_MAX_ROWS", "") if value == "env" else value
    configured = configured.strip().lower().replace("_", "")
    if configured in {"all", "unlimited"}:
        return None
    if configured.isdigit():
        return int(configured)
    return DEFAULT_GX_MAX_ROWS


class ContractEnginesDisagree(RuntimeError):
    """GX found a row unexpected that the SQL compiled from the same contract let through."""


@dataclass(frozen=True)
class GeneratedExpectation:
    expectation_type: str
    column: str | None
    rule: str  # the audit.quarantine rule the same contract clause produces in SQL
    kwargs: dict[str, Any]


def generate_suite(contract: Contract) -> list[GeneratedExpectation]:
    """The contract as GX expectations: one schema expectation, then per column not-null
    (required) and in-set (validValues). Types are enforced by the SQL typing that builds the
    batch, so a type expectation here could never fail and would only cost time."""
    expectations = [
        GeneratedExpectation(
            "ExpectTableColumnsToMatchSet",
            None,
            "header_unmappable",
            {"column_set": ["row_number", "__file", *contract.column_names], "exact_match": True},
        )
    ]
    for column in contract.columns:
        if column.required:
            expectations.append(
                GeneratedExpectation(
                    "ExpectColumnValuesToNotBeNull",
                    column.name,
                    f"{column.name}_required",
                    {"column": column.name},
                )
            )
        if column.valid_values:
            expectations.append(
                GeneratedExpectation(
                    "ExpectColumnValuesToBeInSet",
                    column.name,
                    f"{column.name}_allowed_values",
                    {"column": column.name, "value_set": list(column.valid_values)},
                )
            )
    return expectations


_GX_STATE: dict[str, Any] = {}
# Sources load on several threads (ingest.ingest_sources): the one GX context is built, and
# suites run, one thread at a time (GX makes no promise of thread safety).
_GX_LOCK = threading.Lock()


def _validation_definition(contract: Contract) -> Any:
    """One ephemeral GX context per process and one validation definition per contract version
    (building them costs more than running them on a small batch). Call with ``_GX_LOCK``."""
    key = f"{contract.source}@{contract.version}"
    if key in _GX_STATE:
        return _GX_STATE[key]
    context = _gx_context()  # first: it sets GX's environment before GX is imported
    import great_expectations as gx
    import great_expectations.expectations as gxe

    asset = _GX_STATE["datasource"].add_dataframe_asset(key)
    batch = asset.add_batch_definition_whole_dataframe(f"{key} batch")
    suite = gx.ExpectationSuite(f"{key} contract")
    for generated in generate_suite(contract):
        expectation = getattr(gxe, generated.expectation_type)(
            **generated.kwargs, meta={"rule": generated.rule}
        )
        suite.add_expectation(expectation)
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{key} at the file boundary", data=batch, suite=suite)
    )
    _GX_STATE[key] = definition
    return definition


def _gx_context() -> Any:
    """The process's one ephemeral GX context, made on first use. Call with ``_GX_LOCK``."""
    context = _GX_STATE.get("context")
    if context is None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        for name in ("great_expectations", "great_expectations.core"):
            logging.getLogger(name).setLevel(logging.WARNING)
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _GX_STATE["context"] = context
        _GX_STATE["datasource"] = context.data_sources.add_pandas("cchc_boundary")
    return context


def prepare_in_background() -> None:
    """Import Great Expectations and make its context on a thread of its own, started as the
    files begin to load: the import is ≈ 3.5 s of Python, which the loads' DuckDB statements
    (run outside the interpreter) overlap, instead of the first source to finish its files
    waiting for it. Nothing to do when GX is off, ready, or in a worker process (which made
    its own as it started). A failure here is left for the first flush to raise, where it
    names the source."""
    if gx_row_budget() == 0 or "context" in _GX_STATE or _WORKER.executor is not None:
        return
    threading.Thread(target=_prepare_quietly, name="gx-warm-up", daemon=True).start()


def _prepare_context() -> None:
    with _GX_LOCK:
        _gx_context()


def _prepare_quietly() -> None:
    try:
        _prepare_context()
    except Exception:  # raised again, with its source, by the first flush
        logging.getLogger(__name__).debug("GX warm-up failed", exc_info=True)


@dataclass
class _SuiteWorker:
    """The process the GX suites run in, when one was started (``start_worker``); else they
    run in this process."""

    executor: ProcessPoolExecutor | None = None


_WORKER = _SuiteWorker()


def start_worker() -> None:
    """Run the GX suites of this run's loads in a process started now, which imports GX and
    makes its context (≈ 3.5 s of Python) on the other core while this process goes on: the
    pipeline command starts it before it loads the Dagster definitions (≈ 4 s of Python on one
    core), so the loads find GX ready instead of waiting for its import. It ends with the loads
    (``stop_worker``). Nothing is started when GX is off (CCHC_GX_MAX_ROWS=0)."""
    if _WORKER.executor is not None or gx_row_budget() == 0:
        return
    _WORKER.executor = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn")
    )
    _WORKER.executor.submit(_prepare_context)


def stop_worker() -> None:
    """End the worker process, if one was started (the suites run in this process again)."""
    executor, _WORKER.executor = _WORKER.executor, None
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class SuiteOutcome:
    """One expectation's outcome on a pooled frame, as plain values (it crosses processes)."""

    success: bool
    expectation_type: str
    rule: str
    column: str | None
    result: dict[str, Any]


def suite_outcomes(contract: Contract, frame: Any) -> list[SuiteOutcome]:
    """Run the contract's suite on ``frame`` in this process (the worker's, or the loads')."""
    with _GX_LOCK:
        definition = _validation_definition(contract)
        result = definition.run(
            batch_parameters={"dataframe": frame},
            result_format={
                "result_format": "SUMMARY",
                "unexpected_index_column_names": ["__file", "row_number"],
                "partial_unexpected_count": 1_000,
            },
        )
    outcomes = []
    for outcome in result.results:
        config = outcome.expectation_config
        outcomes.append(
            SuiteOutcome(
                success=bool(outcome.success),
                expectation_type=config.type,
                rule=(config.meta or {}).get("rule", config.type),
                column=config.kwargs.get("column"),
                result=dict(outcome.result or {}),
            )
        )
    return outcomes


def _run_suite(contract: Contract, frame: Any) -> list[SuiteOutcome]:
    executor = _WORKER.executor
    if executor is None:
        return suite_outcomes(contract, frame)
    return executor.submit(suite_outcomes, contract, frame).result()


@dataclass
class BoundaryValidator:
    """Pools typed rows of the files of one source and run, and validates them with GX."""

    contract: Contract
    budget: int | None
    rows_validated: int = 0
    rows_seen: int = 0
    # the files seen, and those that gave rows to GX
    files_seen: set[str] = field(default_factory=set)
    files_validated: set[str] = field(default_factory=set)
    runs: int = 0
    seconds: float = 0.0
    # (file, rule) -> {"expectation", "column", "unexpected", "rows"}
    findings: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _pooled: int = 0
    # Files of the run still to come (``expect_files``), the budget's share of each.
    _files_left: int = 1

    @classmethod
    def for_contract(
        cls, contract: Contract, budget: int | str | None = "env"
    ) -> BoundaryValidator:
        return cls(contract, gx_row_budget(budget))

    def _room(self) -> int | None:
        return (
            None
            if self.budget is None
            else max(self.budget - self.rows_validated - self._pooled, 0)
        )

    def expect_files(self, count: int) -> None:
        """The number of files the run may still pool: the budget is shared among them."""
        self._files_left = max(count, 1)

    def file_share(self, rows_in: int) -> int:
        """Rows of a file of ``rows_in`` rows that go through GX: all of them without a budget,
        else an even share (rounded up) of what the budget has left among the files still to
        come."""
        room = self._room()
        if room is None:
            return rows_in
        return min(rows_in, -(-room // self._files_left))

    def add(self, con: duckdb.DuckDBPyConnection, file_name: str, checker: FileChecker) -> None:
        """Pool the file's share of typed rows (``_staged`` before its failing rows leave it),
        in row order, validating each full pool: a pool never exceeds GX_BATCH_ROWS.
        Call it once the file's failures are in FAILURES_OF_RUN (a flush cross-checks them)."""
        self.rows_seen += checker.rows_in
        self.files_seen.add(file_name)
        share = self.file_share(checker.rows_in)
        self._files_left = max(self._files_left - 1, 1)
        if not share:
            return
        self.files_validated.add(file_name)
        columns = ", ".join(["row_number", *map(quote, self.contract.column_names)])
        rows_sql = "_staged"
        if share < checker.rows_in:
            # the rows whose number is a multiple of k (a file's rows are numbered by their
            # line: spread through the file), in row order; one filter, no window (a sort of
            # the file's rows cost 3× the pooling)
            step = checker.rows_in // share
            rows_sql = (
                f"(select * from _staged where row_number % {step} = 0 "
                f"order by row_number limit {share})"
            )
        pooled = 0  # rows of this file pooled so far, the first in row order
        while pooled < share:
            room = self._room()
            take = GX_BATCH_ROWS - self._pooled
            if room is not None:
                take = min(take, room)
            if take <= 0:
                return
            # rows pooled means the pool is there (a rejected file's are discarded first)
            if not self._pooled and not self._pool_exists(con):
                con.execute(
                    f"create or replace temp table _gx_pool as select {columns}, "
                    f"{sql_text(file_name)} as __file from _staged limit 0"
                )
            # The whole share when it fits (the common case: no sort), else the next rows.
            rows = (
                ""
                if pooled == 0 and take >= share
                else f" order by row_number limit {take} offset {pooled}"
            )
            (inserted,) = con.execute(  # type: ignore[misc]
                f"insert into _gx_pool select {columns}, {sql_text(file_name)} as __file "
                f"from {rows_sql}{rows}"
            ).fetchone()
            if not inserted:
                return
            pooled += int(inserted)
            self._pooled += int(inserted)
            if self._pooled >= GX_BATCH_ROWS:
                self.flush(con)

    def discard(self, con: duckdb.DuckDBPyConnection, file_name: str) -> None:
        """Forget the pooled rows of a file rejected after some of its batches were pooled."""
        if self._pool_exists(con):
            dropped = con.execute(
                "delete from _gx_pool where __file = ? returning 1", [file_name]
            ).fetchall()
            self._pooled = max(self._pooled - len(dropped), 0)
        self.files_seen.discard(file_name)
        self.files_validated.discard(file_name)

    def _pool_exists(self, con: duckdb.DuckDBPyConnection) -> bool:
        return bool(
            con.execute(
                "select 1 from duckdb_tables() where temporary and table_name = '_gx_pool'"
            ).fetchone()
        )

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        """Run the suite on the pool (one bounded pandas frame) and cross-check it with the SQL."""
        if not self._pooled or not self._pool_exists(con):
            return
        import time

        began = time.perf_counter()
        frame = con.execute("select * from _gx_pool").df()
        outcomes = _run_suite(self.contract, frame)
        self.seconds += time.perf_counter() - began
        self.runs += 1
        self.rows_validated += len(frame)
        self._pooled = 0
        unexpected: list[tuple[str, int, str, str]] = []
        for outcome in outcomes:
            if outcome.success:
                continue
            rule, column = outcome.rule, outcome.column
            indexes = outcome.result.get("partial_unexpected_index_list") or []
            if column is None:  # the schema expectation: a bug in the parser, never data
                raise ContractEnginesDisagree(
                    f"{self.contract.source}: GX {outcome.expectation_type} failed on the typed "
                    f"rows: {outcome.result}"
                )
            for index in indexes:
                file_name, row_number = index["__file"], int(index["row_number"])
                unexpected.append((file_name, row_number, rule, column))
                finding = self.findings.setdefault(
                    (file_name, rule),
                    {
                        "expectation": outcome.expectation_type,
                        "column": column,
                        "unexpected": 0,
                        "rows": [],
                    },
                )
                finding["unexpected"] += 1
                if len(finding["rows"]) < SAMPLE_ROWS:
                    finding["rows"].append(row_number)
        self._cross_check(con, unexpected)
        con.execute("drop table if exists _gx_pool")

    def _cross_check(
        self, con: duckdb.DuckDBPyConnection, unexpected: list[tuple[str, int, str, str]]
    ) -> None:
        """Every row GX found unexpected must have been quarantined by the SQL under the same
        contract clause (or, for an empty value, under the column's type rule)."""
        if not unexpected:
            return
        con.execute(
            "create or replace temp table _gx_unexpected "
            "(file_name varchar, row_number bigint, rule varchar, type_rule varchar)"
        )
        con.executemany(
            "insert into _gx_unexpected values (?, ?, ?, ?)",
            [
                (f, n, rule, (type_rule(self.contract.column(col)) or ("",))[0])
                for f, n, rule, col in unexpected
            ],
        )
        missed = con.execute(
            f"""
            select u.file_name, u.row_number, u.rule from _gx_unexpected u
            where not exists (
                select 1 from {FAILURES_OF_RUN} q
                where q.file_name = u.file_name and q.row_number = u.row_number
                  and q.rule in (u.rule, u.type_rule)
            )
            order by 1, 2 limit 5
            """
        ).fetchall()
        con.execute("drop table _gx_unexpected")
        if missed:
            raise ContractEnginesDisagree(
                f"{self.contract.source}: GX found rows the SQL rules let through: "
                + "; ".join(f"{f} row {n} ({rule})" for f, n, rule in missed)
            )

    @property
    def note(self) -> str | None:
        if self.budget is not None and self.rows_seen > self.rows_validated:
            return (
                f"GX validated {self.rows_validated:,} of {self.rows_seen:,} rows, from "
                f"{len(self.files_validated):,} of {len(self.files_seen):,} files (budget "
                f"CCHC_GX_MAX_ROWS={self.budget:,}); SQL rules checked every row"
            )
        return None

    def results_for(self, file_name: str) -> list[dict[str, Any]]:
        return [
            {"rule": rule, **finding}
            for (name, rule), finding in sorted(self.findings.items())
            if name == file_name
        ]
