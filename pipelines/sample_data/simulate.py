"""The simulation: dossiers of one province-month at a time, and the counts they imply.

Every dossier is drawn once (agency, procedure, channel, dates, outcome, flags); the aggregate
report of any period is then *counted* from the dossiers with the rules below, so the two agree
by construction, and only the deliberate mismatches (generate.py) make them differ.

Counting rules for a period [start, end) (these are the reconciliation rules, see docs):
- carried: received before `start`, closed (resolved, returned or withdrawn) at or after `start`
  or still open;
- online / direct / postal: received in the period, by channel;
- early / on_time / late: resolved in the period; the calendar date of resolved_at before, on,
  or after the calendar date of due_at;
- returned_withdrawn: returned or withdrawn in the period (status_at holds that time);
- within_due / overdue: still open at `end`; overdue when due_at < end.

Across 1 July 2025 (SOURCES.md §6): legacy districts and communes cleared their backlog by
30 June, but a legacy department whose successor has a department of the same name hands its open
dossiers over; from July they count for the successor (see `held_at_cutover`, `take_over`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, partial

import numpy as np
import polars as pl

from pipelines.sample_data.calibration import (
    CURRENT_LEVEL_SHARE,
    Target,
    online_order,
    procedure_volume_shares,
    read_targets,
)
from pipelines.sample_data.catalog import (
    CURRENT_DEPARTMENTS,
    FULL,
    LAND_CONSTRUCTION_INVESTMENT_FIELDS,
    NONE,
    PROCEDURES,
)
from pipelines.sample_data.counts import BASE_METRICS, METRIC_INDEX
from pipelines.sample_data.timeline import (
    RESTRUCTURING_MONTH,
    day_weights,
    month_index,
    month_start_seconds,
    ramp,
    restructuring_disruption,
)
from pipelines.sample_data.units import CURRENT, LEGACY, Province, reference_lists

PART_ROWS = 25_000  # dossiers simulated at once: bounds memory whatever the scale
NEVER = 10**6  # a month index far in the future: "not yet, not in this window"
DAY = 86_400
HOUR = 3_600
CUTOVER_SECONDS = month_start_seconds(RESTRUCTURING_MONTH)

LEVEL_SHARE = {
    LEGACY: {"province": 0.30, "district": 0.45, "commune": 0.25},
    CURRENT: {"province": 0.35, "district": 0.0, "commune": 0.65},
}
LEVELS = ("province", "district", "commune")
# By level (LEVELS order): the probability that a dossier of an online-capable procedure arrives
# online, at the start and the end of the adoption curve; lateness; digitization head start.
ONLINE_LOW = np.array([0.70, 0.55, 0.45])
ONLINE_HIGH = np.array([0.96, 0.92, 0.90])
LATE_LEVEL_FACTOR = np.array([1.0, 1.2, 0.8])
DIGITIZATION_LEVEL_BONUS = np.array([0.04, 0.0, -0.04])
RETURN_RATE = 0.012
MAX_LATE = 0.6  # a late probability no calibration or disruption pushes past
# Late share added while the new communes settle in (July 2025: +1.6 x this, fading over six
# months; timeline.restructuring_disruption), the same for every province whatever its own level.
RESTRUCTURING_LATE = 0.01
# Adoption curves of the digitization rates and of paying online (rising with the programme);
# a province's level scales them so that its 2026 mean is its calibrated level.
DOSSIER_DIGITIZATION_CURVE = partial(ramp, low=0.45, high=0.93)
RESULT_DIGITIZATION_CURVE = partial(ramp, low=0.40, high=0.92)
E_RESULT_CURVE = partial(ramp, low=0.35, high=0.95)
DATA_REUSE_CURVE = partial(ramp, low=0.20, high=0.78)
PAYMENT_CURVE = partial(ramp, low=0.45, high=0.92)
SATISFACTION_TREND = partial(ramp, low=-0.01, high=0.03)  # added to the base, rising slightly
SATISFACTION_LAND_PENALTY = 0.03  # land, construction and investment are rated lower
# The months the calibration targets describe: the portal snapshot's 2026 year to date.
CALIBRATION_MONTHS = range(month_index(2026, 1), month_index(2026, 10) + 1)
PAYMENT_OPEN_BY = month_index(2025, 12)
WITHDRAWN_SHARE = 0.4
POSTAL_SHARE = 0.06
FEE_EXEMPT_SHARE = 0.04

STATUS_PROCESSING, STATUS_RESOLVED, STATUS_RETURNED, STATUS_WITHDRAWN = 0, 1, 2, 3
STATUS_NAMES = ("processing", "resolved", "returned", "withdrawn")
CHANNEL_ONLINE, CHANNEL_DIRECT, CHANNEL_POSTAL = 0, 1, 2
CHANNEL_NAMES = ("online", "direct", "postal")
ONLINE_LEVEL_NAMES = ("none", "partial", "full")
CAPABILITY_CODE = {NONE: 0, "partial": 1, FULL: 2}
CURRENT_DEPARTMENT_NAMES = frozenset(d.name for d in CURRENT_DEPARTMENTS)
# Provinces whose one-stop systems number dossiers per year ('80.25.000123'), the successor's
# counter restarting on 1 July 2025: legacy Long An's and current Tây Ninh's ids collide under
# the reused code 80 (the warehouse must key them with their era).
YEAR_NUMBERED_CODES = frozenset({"80"})
TAKEOVER_BACKLOG_SHARE = 0.3  # handed-over dossiers that wait in the successor's backlog

FIELDS: tuple[str, ...] = tuple(sorted({p.field for p in PROCEDURES}))
FIELD_INDEX = {name: index for index, name in enumerate(FIELDS)}
LAND_FIELDS = LAND_CONSTRUCTION_INVESTMENT_FIELDS
PROC_FEE = np.array([p.fee_vnd for p in PROCEDURES], dtype=np.int64)
PROC_DAYS = np.array([p.statutory_days for p in PROCEDURES], dtype=np.int64)
PROC_FIELD = np.array([FIELD_INDEX[p.field] for p in PROCEDURES], dtype=np.int64)
PROC_COPIES = np.array([p.field == "Chứng thực" for p in PROCEDURES])  # fee per copy


def _key_seed(province: Province) -> list[int]:
    return [0 if province.era == LEGACY else 1, int(province.code)]


@dataclass(frozen=True)
class Behaviour:
    """How one province performs; a current province inherits its predecessors' average.
    Calibrated (calibrated_behaviour): online_factor and payment_factor scale their curves,
    late_base the lateness trend, digitization_factor is the 2026 digitization level itself."""

    online_factor: float
    late_base: float
    early_share: float
    digitization_factor: float
    payment_factor: float
    satisfaction_base: float
    response_rate: float


def _legacy_behaviour(seed: int, legacy_code: str) -> Behaviour:
    """A legacy province's behaviour: its successor's calibrated 2026 behaviour, each calibrated
    trait spread by a jitter of its own (0.9-1.1) that averages to 1 over the successor's
    predecessors, so a current province is exactly its target and its predecessors differ."""
    successor = reference_lists().legacy_to_current[legacy_code]
    siblings = sorted(c for c, s in reference_lists().legacy_to_current.items() if s == successor)
    jitters = {code: _jitter(seed, code) for code in siblings}
    mean_jitter = np.mean(list(jitters.values()), axis=0)
    own = jitters[legacy_code] / mean_jitter
    rng = np.random.default_rng([seed, 11, int(legacy_code)])
    target = calibrated_behaviour(calibration_targets()[successor])
    return Behaviour(
        online_factor=target.online_factor * own[0],
        late_base=target.late_base * own[1],
        early_share=float(rng.uniform(0.6, 0.85)),
        digitization_factor=target.digitization_factor * own[2],
        payment_factor=target.payment_factor * own[3],
        satisfaction_base=target.satisfaction_base * own[4],
        response_rate=float(rng.uniform(0.15, 0.45)),
    )


def _jitter(seed: int, legacy_code: str) -> np.ndarray:
    return np.random.default_rng([seed, 13, int(legacy_code)]).uniform(0.9, 1.1, size=5)


@cache
def calibration_targets() -> dict[str, Target]:
    return read_targets()


def calibration_mean(curve: Callable[[int], float]) -> float:
    """A month curve's mean over the calibration window (2026 year to date of the snapshot)."""
    return float(np.mean([curve(m) for m in CALIBRATION_MONTHS]))


