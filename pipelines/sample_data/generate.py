"""Orchestration: plan the volume, simulate province by province, write every source.

Order of work (all deterministic): provinces sorted legacy-then-current by code; within a
province, months in order; each month is simulated as one chunk, chunks are written in batches to
the province's dossier and payment files of that year; the reports (handed to a writer process
on multi-core machines) and satisfaction rows of the province follow once its months are done.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.sample_data import dirty as dirty_faults
from pipelines.sample_data.anchor import HOA_BINH_Q1_2023, hoa_binh_report
from pipelines.sample_data.anomalies import (
    DEFAULT_ANOMALIES,
    InjectedAnomaly,
    months_of,
    plan_anomalies,
    rescale_volumes,
)
from pipelines.sample_data.catalog import PROCEDURES
from pipelines.sample_data.counts import METRIC_INDEX, RowCounts
from pipelines.sample_data.official import write_official_figures
from pipelines.sample_data.portal_report import (
    OFFICIAL,
    AgencyRow,
    Layout,
    Report,
    ReportPeriod,
    has_returned_column,
    layout_for,
    write_report,
)
from pipelines.sample_data.simulate import (
    CHANNEL_NAMES,
    FIELDS,
    LAND_FIELDS,
    ONLINE_LEVEL_NAMES,
    SATISFACTION_LAND_PENALTY,
    SATISFACTION_TREND,
    STATUS_RESOLVED,
    YEAR_NUMBERED_CODES,
    Chunk,
    ProvinceSimulator,
    ProvinceState,
    capabilities_of,
    chunk_frame,
    held_at_cutover,
    resolution_class,
)
from pipelines.sample_data.sinks import (
    PAYMENT_COLUMNS,
    PROCEDURE_COLUMNS,
    SATISFACTION_COLUMNS,
    SATISFACTION_RESPONSE_HEADERS,
    VIETNAMESE_DOSSIER_HEADERS,
    FileFormat,
    TableWriter,
    WrittenFile,
    payments_for,
)
from pipelines.sample_data.timeline import (
    RESTRUCTURING_MONTH,
    month_first_day,
    month_index,
    month_last_day,
    month_of,
    month_volume_factor,
)
from pipelines.sample_data.units import CURRENT, LEGACY, Province, build_provinces

DEFAULT_DOSSIERS = 200_000
BATCH_ROWS = 50_000
SOURCES = (
    "portal_report",
    "dossiers",
    "payments",
    "procedures",
    "satisfaction",
    "satisfaction_responses",
    "published_index",
    "governance_indices",
)
# These provinces export their survey one row per response (scores 1-5) instead of as counts;
# the counts they stand for are the same, so the marts do not depend on the form.
RESPONSE_FORM_PROVINCES = {(LEGACY, "26"), (CURRENT, "25")}
MANIFEST_NAME = "_manifest.json"
MANIFEST_VERSION = 1

# Dossier exports vary by province: Parquet, CSV, CSV with Vietnamese headers, with a BOM.
DOSSIER_FORMATS = (
    FileFormat("parquet"),
    FileFormat("csv"),
    FileFormat("csv", vietnamese_headers=True, bom=True),
    FileFormat("parquet"),
    FileFormat("csv", bom=True),
)


@dataclass(frozen=True)
class GeneratorConfig:
    out: Path
    seed: int = 7
    start: tuple[int, int] = (2024, 1)
    end: tuple[int, int] = (2026, 10)
    dossiers: int = DEFAULT_DOSSIERS
    provinces: str = "all"
    dirty: bool = False
    legacy_communes: int = 6
    current_communes: int = 12
    anomalies: int = DEFAULT_ANOMALIES  # injected anomalies (anomalies.py); 0 = none

    @property
    def first_month(self) -> int:
        return month_index(*self.start)

    @property
    def last_month(self) -> int:
        return month_index(*self.end)


@dataclass
class Summary:
    files_by_source: Counter[str] = field(default_factory=Counter)
    dossier_rows: int = 0


@dataclass(frozen=True)
class ProvincePlan:
    province: Province
    months: tuple[int, ...]  # the window's months of this province's era
    layout: Layout
    dossier_format: FileFormat

    @property
    def label(self) -> str:
        return f"{self.province.code}_{self.province.slug}"


def _era_months(province: Province, first: int, last: int) -> tuple[int, ...]:
    if province.era == LEGACY:
        return tuple(range(first, min(last, RESTRUCTURING_MONTH - 1) + 1))
    return tuple(range(max(first, RESTRUCTURING_MONTH), last + 1))


def allocate_dossiers(total: int, plans: list[ProvincePlan]) -> dict[tuple[str, int], int]:
    """Split `total` over province-months by volume weight (largest remainder: exact total)."""
    cells = [(plan.province.key, month) for plan in plans for month in plan.months]
    weights = np.array(
        [
            plan.province.volume_weight * month_volume_factor(m)
            for plan in plans
            for m in plan.months
        ]
    )
    if not cells:
        return {}
    quotas = total * weights / weights.sum()
    counts = np.floor(quotas).astype(np.int64)
    remainder = total - int(counts.sum())
    order = np.lexsort((np.arange(len(cells)), -(quotas - counts)))
    counts[order[:remainder]] += 1
    return {cell: int(count) for cell, count in zip(cells, counts, strict=True)}


def month_tag(month: int) -> str:
    year, number = month_of(month)
    return f"{year}-{number:02d}"


# --- deliberate mismatches ------------------------------------------------------------------------


@dataclass
class Mismatch:
    """A documented disagreement between a report and the dossier-level data."""

    id: str
    kind: str
    description: str
    province_key: str
    month: int
    agency_index: int | None = None
    deltas: dict[str, int] = field(default_factory=dict)  # on base metrics, report − dossiers
    record: dict[str, object] = field(default_factory=dict)


def plan_mismatches(plans: list[ProvincePlan]) -> list[Mismatch]:
    by_volume = sorted(plans, key=lambda p: (-p.province.volume_weight, p.province.key))
    current = [p for p in by_volume if p.province.era == CURRENT and p.months]
    legacy = [p for p in by_volume if p.province.era == LEGACY and p.months]
    pool = [*current, *legacy]
    if not pool:
        return []
    online_target = current[0] if current else legacy[0]
    omit_target = legacy[0] if legacy else current[0]
    late_candidates = [p for p in pool if p not in (online_target, omit_target)] or pool
    late_target = late_candidates[0]

    def month_of_plan(plan: ProvincePlan, position: int) -> int:
        return plan.months[min(position, len(plan.months) - 1)]

    return [
        Mismatch(
            "M1",
            "report_overstates_online",
            "The report counts more online dossiers for one department than the dossier export "
            "holds (the report was filled from the portal's counter, which double counts "
            "resubmissions); the row stays internally consistent (received and resolved early "
            "raised by the same amount).",
            online_target.province.key,
            month_of_plan(online_target, 2),
        ),
        Mismatch(
            "M2",
            "dossier_export_missing_agency",
            "The dossier export lacks one agency's dossiers that were received and closed within "
            "the month (that agency's system exported late); the report counts them, the dossier "
            "file and the payment file do not.",
            omit_target.province.key,
            month_of_plan(omit_target, 3),
        ),
        Mismatch(
            "M3",
            "report_reclassifies_late_as_on_time",
            "The report shows an agency's late resolutions as on time (a 'cleaned' report); "
            "totals are unchanged, resolved late and on time differ from the dossiers.",
            late_target.province.key,
            -1,  # chosen after simulation: the agency-month with the most late resolutions
        ),
    ]


def _delta_dict(deltas: dict[str, int]) -> dict[str, int]:
    """Base deltas plus the derived totals, as the reconciliation compares them."""
    row = RowCounts().replace(**deltas)
    return {name: value for name, value in row.as_report_columns().items() if value}


# --- reports ------------------------------------------------------------------------------------


def period_counts(state: ProvinceState, first: int, last: int) -> list[RowCounts]:
    """Per agency, the report counts of the months first..last (window-relative, inclusive)."""
    counts = state.counts
    flows = counts[:, first : last + 1, :].sum(axis=1)
    rows = []
    for agency in range(counts.shape[0]):
        values = flows[agency].copy()
        values[METRIC_INDEX["carried"]] = counts[agency, first, METRIC_INDEX["carried"]]
        for stock in ("within_due", "overdue"):
            values[METRIC_INDEX[stock]] = counts[agency, last, METRIC_INDEX[stock]]
        rows.append(RowCounts.from_array(values))
    return rows


def make_report(province: Province, period: ReportPeriod, rows: list[RowCounts]) -> Report:
    return Report(
        province_name=province.name,
        division_type=province.division_type,
        period=period,
        rows=tuple(
            AgencyRow(agency.level, agency.name, counts, waiting_supplement=counts.in_progress // 8)
            for agency, counts in zip(province.agencies, rows, strict=True)
        ),
    )


# --- the run ------------------------------------------------------------------------------------


class Run:
    def __init__(self, config: GeneratorConfig, report_workers: int = 0) -> None:
        self.config = config
        # Writing ~1,700 small workbooks costs as much as the simulation: a worker process
        # writes them while the main process simulates (the files do not depend on who writes).
        self.report_pool = (
            ProcessPoolExecutor(report_workers, mp_context=multiprocessing.get_context("spawn"))
            if report_workers > 0
            else None
        )
        self.report_jobs: list[Future[None]] = []
        self.out = config.out
        self.summary = Summary()
        self.files: list[WrittenFile] = []
        self.satisfaction_writers: dict[int, TableWriter] = {}
        # dossiers a legacy province hands over on 1 July 2025, and the payments its successor
        # takes for them afterwards, by successor code (legacy provinces are simulated first)
        self.handovers: dict[str, list[tuple[Province, Chunk]]] = {}
        self.takeover_payments: dict[str, list[pl.DataFrame]] = {}
        self.anomalies: list[InjectedAnomaly] = []
        # whether each current province's report form has a returned/withdrawn column, by code
        # (a legacy province's handed-over dossiers follow its successor's system)
        self.returns_reported_by_current: dict[str, bool] = {}
        for source in SOURCES:
            (self.out / source).mkdir(parents=True, exist_ok=True)

    def submit_report(self, report: Report, layout: Layout, path: Path) -> None:
        if self.report_pool is None:
            write_report(report, layout, path)
        else:
            self.report_jobs.append(self.report_pool.submit(write_report, report, layout, path))

    def finish_reports(self) -> None:
        if self.report_pool is None:
            return
        try:
            for job in self.report_jobs:
                job.result()  # re-raises a writer's error here
        finally:
            self.report_pool.shutdown(cancel_futures=True)
            self.report_pool = None

    def relative(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()

    def register(self, written: WrittenFile) -> None:
        self.files.append(written)
        self.summary.files_by_source[written.source] += 1

    # -- plan

    @staticmethod
    def plan_for(config: GeneratorConfig) -> list[ProvincePlan]:
        legacy, current = build_provinces(
            config.provinces, config.seed, config.legacy_communes, config.current_communes
        )
        plans = []
        for index, province in enumerate([*legacy, *current]):
            months = _era_months(province, config.first_month, config.last_month)
            if not months:
                continue
            plans.append(
                ProvincePlan(
                    province,
                    months,
                    layout_for(index + config.seed),
                    DOSSIER_FORMATS[(index + config.seed) % len(DOSSIER_FORMATS)],
                )
            )
        return plans

    # -- per province

    def simulate_province(
        self,
        plan: ProvincePlan,
        cells: dict[tuple[str, int], int],
        mismatches: list[Mismatch],
        extra_grain: str | None,
    ) -> None:
        config = self.config
        province = plan.province
        simulator = ProvinceSimulator(
            province,
            config.seed,
            config.first_month,
            config.last_month,
            returns_reported=has_returned_column(plan.layout),
            successor_returns_reported=self.returns_reported_by_current.get(
                province.successor_code or "", True
            ),
        )
        simulator.offline_months = months_of(self.anomalies, "online_share_zero", province.key)
        omit = next(
            (m for m in mismatches if m.kind == "dossier_export_missing_agency"
             and m.province_key == province.key),
            None,
        )  # fmt: skip
        if province.era == CURRENT:  # (a legacy province may bear its successor's code)
            for predecessor, handed_over in self.handovers.pop(province.code, []):
                simulator.take_over(handed_over, predecessor)
            self._write_takeover_payments(plan)
        dossier_files: dict[int, tuple[TableWriter, TableWriter, list[int]]] = {}
        numbered_in_year: Counter[int] = Counter()
        pending: list[Chunk] = []
        pending_rows = 0
        batch_number = 0

        def flush(year: int) -> None:
            nonlocal pending, pending_rows, batch_number
            batch = Chunk.concat(pending)
            pending, pending_rows = [], 0
            if year not in dossier_files:
                dossier_files[year] = self._open_year_files(plan, year)
            dossier_writer, payment_writer, _ = dossier_files[year]
            frame = chunk_frame(batch, province)
            dossier_writer.write(frame)
            payment_rng = np.random.default_rng(
                [config.seed, 30, 0 if province.era == LEGACY else 1, int(province.code),
                 batch_number]
            )  # fmt: skip
            batch_number += 1
            settled_later = self._paid_at_the_successor(frame, province)
            payment_writer.write(
                payments_for(frame.filter(~settled_later), payment_rng).select(PAYMENT_COLUMNS)
            )
            self.summary.dossier_rows += frame.height

        # Format and write in batches: per-call overheads dominate tiny month chunks, and a batch
        # never spans two file-years nor exceeds BATCH_ROWS, so memory stays bounded.
        for position, month in enumerate(plan.months):
            year = month_of(month)[0]
            offset = numbered_in_year[year] if province.code in YEAR_NUMBERED_CODES else 0
            numbered_in_year[year] += cells[(province.key, month)]
            for part in simulator.simulate_month(month, cells[(province.key, month)], offset):
                chunk = part
                if omit is not None and month == omit.month:
                    chunk = self._omit_agency(chunk, month, omit, plan)
                self._hand_over(chunk, province)
                pending.append(chunk)
                pending_rows += len(chunk)
                if pending_rows >= BATCH_ROWS:
                    flush(year)
            last_of_year = (
                position + 1 == len(plan.months) or month_of(plan.months[position + 1])[0] != year
            )
            if pending and last_of_year:
                flush(year)

        for dossier_writer, payment_writer, months_of_year in dossier_files.values():
            for writer, source in ((dossier_writer, "dossiers"), (payment_writer, "payments")):
                writer.close()
                self.register(
                    WrittenFile(
                        source=source,
                        path=writer.path,
                        file_format=writer.format.label,
                        rows=writer.rows,
                        province_code=province.code,
                        era=province.era,
                        first_month=month_tag(months_of_year[0]),
                        last_month=month_tag(months_of_year[-1]),
                    )
                )
        self.write_reports(plan, simulator.state, mismatches, extra_grain)
        self.write_satisfaction(plan, simulator)

    def _hand_over(self, chunk: Chunk, province: Province) -> None:
        """Keep a legacy province's dossiers still open on 1 July 2025 for its successor."""
        if province.era != LEGACY or province.successor_code is None:
            return
        held = held_at_cutover(chunk)
        if held.any():
            self.handovers.setdefault(province.successor_code, []).append(
                (province, chunk.subset(held))
            )

    def _paid_at_the_successor(self, frame: pl.DataFrame, province: Province) -> pl.Series:
        """Handed-over dossiers with a fee not paid online are paid at the counter when their
        result is collected, in July 2025 or later: a payment of the successor, under its code
        (the code valid on the paid date). Returns the rows whose payment moves."""
        moves = (
            (pl.col("resolved_at") >= datetime(2025, 7, 1))
            & (pl.col("fee_amount_vnd") > 0)
            & ~pl.col("paid_online")
        )
        if province.era != LEGACY or province.successor_code is None:
            return pl.Series([False] * frame.height)
        mask = frame.select(moves.fill_null(False)).to_series()
        moved = frame.filter(mask)
        if moved.height:
            self.takeover_payments.setdefault(province.successor_code, []).append(
                moved.with_columns(
                    pl.lit(province.successor_code).alias("province_code"),
                    pl.col("resolved_at").alias("received_at"),  # payments_for pays after this
                )
            )
        return mask

    def _write_takeover_payments(self, plan: ProvincePlan) -> None:
        frames = self.takeover_payments.pop(plan.province.code, [])
        if not frames:
            return
        province = plan.province
        rng = np.random.default_rng([self.config.seed, 31, int(province.code)])
        # the successor's counter numbers its transactions apart ('TK-'): a taken-over dossier
        # may share its id with one of the successor's own (the reused code 80)
        payments = (
            payments_for(pl.concat(frames), rng)
            .select(PAYMENT_COLUMNS)
            .with_columns(pl.concat_str(pl.lit("TK-"), "transaction_id").alias("transaction_id"))
        )
        path = self.out / "payments" / f"{plan.label}_takeover_2025-07.csv"
        writer = TableWriter(path, FileFormat("csv"))
        writer.write(payments)
        writer.close()
        months = payments["paid_at"].dt.strftime("%Y-%m")
        self.register(
            WrittenFile(
                source="payments", path=path, file_format=writer.format.label, rows=writer.rows,
                province_code=province.code, era=province.era,
                first_month=str(months.min()), last_month=str(months.max()),
            )
        )  # fmt: skip

    def _open_year_files(
        self, plan: ProvincePlan, year: int
    ) -> tuple[TableWriter, TableWriter, list[int]]:
        months_of_year = [m for m in plan.months if month_of(m)[0] == year]
        stem = f"{plan.label}_{month_tag(months_of_year[0])}_{month_tag(months_of_year[-1])}"
        fmt = plan.dossier_format
        dossier_writer = TableWriter(
            self.out / "dossiers" / f"{stem}{fmt.suffix}",
            fmt,
            VIETNAMESE_DOSSIER_HEADERS if fmt.vietnamese_headers else None,
        )
        payment_writer = TableWriter(self.out / "payments" / f"{stem}.csv", FileFormat("csv"))
        return dossier_writer, payment_writer, months_of_year

    def _omit_agency(
        self, chunk: Chunk, month: int, mismatch: Mismatch, plan: ProvincePlan
    ) -> Chunk:
        """Drop one agency's dossiers received and closed within the month (mismatch M2)."""
        province = plan.province
        closed_same_month = (chunk.closed >= 0) & (
            chunk.closed.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
            + 1970 * 12
            == month
        )
        lower_level = "district" if province.era == LEGACY else "commune"
        candidates = [i for i, a in enumerate(province.agencies) if a.level == lower_level]
        if mismatch.agency_index is None:
            # Chosen on the month's first part (the whole month below PART_ROWS dossiers).
            per_agency = np.bincount(
                chunk.agency[closed_same_month], minlength=len(province.agencies)
            )
            if not per_agency[candidates].any():
                candidates = list(range(len(province.agencies)))
            mismatch.agency_index = max(candidates, key=lambda i: (per_agency[i], -i))
        agency = mismatch.agency_index
        omitted = closed_same_month & (chunk.agency == agency)
        deltas: Counter[str] = Counter(mismatch.deltas)
        for channel in chunk.channel[omitted]:
            deltas[CHANNEL_NAMES[channel]] += 1
        classes = resolution_class(chunk.closed[omitted], chunk.due[omitted])
        for status, cls in zip(chunk.status[omitted], classes, strict=True):
            if status == STATUS_RESOLVED:
                deltas[("early", "on_time", "late")[cls]] += 1
            else:
                deltas["returned_withdrawn"] += 1
        mismatch.deltas = dict(deltas)
        return chunk.subset(~omitted)

    def write_reports(
        self,
        plan: ProvincePlan,
        state: ProvinceState,
        mismatches: list[Mismatch],
        extra_grain: str | None,
    ) -> None:
        province = plan.province
        start = self.config.first_month
        mine = [m for m in mismatches if m.province_key == province.key]
        for mismatch in mine:
            if mismatch.kind == "report_overstates_online":
                index = mismatch.month - start
                departments = [i for i, a in enumerate(province.agencies) if a.level == "province"]
                agency = max(departments, key=lambda i: (province.agencies[i].weight, -i))
                online = int(state.counts[agency, index, METRIC_INDEX["online"]])
                extra = max(2, round(online * 0.08))
                mismatch.agency_index = agency
                mismatch.deltas = {"online": extra, "early": extra}
            elif mismatch.kind == "report_reclassifies_late_as_on_time":
                months = [m - start for m in plan.months]
                late = state.counts[:, months, METRIC_INDEX["late"]]
                # The first maximum in (month, agency) order: deterministic on ties.
                position, agency = divmod(int(np.argmax(late.T.ravel())), late.shape[0])
                count = int(late[agency, position])
                mismatch.month = plan.months[position]
                mismatch.agency_index = agency
                mismatch.deltas = {"late": -count, "on_time": count} if count else {}

        unreported = months_of(self.anomalies, "missing_report", province.key)
        for month in plan.months:
            if month in unreported:
                continue
            index = month - start
            rows = period_counts(state, index, index)
            for mismatch in mine:
                if (
                    mismatch.month == month
                    and mismatch.kind != "dossier_export_missing_agency"
                    and mismatch.agency_index is not None
                    and mismatch.deltas
                ):
                    rows[mismatch.agency_index] = rows[mismatch.agency_index].replace(
                        **mismatch.deltas
                    )
            period = ReportPeriod("month", month_first_day(month), month_last_day(month))
            path = self._report_path(plan, period)
            self.submit_report(make_report(province, period, rows), plan.layout, path)
            self._register_report(plan, period, path)
            for mismatch in mine:
                if mismatch.month == month:
                    self._describe_mismatch(mismatch, plan, period, path)

        for period in self._extra_periods(plan, extra_grain):
            first = month_index(period.start.year, period.start.month) - start
            last = month_index(period.end.year, period.end.month) - start
            path = self._report_path(plan, period)
            self.submit_report(
                make_report(province, period, period_counts(state, first, last)), plan.layout, path
            )
            self._register_report(plan, period, path)

    def _extra_periods(self, plan: ProvincePlan, grain: str | None) -> list[ReportPeriod]:
        months = set(plan.months)
        periods = []
        if grain == "year":
            for year in sorted({month_of(m)[0] for m in months}):
                if all(month_index(year, n) in months for n in range(1, 13)):
                    periods.append(ReportPeriod("year", date(year, 1, 1), date(year, 12, 31)))
        elif grain == "quarter":
            for year in sorted({month_of(m)[0] for m in months}):
                for quarter in range(4):
                    first = month_index(year, quarter * 3 + 1)
                    if all(first + k in months for k in range(3)):
                        periods.append(
                            ReportPeriod(
                                "quarter", month_first_day(first), month_last_day(first + 2)
                            )
                        )
        return periods

    def _report_path(self, plan: ProvincePlan, period: ReportPeriod) -> Path:
        return self.out / "portal_report" / f"{plan.label}_{period.tag}.{plan.layout.file_format}"

    def _register_report(self, plan: ProvincePlan, period: ReportPeriod, path: Path) -> None:
        written = WrittenFile(
            source="portal_report",
            path=path,
            file_format=plan.layout.file_format,
            rows=len(plan.province.agencies),
            province_code=plan.province.code,
            era=plan.province.era,
            first_month=f"{period.start:%Y-%m}",
            last_month=f"{period.end:%Y-%m}",
            notes=[f"layout={plan.layout.name}", f"grain={period.grain}"],
        )
        self.register(written)

    def _describe_mismatch(
        self, mismatch: Mismatch, plan: ProvincePlan, period: ReportPeriod, path: Path
    ) -> None:
        province = plan.province
        agency = (
            province.agencies[mismatch.agency_index] if mismatch.agency_index is not None else None
        )
        deltas = _delta_dict(mismatch.deltas)
        mismatch.record = {
            "id": mismatch.id,
            "kind": mismatch.kind,
            "description": mismatch.description,
            "province_code": province.code,
            "province_name": province.name,
            "era": province.era,
            "period_grain": "month",
            "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(),
            "report_file": self.relative(path),
            "agency_code": agency.code if agency else None,
            "agency_name": agency.name if agency else None,
            "agency_level": agency.level if agency else None,
            # The same differences show at the agency row, its level subtotal and the province
            # total of that report; every other report and period reconciles exactly.
            "report_minus_dossiers": deltas,
            "present": bool(deltas),
        }

    def write_satisfaction(self, plan: ProvincePlan, simulator: ProvinceSimulator) -> None:
        province = plan.province
        behaviour = simulator.behaviour
        # [agency, field, month], within the province's era: a legacy department's July
        # resolutions are rated at (and counted by) its successor
        in_era = np.isin(np.arange(simulator.state.window_months) + self.config.first_month,
                         plan.months)  # fmt: skip
        resolved = simulator.state.resolved_by_field * in_era[None, None, :]
        rng = np.random.default_rng(
            [self.config.seed, 40, 0 if province.era == LEGACY else 1, int(province.code)]
        )
        responses = rng.binomial(resolved, behaviour.response_rate)
        start = self.config.first_month
        month_numbers = np.arange(resolved.shape[2]) + start
        land = np.array([name in LAND_FIELDS for name in FIELDS])
        rate = (
            behaviour.satisfaction_base
            + np.array([SATISFACTION_TREND(int(m)) for m in month_numbers])[None, None, :]
            - SATISFACTION_LAND_PENALTY * land[None, :, None]
        )
        satisfied = rng.binomial(responses, np.clip(rate, 0.05, 0.995) * np.ones_like(responses))
        agency_i, field_i, month_i = np.nonzero(responses)
        if len(agency_i) == 0:
            return
        frame = pl.DataFrame(
            {
                "province_code": [province.code] * len(agency_i),
                "agency_code": [province.agencies[i].code for i in agency_i],
                "agency_name": [province.agencies[i].name for i in agency_i],
                "procedure_field": [FIELDS[i] for i in field_i],
                "period_start": [month_first_day(int(start + m)) for m in month_i],
                "responses": responses[agency_i, field_i, month_i].astype(np.int64),
                "satisfied_responses": satisfied[agency_i, field_i, month_i].astype(np.int64),
            }
        ).sort("period_start", "agency_code", "procedure_field")
        if (province.era, province.code) in RESPONSE_FORM_PROVINCES:
            self.write_satisfaction_responses(province, frame, rng)
            return
        for (year,), part in frame.group_by(pl.col("period_start").dt.year(), maintain_order=True):
            writer = self.satisfaction_writers.get(int(year))
            if writer is None:
                writer = TableWriter(
                    self.out / "satisfaction" / f"satisfaction_{year}.csv", FileFormat("csv")
                )
                self.satisfaction_writers[int(year)] = writer
            writer.write(part.select(SATISFACTION_COLUMNS))

    def write_satisfaction_responses(
        self, province: Province, counts: pl.DataFrame, rng: np.random.Generator
    ) -> None:
        """The same counts as one row per response: satisfied ones scored 4-5, the others 1-3,
        each at a random moment of its month; one CSV per year, Vietnamese headers and dates."""
        responses = counts["responses"].to_numpy()
        satisfied = counts["satisfied_responses"].to_numpy()
        group = np.repeat(np.arange(counts.height), responses)
        rank_in_group = np.arange(len(group)) - np.repeat(
            np.cumsum(responses) - responses, responses
        )
        is_satisfied = rank_in_group < satisfied[group]
        scores = np.where(
            is_satisfied, rng.integers(4, 6, len(group)), rng.integers(1, 4, len(group))
        )
        month_start = counts["period_start"].to_numpy().astype("datetime64[s]")[group]
        days = (
            counts["period_start"].dt.month_end().to_numpy().astype("datetime64[D]")
            - counts["period_start"].to_numpy().astype("datetime64[D]")
        ).astype(np.int64)[group] + 1
        seconds = (rng.random(len(group)) * days * 86_400).astype(np.int64)
        rated_at = (month_start + seconds.astype("timedelta64[s]")).astype("datetime64[ms]")
        frame = pl.DataFrame(
            {
                "province_code": counts["province_code"].gather(group),
                "agency_code": counts["agency_code"].gather(group),
                "agency_name": counts["agency_name"].gather(group),
                "procedure_field": counts["procedure_field"].gather(group),
                "rated_at": rated_at,
                "score": scores.astype(np.int64),
            }
        ).sort("rated_at", "agency_code", "procedure_field")
        prefix = f"DG{'L' if province.era == LEGACY else 'C'}{province.code}"
        # 'DGC17.2403.000123': like a dossier id, the month and the number within it, so that runs
        # over different windows never give two responses the same id.
        frame = frame.with_columns(
            response_id=pl.concat_str(
                pl.lit(prefix + "."),
                pl.col("rated_at").dt.strftime("%y%m"),
                pl.lit("."),
                (pl.int_range(1, pl.len() + 1).over(pl.col("rated_at").dt.strftime("%y%m")))
                .cast(pl.String)
                .str.zfill(6),
            ),
        )
        for (year,), part in frame.group_by(pl.col("rated_at").dt.year(), maintain_order=True):
            path = self.out / "satisfaction_responses" / f"danh_gia_{prefix}_{year}.csv"
            writer = TableWriter(path, FileFormat("csv"), rename=SATISFACTION_RESPONSE_HEADERS)
            writer.write(
                part.select(
                    *SATISFACTION_RESPONSE_HEADERS.keys() - {"rated_at"},
                    rated_at=pl.col("rated_at").dt.strftime("%d/%m/%Y %H:%M:%S"),
                ).select(list(SATISFACTION_RESPONSE_HEADERS))
            )
            writer.close()
            self.register(
                WrittenFile(
                    "satisfaction_responses", path, "csv", writer.rows, province.code,
                    province.era, first_month=f"{year}-01", last_month=f"{year}-12",
                )
            )  # fmt: skip

    def close_satisfaction(self) -> None:
        for year, writer in sorted(self.satisfaction_writers.items()):
            writer.close()
            self.register(
                WrittenFile(
                    "satisfaction", writer.path, "csv", writer.rows,
                    first_month=f"{year}-01", last_month=f"{year}-12",
                )
            )  # fmt: skip

    def write_procedures(self, plans: list[ProvincePlan]) -> None:
        """Catalog snapshots: the window's first day, each 1 January and 1 July 2025 inside it."""
        first, last = self.config.first_month, self.config.last_month
        snapshots = sorted(
            {first}
            | {m for m in range(first, last + 1) if month_of(m)[1] == 1}
            | ({RESTRUCTURING_MONTH} if first <= RESTRUCTURING_MONTH <= last else set())
        )
        for snapshot in snapshots:
            era = LEGACY if snapshot < RESTRUCTURING_MONTH else CURRENT
            rows = []
            for plan in plans:
                province = plan.province
                if province.era != era:
                    continue
                capabilities = capabilities_of(province, self.config.seed)
                level = capabilities.level_at(snapshot)
                payment = capabilities.payment_at(snapshot)
                integrated = capabilities.integrated_at(snapshot)
                for index, procedure in enumerate(PROCEDURES):
                    rows.append(
                        {
                            "province_code": province.code,
                            "procedure_code": procedure.code,
                            "procedure_name": procedure.name,
                            "procedure_field": procedure.field,
                            "authority_level": procedure.level_in(era),
                            "online_capability": ONLINE_LEVEL_NAMES[int(level[index])],
                            "fee_required": procedure.fee_required,
                            "online_payment_enabled": bool(
                                procedure.fee_required and level[index] > 0 and payment[index]
                            ),
                            "national_portal_integrated": bool(
                                level[index] > 0 and integrated[index]
                            ),
                        }
                    )
            if not rows:
                continue
            frame = pl.DataFrame(rows).sort("province_code", "procedure_code")
            day = month_first_day(snapshot)
            path = self.out / "procedures" / f"procedures_{day.isoformat()}.csv"
            writer = TableWriter(path, FileFormat("csv"))
            writer.write(frame.select(PROCEDURE_COLUMNS))
            writer.close()
            self.register(
                WrittenFile(
                    "procedures", path, "csv", frame.height, era=era,
                    first_month=f"{day:%Y-%m}", last_month=f"{day:%Y-%m}",
                    notes=[f"snapshot_date={day.isoformat()}"],
                )
            )  # fmt: skip

    def write_anchor(self) -> dict[str, object]:
        path = self.out / "portal_report" / "17_hoa_binh_2023-q1.xlsx"
        report = hoa_binh_report(self.config.seed)
        write_report(report, OFFICIAL, path)
        self.register(
            WrittenFile(
                "portal_report", path, "xlsx", len(report.rows), province_code="17", era=LEGACY,
                first_month="2023-01", last_month="2023-03",
                notes=[f"layout={OFFICIAL.name}", "grain=quarter", "anchor"],
            )
        )  # fmt: skip
        return {
            "report_file": self.relative(path),
            "province_code": "17",
            "province_name": "Tỉnh Hoà Bình",
            "era": LEGACY,
            "period_grain": "quarter",
            "period_start": "2023-01-01",
            "period_end": "2023-03-31",
            "source": "../shared/seeds/001_358e3021f09898ba.txt",
            "totals": HOA_BINH_Q1_2023.as_report_columns(),
            "dossier_level_data": False,
        }


