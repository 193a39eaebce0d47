"""Injected anomalies: known oddities in clean data, so the warehouse's flags can be measured.

Unlike the `--dirty` faults (files to reject) and the deliberate mismatches (a report that does
not reconcile with its dossiers), these files load and every report still reconciles with its
dossier records: the data itself looks wrong, as when a province's system double-imports a
month, loses most of one, takes every dossier at the counter while the portal is down, or sends
no report. `marts.fct_anomalies` should flag each (`expected_rule`); the manifest lists them
under `injected_anomalies` and benchmarks/bench_anomalies.py measures recall and precision.

The province-months are chosen deterministically from the seed: provinces with at least
MIN_ERA_MONTHS months in their era, none touched by a deliberate mismatch or publishing a longer
period, one anomaly per province while there are provinces left, never in the first three or
the last two months of an era (so every flag has history on both sides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from pipelines.sample_data.timeline import month_first_day, month_last_day

if TYPE_CHECKING:
    from pipelines.sample_data.generate import ProvincePlan

DEFAULT_ANOMALIES = 8
MIN_ERA_MONTHS = 12
VOLUME_FACTORS = {"volume_spike": 3.0, "volume_drop": 0.25}
KINDS = ("volume_spike", "online_share_zero", "volume_drop", "missing_report")
EXPECTED_RULE = {
    "volume_spike": "volume_outlier",
    "volume_drop": "volume_outlier",
    "online_share_zero": "extreme_share",
    "missing_report": "missing_report",
}
DESCRIPTION = {
    "volume_spike": "The province's system exported the month's dossiers about three times over "
    "(a re-import): reports and dossier files agree, the volume is far above the province's "
    "usual share of the nation's.",
    "volume_drop": "Most of the month's dossiers never reached the export (a quarter remain): "
    "reports and dossier files agree, the volume is far below the province's usual share.",
    "online_share_zero": "The portal was down all month: every dossier was taken at the counter "
    "or by post, so the online share is exactly 0 % over the whole month's count.",
    "missing_report": "No monthly report was sent for the month (dossier records exist).",
}


@dataclass
class InjectedAnomaly:
    id: str
    kind: str
    plan: ProvincePlan
    month: int
    detail: dict[str, object] = field(default_factory=dict)

    @property
    def province_key(self) -> str:
        return self.plan.province.key

    def record(self) -> dict[str, object]:
        province = self.plan.province
        return {
            "id": self.id,
            "kind": self.kind,
            "description": DESCRIPTION[self.kind],
            "province_code": province.code,
            "province_name": province.name,
            "era": province.era,
            "period_start": month_first_day(self.month).isoformat(),
            "period_end": month_last_day(self.month).isoformat(),
            "expected_rule": EXPECTED_RULE[self.kind],
            **self.detail,
        }


def plan_anomalies(
    plans: list[ProvincePlan], count: int, seed: int, excluded: set[str]
) -> list[InjectedAnomaly]:
    """`count` anomalies over eligible province-months, kinds in turn (KINDS), deterministic."""
    candidates = [
        plan
        for plan in plans
        if len(plan.months) >= MIN_ERA_MONTHS and plan.province.key not in excluded
    ]
    if count <= 0 or not candidates:
        return []
    rng = np.random.default_rng([seed, 50])
    order = rng.permutation(len(candidates))
    taken: set[tuple[str, int]] = set()
    anomalies = []
    for number in range(count):
        plan = candidates[int(order[number % len(candidates)])]
        interior = [m for m in plan.months[3:-2] if (plan.province.key, m) not in taken]
        if not interior:
            continue
        month = interior[int(rng.integers(len(interior)))]
        taken.add((plan.province.key, month))
        anomalies.append(
            InjectedAnomaly(f"A{len(anomalies) + 1}", KINDS[number % len(KINDS)], plan, month)
        )
    return anomalies


def rescale_volumes(cells: dict[tuple[str, int], int], anomalies: list[InjectedAnomaly]) -> None:
    """Volume anomalies: the month gets its factor; the dossiers it gains or loses are taken
    from or given to the province's other months evenly, so `--dossiers` stays exact."""
    touched = {(a.province_key, a.month) for a in anomalies}
    for anomaly in anomalies:
        factor = VOLUME_FACTORS.get(anomaly.kind)
        if factor is None:
            continue
        key = (anomaly.province_key, anomaly.month)
        before = cells[key]
        others = [
            (anomaly.province_key, m)
            for m in anomaly.plan.months
            if (anomaly.province_key, m) not in touched
        ]
        change = min(round(before * factor) - before, sum(cells[o] for o in others))
        cells[key] = before + change
        share, rest = divmod(-change, len(others))
        for position, other in enumerate(others):
            cells[other] = max(0, cells[other] + share + (1 if position < rest else 0))
        anomaly.detail = {"dossiers_before": before, "dossiers_after": cells[key]}


def months_of(anomalies: list[InjectedAnomaly], kind: str, province_key: str) -> set[int]:
    return {a.month for a in anomalies if a.kind == kind and a.province_key == province_key}