@cache
def land_response_share() -> float:
    """Share of a current province's dossiers in land, construction and investment fields."""
    shares = procedure_volume_shares()
    return sum(shares[p.code] for p in PROCEDURES if p.field in LAND_FIELDS)


def calibrated_behaviour(target: Target) -> Behaviour:
    """The behaviour whose 2026 rates, on average over a current province's levels and the
    calibration months, are the target's (calibration.py); early share and response rate are
    drawn per legacy province."""
    level_mix = {LEVELS.index(level): share for level, share in CURRENT_LEVEL_SHARE.items()}
    online_base = calibration_mean(
        lambda m: sum(
            share * (ONLINE_LOW[i] + (ONLINE_HIGH - ONLINE_LOW)[i] * ramp(m, 0.0, 1.0))
            for i, share in level_mix.items()
        )
    )
    late_level = sum(share * LATE_LEVEL_FACTOR[i] for i, share in level_mix.items())
    late_trend = calibration_mean(lambda m: 1.3 - 0.6 * ramp(m, 0.0, 1.0))
    late_settling = RESTRUCTURING_LATE * calibration_mean(lambda m: restructuring_disruption(m) - 1)
    late_wanted = (1 - target.progress_on_time_rate) * (1 - RETURN_RATE) / late_level
    return Behaviour(
        online_factor=target.online_share_of_capable / online_base,
        late_base=max(late_wanted - late_settling, 0.0) / late_trend,
        early_share=0.7,
        digitization_factor=target.digitization_level,
        payment_factor=target.pay_online_share / calibration_mean(PAYMENT_CURVE),
        satisfaction_base=target.satisfaction_rate
        - calibration_mean(SATISFACTION_TREND)
        + SATISFACTION_LAND_PENALTY * land_response_share(),
        response_rate=0.3,
    )