def default_report_workers(report_count: int) -> int:
    """One writer process per spare core (at most 2); none on a single core, nor for a small
    run, where starting a process costs more than it saves."""
    if report_count < 300:
        return 0
    return max(0, min(2, (os.cpu_count() or 1) - 1))


def remove_previous_output(out: Path) -> int:
    """Delete the files a previous run listed in its manifest (and nothing else), so a rerun
    with other arguments leaves no stale file beside the new ones (a report of the same
    province-month in another layout would otherwise be loaded twice)."""
    manifest_path = out / MANIFEST_NAME
    if not manifest_path.exists():
        return 0
    removed = 0
    root = out.resolve()
    for item in json.loads(manifest_path.read_text(encoding="utf-8")).get("files", []):
        path = (out / str(item["path"])).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()
            removed += 1
    manifest_path.unlink()
    return removed


def generate(config: GeneratorConfig, report_workers: int | None = None) -> Summary:
    remove_previous_output(config.out)
    plans = Run.plan_for(config)
    if report_workers is None:
        report_workers = default_report_workers(sum(len(plan.months) for plan in plans))
    run = Run(config, report_workers)
    run.returns_reported_by_current = {
        plan.province.code: has_returned_column(plan.layout)
        for plan in plans
        if plan.province.era == CURRENT
    }
    cells = allocate_dossiers(config.dossiers, plans)
    mismatches = plan_mismatches(plans)
    targeted = {m.province_key for m in mismatches}
    # One province per era also publishes a longer period (a year, or quarters), from the same
    # counts, so the parser meets every grain; never one with a deliberate mismatch.
    extra_grain: dict[str, str] = {}
    for era, grain in ((LEGACY, "year"), (CURRENT, "quarter")):
        candidates = sorted(
            (p for p in plans if p.province.era == era and p.province.key not in targeted),
            key=lambda p: (p.province.volume_weight, p.province.key),
        )
        if candidates:
            extra_grain[candidates[0].province.key] = grain
    # Known anomalies, never where a mismatch or a longer-period report already is.
    excluded = targeted | set(extra_grain)
    run.anomalies = plan_anomalies(plans, config.anomalies, config.seed, excluded)
    rescale_volumes(cells, run.anomalies)
    try:
        for plan in plans:
            run.simulate_province(plan, cells, mismatches, extra_grain.get(plan.province.key))
    finally:
        run.finish_reports()
    run.close_satisfaction()
    run.write_procedures(plans)
    anchor = run.write_anchor()
    for written in write_official_figures(config.out):
        run.register(written)
    faults = dirty_faults.write_faults(run, plans) if config.dirty else []
    write_manifest(run, plans, mismatches, anchor, faults)
    return run.summary