def behaviour_of(province: Province, seed: int) -> Behaviour:
    if province.era == LEGACY:
        return _legacy_behaviour(seed, province.code)
    parts = [_legacy_behaviour(seed, code) for code in province.predecessor_codes]
    averaged = {
        name: float(np.mean([getattr(part, name) for part in parts]))
        for name in Behaviour.__dataclass_fields__
    }
    return Behaviour(**averaged)


@dataclass(frozen=True)
class Capabilities:
    """When each procedure went online (partial, then full), got online payment and was
    integrated on the National Public Service Portal, in one province. Month indices."""

    online_from: np.ndarray
    full_from: np.ndarray
    payment_from: np.ndarray
    integrated_from: np.ndarray

    def level_at(self, month: int) -> np.ndarray:
        """0 none, 1 partial, 2 full, per procedure."""
        level = (self.online_from <= month).astype(np.int64)
        return level + (self.full_from <= month)

    def payment_at(self, month: int) -> np.ndarray:
        return self.payment_from <= month

    def integrated_at(self, month: int) -> np.ndarray:
        return self.integrated_from <= month


def _legacy_capabilities(seed: int, legacy_code: str) -> Capabilities:
    rng = np.random.default_rng([seed, 12, int(legacy_code)])
    count = len(PROCEDURES)
    # Most procedures were online before 2024; the rest follow through 2025.
    online = month_index(2021, 1) + np.floor(rng.random(count) ** 2.2 * 56).astype(np.int64)
    # Calibration: the successor's number of procedures offered online, in the fixed order
    # (calibration.online_order); the others never are.
    offered = _offered_online(reference_lists().legacy_to_current[legacy_code])
    max_level = np.array([CAPABILITY_CODE[p.max_capability] for p in PROCEDURES])
    online = np.where((max_level == 0) | ~offered, NEVER, online)
    full = np.where(
        max_level == 2, online + np.floor(rng.random(count) * 30).astype(np.int64), NEVER
    )
    fee = PROC_FEE > 0
    # online payment follows within 26 months, and by December 2025 at the latest
    room = np.clip(PAYMENT_OPEN_BY - online, 0, 26)
    payment = np.where(fee, online + np.floor(rng.random(count) * room).astype(np.int64), NEVER)
    integrated = online + np.floor(rng.random(count) * 8).astype(np.int64)
    return Capabilities(
        online_from=online,
        full_from=np.minimum(full, NEVER),
        payment_from=np.minimum(payment, NEVER),
        integrated_from=np.minimum(integrated, NEVER),
    )


def _offered_online(current_code: str) -> np.ndarray:
    count = calibration_targets()[current_code].online_procedures
    chosen = set(online_order()[:count])
    return np.array([p.code in chosen for p in PROCEDURES])


def capabilities_of(province: Province, seed: int) -> Capabilities:
    if province.era == LEGACY:
        return _legacy_capabilities(seed, province.code)
    # The new province runs one system and keeps the best of what its predecessors had.
    parts = [_legacy_capabilities(seed, code) for code in province.predecessor_codes]
    best = {
        name: np.minimum.reduce([getattr(part, name) for part in parts])
        for name in Capabilities.__dataclass_fields__
    }
    return Capabilities(**best)


@dataclass
class ProvinceState:
    """Accumulators of one province-era over the window: report counts per agency and month,
    and resolved dossiers per agency, field and month (for the satisfaction survey)."""

    province: Province
    window_start: int
    window_months: int
    counts: np.ndarray  # [agency, month, metric]
    resolved_by_field: np.ndarray  # [agency, field, month]

    @classmethod
    def empty(cls, province: Province, window_start: int, window_months: int) -> ProvinceState:
        agencies = len(province.agencies)
        return cls(
            province,
            window_start,
            window_months,
            np.zeros((agencies, window_months, len(BASE_METRICS)), dtype=np.int64),
            np.zeros((agencies, len(FIELDS), window_months), dtype=np.int64),
        )


def _agency_pools(province: Province) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each agency, the procedures it handles and their relative volumes."""
    pools = []
    for agency in province.agencies:
        if agency.level == "province":
            assert agency.department is not None
            chosen = [
                i
                for i, p in enumerate(PROCEDURES)
                if p.department_in(province.era) == agency.department.name
            ]
        elif agency.level == "district":
            chosen = [i for i, p in enumerate(PROCEDURES) if p.legacy_level == "district"]
        else:
            chosen = [i for i, p in enumerate(PROCEDURES) if p.level_in(province.era) == "commune"]
        weights = np.array([PROCEDURES[i].volume_weight for i in chosen])
        pools.append((np.array(chosen, dtype=np.int64), weights / weights.sum()))
    return pools


def agency_probabilities(province: Province) -> np.ndarray:
    shares = LEVEL_SHARE[province.era]
    per_level = {
        level: sum(a.weight for a in province.agencies if a.level == level) for level in shares
    }
    present = {level: s for level, s in shares.items() if per_level[level] > 0}
    scale = sum(present.values())
    probabilities = np.array(
        [present[a.level] / scale * a.weight / per_level[a.level] for a in province.agencies]
    )
    return probabilities / probabilities.sum()


@dataclass(frozen=True)
class Chunk:
    """Dossiers as columns (numpy), before formatting: one province-month, or several
    concatenated into a write batch."""

    month: np.ndarray  # month index of reception, per dossier
    agency: np.ndarray
    procedure: np.ndarray
    channel: np.ndarray
    online_level: np.ndarray
    received: np.ndarray  # seconds since 1970, local time
    due: np.ndarray
    closed: np.ndarray  # resolved/returned/withdrawn time; -1 while processing
    status: np.ndarray
    dossier_digitized: np.ndarray
    result_digitized: np.ndarray
    e_result_issued: np.ndarray
    data_reused: np.ndarray
    fee_amount: np.ndarray
    paid_online: np.ndarray
    sequence: np.ndarray  # 1-based number of the dossier within the province-month

    def __len__(self) -> int:
        return len(self.agency)

    def subset(self, keep: np.ndarray) -> Chunk:
        return Chunk(*(getattr(self, name)[keep] for name in Chunk.__dataclass_fields__))

    @staticmethod
    def concat(chunks: list[Chunk]) -> Chunk:
        return Chunk(
            *(
                np.concatenate([getattr(chunk, name) for chunk in chunks])
                for name in Chunk.__dataclass_fields__
            )
        )


class ProvinceSimulator:
    def __init__(
        self,
        province: Province,
        seed: int,
        window_start: int,
        window_end: int,
        *,
        returns_reported: bool = True,
        successor_returns_reported: bool = True,
    ) -> None:
        self.province = province
        self.return_rate = RETURN_RATE if returns_reported else 0.0
        self.successor_returns_reported = successor_returns_reported
        self.seed = seed
        self.window_start = window_start
        self.window_end = window_end
        self.export_end = month_start_seconds(window_end + 1)
        self.behaviour = behaviour_of(province, seed)
        self.capabilities = capabilities_of(province, seed)
        self.pools = _agency_pools(province)
        self.agency_probabilities = agency_probabilities(province)
        self.agency_levels = np.array([LEVELS.index(a.level) for a in province.agencies])
        # legacy departments the successor continues under the same name keep their open dossiers
        self.hands_over = np.array(
            [
                province.era == LEGACY
                and a.level == "province"
                and a.name in CURRENT_DEPARTMENT_NAMES
                for a in province.agencies
            ],
            dtype=bool,
        )
        self.month_ends = np.array(
            [month_start_seconds(m + 1) for m in range(window_start, window_end + 1)],
            dtype=np.int64,
        )
        self.state = ProvinceState.empty(province, window_start, window_end - window_start + 1)
        # Injected anomaly online_share_zero (anomalies.py): months the portal was down.
        self.offline_months: set[int] = set()

    def simulate_month(
        self, month: int, dossiers: int, sequence_offset: int = 0
    ) -> Iterator[Chunk]:
        """The month's dossiers in time order, in parts of at most PART_ROWS (so memory does
        not grow with the scale): the days are drawn for the month, then each part is drawn.
        `sequence_offset`: dossiers numbered before this month (year-numbered systems)."""
        month_rng = np.random.default_rng([self.seed, 20, *_key_seed(self.province), month])
        weights = day_weights(month)
        per_day = month_rng.multinomial(dossiers, weights / weights.sum())
        for part, day in enumerate(split_days(per_day, PART_ROWS)):
            rng = np.random.default_rng([self.seed, 21, *_key_seed(self.province), month, part])
            yield self._simulate_part(month, day, rng, sequence_offset)
            sequence_offset += len(day)

    def _simulate_part(
        self, month: int, day: np.ndarray, rng: np.random.Generator, sequence_offset: int
    ) -> Chunk:
        dossiers = len(day)
        behaviour = self.behaviour
        per_agency = rng.multinomial(dossiers, self.agency_probabilities)
        agency = np.repeat(np.arange(len(per_agency)), per_agency)
        procedure = np.empty(dossiers, dtype=np.int64)
        cursor = 0
        for index, count in enumerate(per_agency):
            if count:
                pool, weights = self.pools[index]
                procedure[cursor : cursor + count] = rng.choice(pool, size=count, p=weights)
                cursor += count
        levels = self.agency_levels[agency]

        # Intake: the day follows working days and holidays, the hour office or online habits.
        day = rng.permutation(day)
        capability = self.capabilities.level_at(month)[procedure]
        online_p = (
            ONLINE_LOW[levels] + (ONLINE_HIGH - ONLINE_LOW)[levels] * ramp(month, 0.0, 1.0)
        ) * behaviour.online_factor
        online_p = np.clip(np.where(capability == 2, online_p * 1.04, online_p * 0.95), 0.02, 0.98)
        is_online = (capability > 0) & (rng.random(dossiers) < online_p)
        if month in self.offline_months:
            is_online[:] = False  # after the draw: other months' random streams are unchanged
        is_postal = ~is_online & (rng.random(dossiers) < POSTAL_SHARE)
        channel = np.where(
            is_online, CHANNEL_ONLINE, np.where(is_postal, CHANNEL_POSTAL, CHANNEL_DIRECT)
        )
        online_level = np.where(is_online, capability, 0)
        seconds_of_day = np.where(
            is_online,
            rng.integers(6 * HOUR, 23 * HOUR, size=dossiers),
            rng.integers(7 * HOUR + 1800, 17 * HOUR, size=dossiers),
        )
        received = month_start_seconds(month) + day * DAY + seconds_of_day

        # Due date: statutory working days after intake (same-day procedures: before 15:00).
        received_day = (received // DAY).astype("datetime64[D]")
        days = PROC_DAYS[procedure] + ((PROC_DAYS[procedure] == 0) & (seconds_of_day >= 15 * HOUR))
        due_day = np.busday_offset(received_day, days, roll="forward")
        due = due_day.astype(np.int64) * DAY + 17 * HOUR

        # Outcome: returned/withdrawn, late, or in time (early or on the due date).
        late_p = np.minimum(
            (
                behaviour.late_base * (1.3 - 0.6 * ramp(month, 0.0, 1.0))
                + RESTRUCTURING_LATE * (restructuring_disruption(month) - 1)
            )
            * LATE_LEVEL_FACTOR[levels],
            MAX_LATE,
        )
        draw = rng.random(dossiers)
        returned = draw < self.return_rate
        late = ~returned & (draw < self.return_rate + late_p)
        early = ~returned & ~late & (rng.random(dossiers) < behaviour.early_share)
        received_day_i = received // DAY
        due_day_i = due // DAY
        span_days = np.maximum(due_day_i - received_day_i, 0)
        work_time = rng.integers(8 * HOUR, 17 * HOUR, size=dossiers)
        early_day = received_day_i + np.floor(rng.random(dossiers) * span_days).astype(np.int64)
        early_time = np.where(
            early_day == received_day_i,
            received + rng.integers(600, 4 * HOUR, size=dossiers),
            early_day * DAY + work_time,
        )
        on_time_time = np.maximum(due_day_i * DAY + work_time, received + 600)
        late_days = 1 + np.minimum(rng.geometric(0.3, size=dossiers) - 1, 60)
        late_time = (due_day_i + late_days) * DAY + work_time
        returned_time = received + np.maximum(
            (rng.random(dossiers) * (due - received)).astype(np.int64), 600
        )
        closed = np.where(
            returned,
            returned_time,
            np.where(late, late_time, np.where(early & (span_days > 0), early_time, on_time_time)),
        )
        status = np.where(
            returned,
            np.where(rng.random(dossiers) < WITHDRAWN_SHARE, STATUS_WITHDRAWN, STATUS_RETURNED),
            STATUS_RESOLVED,
        )
        if self.province.era == LEGACY and self.export_end > CUTOVER_SECONDS:
            # Provinces were told to clear their backlog before the merger: districts, communes
            # and departments that did not continue close every dossier by 30 June 2025; the
            # continuing departments hand theirs over to the successor (resolved in July on time
            # or late, or still open and going overdue there).
            forced = (closed >= CUTOVER_SECONDS) & ~self.hands_over[agency]
            last_day = CUTOVER_SECONDS - DAY
            forced_time = np.clip(last_day + work_time, received + 60, CUTOVER_SECONDS - 1)
            closed = np.where(forced, np.maximum(forced_time, received), closed)
            closed = self._takeover_backlog(closed, agency, received)
            if not self.successor_returns_reported:
                # the successor reports on a form without a returned/withdrawn column: its system
                # cancels no dossier (`has_returned_column`), so one it takes over is resolved
                # there; returned in July, its report row would not add up and be quarantined
                taken_over = self.hands_over[agency] & (closed >= CUTOVER_SECONDS)
                status = np.where(taken_over, STATUS_RESOLVED, status)
        open_at_export = closed >= self.export_end
        closed = np.where(open_at_export, -1, closed)
        status = np.where(open_at_export, STATUS_PROCESSING, status)

        # Digitization, electronic results, data reuse and payment grow with the programme.
        resolved = status == STATUS_RESOLVED
        bonus = DIGITIZATION_LEVEL_BONUS[levels]
        level = behaviour.digitization_factor  # the province's 2026 level (calibration.py)
        dossier_digitized = rng.random(dossiers) < np.clip(
            level * _relative(month, DOSSIER_DIGITIZATION_CURVE) + bonus, 0, 0.99
        )
        result_digitized = resolved & (
            rng.random(dossiers)
            < np.clip(level * _relative(month, RESULT_DIGITIZATION_CURVE) + bonus, 0, 0.99)
        )
        e_result_issued = resolved & (
            rng.random(dossiers) < min(level * _relative(month, E_RESULT_CURVE), 0.99)
        )
        data_reused = rng.random(dossiers) < min(level * _relative(month, DATA_REUSE_CURVE), 0.95)
        copies = np.where(PROC_COPIES[procedure], rng.integers(1, 5, size=dossiers), 1)
        exempt = rng.random(dossiers) < FEE_EXEMPT_SHARE
        fee_amount = np.where(exempt, 0, PROC_FEE[procedure] * copies)
        payment_open = self.capabilities.payment_at(month)[procedure]
        paid_online = (
            (fee_amount > 0)
            & is_online
            & payment_open
            & (rng.random(dossiers) < min(PAYMENT_CURVE(month) * behaviour.payment_factor, 0.98))
        )

        order = np.lexsort((agency, received))
        chunk = Chunk(
            month=np.full(dossiers, month, dtype=np.int64),
            agency=agency[order],
            procedure=procedure[order],
            channel=channel[order],
            online_level=online_level[order],
            received=received[order],
            due=due[order],
            closed=closed[order],
            status=status[order],
            dossier_digitized=dossier_digitized[order],
            result_digitized=result_digitized[order],
            e_result_issued=e_result_issued[order],
            data_reused=data_reused[order],
            fee_amount=fee_amount[order],
            paid_online=paid_online[order],
            sequence=sequence_offset + np.arange(1, dossiers + 1),
        )
        self._accumulate(chunk, month)
        return chunk

    def _takeover_backlog(
        self, closed: np.ndarray, agency: np.ndarray, received: np.ndarray
    ) -> np.ndarray:
        """Some handed-over dossiers wait in the successor's backlog: closed 25-55 days later,
        so they are still open, and overdue, at the end of July 2025. Drawn from a stream of
        their own, so every other dossier stays as before."""
        handed = self.hands_over[agency] & (closed >= CUTOVER_SECONDS)
        if not handed.any():
            return closed
        rng = np.random.default_rng(
            [self.seed, 23, *_key_seed(self.province), int(received.min()) % 2**31]
        )
        waits = rng.random(len(closed)) < TAKEOVER_BACKLOG_SHARE
        delay = rng.integers(25, 56, size=len(closed)) * DAY
        return np.where(handed & waits, closed + delay, closed)

    def take_over(self, chunk: Chunk, predecessor: Province) -> None:
        """Count a predecessor's handed-over dossiers (`held_at_cutover`) in this successor's
        report counts and survey base: carried into July 2025, resolved or in progress from then,
        at this province's department of the same name."""
        index_of = {agency.name: index for index, agency in enumerate(self.province.agencies)}
        agency = np.array(
            [index_of[predecessor.agencies[i].name] for i in chunk.agency], dtype=np.int64
        )
        moved = dataclasses.replace(chunk, agency=agency)
        for month in np.unique(moved.month):
            self._accumulate(moved.subset(moved.month == month), int(month))

    def _accumulate(self, chunk: Chunk, month_received: int) -> None:
        """Add the chunk's dossiers to the report counts of every month they touch."""
        counts = self.state.counts
        months = self.state.window_months
        start = self.window_start
        received_month = month_received - start
        closed_month = np.where(
            chunk.closed >= 0, _month_index_of_seconds(chunk.closed) - start, months
        )
        agency = chunk.agency
        np.add.at(
            counts,
            (
                agency,
                received_month,
                np.array([METRIC_INDEX[c] for c in CHANNEL_NAMES])[chunk.channel],
            ),
            1,
        )
        closed_in_window = closed_month < months
        resolved_class = resolution_class(chunk.closed, chunk.due)
        metric = np.where(
            chunk.status == STATUS_RESOLVED,
            np.array([METRIC_INDEX["early"], METRIC_INDEX["on_time"], METRIC_INDEX["late"]])[
                resolved_class
            ],
            METRIC_INDEX["returned_withdrawn"],
        )
        np.add.at(
            counts,
            (agency[closed_in_window], closed_month[closed_in_window], metric[closed_in_window]),
            1,
        )
        resolved_mask = closed_in_window & (chunk.status == STATUS_RESOLVED)
        np.add.at(
            self.state.resolved_by_field,
            (
                agency[resolved_mask],
                PROC_FIELD[chunk.procedure[resolved_mask]],
                closed_month[resolved_mask],
            ),
            1,
        )
        # Open at the end of month m (received_month <= m < closed_month): in progress there;
        # open at the start of month m (received_month < m <= closed_month): carried into m.
        last = np.minimum(closed_month, months)
        offset = 0
        while True:
            month = received_month + offset
            in_progress = month < last
            if not in_progress.any():
                break
            overdue = chunk.due < self.month_ends[np.minimum(month, months - 1)]
            state_metric = np.where(overdue, METRIC_INDEX["overdue"], METRIC_INDEX["within_due"])
            np.add.at(counts, (agency[in_progress], month, state_metric[in_progress]), 1)
            if month + 1 < months:
                np.add.at(counts, (agency[in_progress], month + 1, METRIC_INDEX["carried"]), 1)
            offset += 1