def write_manifest(
    run: Run,
    plans: list[ProvincePlan],
    mismatches: list[Mismatch],
    anchor: dict[str, object],
    faults: list[dict[str, object]],
) -> None:
    config = run.config
    expected_outcome = {str(fault["file"]): str(fault["expected"]) for fault in faults}
    files = sorted(
        (
            {
                "path": run.relative(f.path),
                "source": f.source,
                "format": f.file_format,
                "rows": f.rows,
                "province_code": f.province_code,
                "era": f.era,
                "first_month": f.first_month,
                "last_month": f.last_month,
                "notes": f.notes,
                "expected": expected_outcome.get(run.relative(f.path), "load"),
            }
            for f in run.files
        ),
        key=lambda item: str(item["path"]),
    )
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "generator": "pipelines.sample_data",
        "arguments": {
            "seed": config.seed,
            "start": f"{config.start[0]}-{config.start[1]:02d}",
            "end": f"{config.end[0]}-{config.end[1]:02d}",
            "dossiers": config.dossiers,
            "provinces": config.provinces,
            "dirty": config.dirty,
            "legacy_communes_per_province": config.legacy_communes,
            "current_communes_per_province": config.current_communes,
            "anomalies": config.anomalies,
        },
        "provinces": [
            {
                "era": plan.province.era,
                "code": plan.province.code,
                "name": plan.province.name,
                "successor_code": plan.province.successor_code,
                "predecessor_codes": list(plan.province.predecessor_codes),
                "first_month": month_tag(plan.months[0]),
                "last_month": month_tag(plan.months[-1]),
                "report_layout": plan.layout.name,
                "dossier_format": plan.dossier_format.label,
                "agencies": len(plan.province.agencies),
            }
            for plan in plans
        ],
        "dossier_rows_written": run.summary.dossier_rows,
        "counting_rules": "docs/sample_data.md#reconciliation-rules",
        "dossier_header_aliases": VIETNAMESE_DOSSIER_HEADERS,
        "anchor_reports": [anchor],
        "deliberate_mismatches": [m.record for m in mismatches if m.record],
        "dirty_faults": faults,
        "injected_anomalies": [anomaly.record() for anomaly in run.anomalies],
        "tolerated_variants": [
            {
                "variant": "utf8_bom",
                "expected": "load",
                "rule": "SOURCES.md §2: CSV is UTF-8 with or without BOM",
                "files": sorted(
                    run.relative(f.path) for f in run.files if "utf8_bom" in f.file_format
                )
                + sorted(
                    str(item["path"])
                    for item in files
                    if item["source"] == "portal_report"
                    and any("csv_vietnamese_numbers" in n for n in item["notes"])
                ),
            }
        ],
        "files": files,
    }
    (config.out / MANIFEST_NAME).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
        encoding="utf-8",
    )