def held_at_cutover(chunk: Chunk) -> np.ndarray:
    """Dossiers still open on 1 July 2025 (closed from then on, or never): the successor's."""
    return (chunk.closed < 0) | (chunk.closed >= CUTOVER_SECONDS)


def split_days(per_day: np.ndarray, limit: int) -> Iterator[np.ndarray]:
    """Day-of-month indices of the month's dossiers, in order, cut into parts of at most
    `limit` (a busy day may be cut in two). An empty month gives one empty part."""
    pieces: list[np.ndarray] = []
    room = limit
    for index, count in enumerate(per_day):
        count = int(count)
        while count:
            take = min(count, room)
            pieces.append(np.full(take, index, dtype=np.int64))
            count -= take
            room -= take
            if room == 0:
                yield np.concatenate(pieces)
                pieces, room = [], limit
    if pieces or not per_day.any():
        yield np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)


def _month_index_of_seconds(seconds: np.ndarray) -> np.ndarray:
    months = seconds.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return months + 1970 * 12


def _relative(month: int, curve: Callable[[int], float]) -> float:
    """The curve at `month` relative to its mean over the calibration months."""
    return curve(month) / _calibration_mean_cached(curve)


@cache
def _calibration_mean_cached(curve: Callable[[int], float]) -> float:
    return calibration_mean(curve)


def resolution_class(closed: np.ndarray, due: np.ndarray) -> np.ndarray:
    """0 early, 1 on time, 2 late: the calendar day of resolution against the due day."""
    closed_day = np.where(closed >= 0, closed // DAY, 0)
    due_day = due // DAY
    return np.where(closed_day < due_day, 0, np.where(closed_day == due_day, 1, 2))


def _strings(values: list[str | None], index: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.String).gather(index)


def _timestamps(seconds: np.ndarray) -> pl.Series:
    return pl.Series(seconds * 1_000_000, dtype=pl.Int64).cast(pl.Datetime("us"))


def chunk_frame(chunk: Chunk, province: Province) -> pl.DataFrame:
    """The canonical dossier columns (SOURCES.md §2) of a chunk."""
    agencies = province.agencies
    year, month = np.divmod(chunk.month, 12)
    frame = pl.DataFrame(
        {
            "yymm": pl.Series((year % 100) * 100 + month + 1, dtype=pl.Int64),
            "sequence": pl.Series(chunk.sequence, dtype=pl.Int64),
            "agency_code": _strings([a.code for a in agencies], chunk.agency),
            "agency_name": _strings([a.name for a in agencies], chunk.agency),
            "agency_level": _strings([a.level for a in agencies], chunk.agency),
            "commune_code": _strings([a.commune_code for a in agencies], chunk.agency),
            "procedure_code": _strings([p.code for p in PROCEDURES], chunk.procedure),
            "procedure_field": _strings([p.field for p in PROCEDURES], chunk.procedure),
            "channel": _strings(list(CHANNEL_NAMES), chunk.channel),
            "online_level": _strings(list(ONLINE_LEVEL_NAMES), chunk.online_level),
            "received_at": _timestamps(chunk.received),
            "due_at": _timestamps(chunk.due),
            "closed_at": _timestamps(np.maximum(chunk.closed, 0)),
            "is_closed": pl.Series(chunk.closed >= 0, dtype=pl.Boolean),
            "status": _strings(list(STATUS_NAMES), chunk.status),
            "dossier_digitized": pl.Series(chunk.dossier_digitized, dtype=pl.Boolean),
            "result_digitized": pl.Series(chunk.result_digitized, dtype=pl.Boolean),
            "e_result_issued": pl.Series(chunk.e_result_issued, dtype=pl.Boolean),
            "data_reused": pl.Series(chunk.data_reused, dtype=pl.Boolean),
            "fee_required": pl.Series(PROC_FEE > 0, dtype=pl.Boolean).gather(chunk.procedure),
            "paid_online": pl.Series(chunk.paid_online, dtype=pl.Boolean),
            "fee_amount_vnd": pl.Series(chunk.fee_amount, dtype=pl.Int64),
        }
    )
    # '17.2401.000123': province, reception year and month, number within the month; a
    # year-numbered system: '80.25.000123', province, year, number within the year.
    period = (pl.col("yymm") // 100) if province.code in YEAR_NUMBERED_CODES else pl.col("yymm")
    width = 2 if province.code in YEAR_NUMBERED_CODES else 4
    is_resolved = pl.col("status") == STATUS_NAMES[STATUS_RESOLVED]
    return frame.select(
        pl.concat_str(
            pl.lit(province.code + "."),
            period.cast(pl.String).str.zfill(width),
            pl.lit("."),
            pl.col("sequence").cast(pl.String).str.zfill(6),
        ).alias("dossier_id"),
        pl.lit(province.code, dtype=pl.String).alias("province_code"),
        pl.lit(province.name, dtype=pl.String).alias("province_name"),
        *DOSSIER_COLUMNS[3:11],
        "received_at",
        "due_at",
        # a returned or withdrawn dossier has no result: its closing date is its status date
        pl.when(pl.col("is_closed") & is_resolved).then("closed_at").alias("resolved_at"),
        pl.when(pl.col("is_closed") & ~is_resolved).then("closed_at").alias("status_at"),
        *DOSSIER_COLUMNS[15:],
    )


DOSSIER_COLUMNS: tuple[str, ...] = (
    "dossier_id",
    "province_code",
    "province_name",
    "agency_code",
    "agency_name",
    "agency_level",
    "commune_code",
    "procedure_code",
    "procedure_field",
    "channel",
    "online_level",
    "received_at",
    "due_at",
    "resolved_at",
    "status_at",
    "status",
    "dossier_digitized",
    "result_digitized",
    "e_result_issued",
    "data_reused",
    "fee_required",
    "paid_online",
    "fee_amount_vnd",
)
