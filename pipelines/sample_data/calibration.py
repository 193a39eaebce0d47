"""Per-province 2026 targets that calibrate the sample's dossiers to the portal's published scores.

The real 2026-10-10 Decision-766 snapshot (reference_figures/published_766_2026-10-10.csv) gives,
per current province, the points of each group. This module turns each computable group's points
into the rates the warehouse's method (dbt_project/seeds/ref_index_method.csv, the one
definition) would need to award them, and writes them to ``calibration_targets_2026.csv``, the
data file the generator reads (``python -m pipelines.sample_data.calibration`` rewrites it; a
test checks it is current). The generator then draws each province's 2026 behaviour around these
rates; its legacy predecessors share them (so series run on across 1 July 2025).

How a group's points become rates (a group has several sub-indicators, the split is a choice):
- progress: progress_on_time_rate = points / 20; satisfaction: satisfaction_rate = points / 18.
- digitization: one level f for dossier digitization, result digitization, e-results and data
  reuse (the generator draws them independently, so dossier-and-result digitization is f * f);
  f solved so that the method's points equal the published ones.
- online service and online payment together: the generator pays online only for online dossiers
  of procedures with online payment, so the two groups pull against each other (few online
  dossiers, yet many paid online). The procedures offered online are chosen in a fixed order
  (fee-bearing ones first, then by volume); for the largest count that can work, the online share
  of those procedures' dossiers and the share of fee dossiers paid online follow from the points.
  Transparency has no source in the sample and is not calibrated.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path

from pipelines.sample_data.catalog import PROCEDURES

# the real snapshot as bundled (official.py lands it; not imported here: official -> sinks ->
# simulate, which reads this module)
SNAPSHOT_FILE = Path(__file__).parent / "reference_figures" / "published_766_2026-10-10.csv"
SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
METHOD_FILE = SEEDS_DIR / "ref_index_method.csv"
CROSSWALK_FILE = SEEDS_DIR / "ref_province_crosswalk.csv"
TARGETS_FILE = Path(__file__).parent / "calibration_targets_2026.csv"
METHOD_VERSION = "766-v1"
PORTAL_GROUPS = {
    "TDGQ": "progress",
    "CLGQ": "online_service",
    "MDSH": "digitization",
    "MDHL": "satisfaction",
    "TTTT": "online_payment",
}
# Current-era share of dossiers by level (simulate.LEVEL_SHARE; read here to avoid a cycle).
CURRENT_LEVEL_SHARE = {"province": 0.35, "commune": 0.65}
MAX_PROBABILITY = 0.95  # the highest per-dossier online (or pay-online) probability allowed


@dataclass(frozen=True)
class Target:
    """What a current province's 2026 year to date should show (rates as fractions)."""

    province_code: str
    dvcqg_code: str
    province_name: str
    progress_on_time_rate: float
    satisfaction_rate: float
    digitization_level: float
    online_procedures: int
    online_dossier_rate: float
    online_share_of_capable: float
    pay_online_share: float
    published_progress: float
    published_online_service: float
    published_digitization: float
    published_satisfaction: float
    published_online_payment: float


def _method_rows(group: str) -> list[dict[str, str]]:
    with METHOD_FILE.open(encoding="utf-8") as handle:
        return [
            row
            for row in csv.DictReader(handle)
            if row["method_version"] == METHOD_VERSION and row["group_code"] == group
        ]


def method_points(group: str, rates: dict[str, float]) -> float:
    """The group's points for KPI rates (fractions), as macros/service_index.sql computes them."""
    total = 0.0
    for row in _method_rows(group):
        rate = 100 * rates[row["kpi_code"]]
        if row["formula"] == "linear":
            total += float(row["max_points"]) * min(rate, 100) / 100
        elif row["formula"] == "capped":
            total += float(row["max_points"]) * min(rate / float(row["full_at_pct"]), 1)
    return total


def digitization_rates(level: float) -> dict[str, float]:
    """The digitization KPIs at one level: dossier and result digitization are drawn
    independently, so both together is level squared."""
    return {
        "e_result_rate": level,
        "digitization_rate": level * level,
        "data_reuse_rate": level,
        "dossier_digitization_rate": level,
        "result_digitization_rate": level,
    }


def solve_digitization_level(points: float) -> float:
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if method_points("digitization", digitization_rates(middle)) < points:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def procedure_volume_shares() -> dict[str, float]:
    """Each procedure's share of a current province's dossiers (level share x volume weight)."""
    shares: dict[str, float] = {}
    for level, level_share in CURRENT_LEVEL_SHARE.items():
        members = [p for p in PROCEDURES if p.current_level == level]
        total = sum(p.volume_weight for p in members)
        for p in members:
            shares[p.code] = level_share * p.volume_weight / total
    return shares


def online_order() -> list[str]:
    """The order in which the sample's provinces offer procedures online: fee-bearing ones first
    (online payment needs them online), each kind by volume; never those that cannot be."""
    shares = procedure_volume_shares()
    capable = [p for p in PROCEDURES if p.max_capability != "none"]
    ranked = sorted(capable, key=lambda p: (not p.fee_required, -shares[p.code], p.code))
    return [p.code for p in ranked]


@dataclass(frozen=True)
class OnlineSplit:
    procedures: int
    dossier_rate: float
    online_share_of_capable: float
    pay_online_share: float


def split_online(online_points: float, payment_points: float) -> OnlineSplit:
    """Online service and payment points -> procedures online, online share of their dossiers and
    share of online fee dossiers paid online; the most procedures online that can work."""
    shares = procedure_volume_shares()
    order = online_order()
    fee_codes = {p.code for p in PROCEDURES if p.fee_required}
    fee_volume = sum(shares[c] for c in fee_codes)
    all_procedures = len(PROCEDURES)
    best: tuple[float, OnlineSplit] | None = None
    for count in range(len(order), 0, -1):
        online = order[:count]
        rates = {"online_service_procedure_rate": count / all_procedures, "online_dossier_rate": 0}
        dossier_points = online_points - method_points("online_service", rates)
        if dossier_points < 0:
            continue  # so many procedures online would already give more points
        # full points from 50 %: a province past it is given 55 %
        dossier_rate = dossier_points / 6 * 0.5 if dossier_points < 6 else 0.55
        online_share = dossier_rate / sum(shares[c] for c in online)
        if online_share > MAX_PROBABILITY:
            continue
        fee_online = [c for c in online if c in fee_codes]
        paid_rate = (payment_points - 4 * len(fee_online) / len(fee_codes)) / 6
        reachable = online_share * sum(shares[c] for c in fee_online) / fee_volume
        pay_share = paid_rate / reachable if reachable else 0.0
        split = OnlineSplit(count, dossier_rate, online_share, min(max(pay_share, 0.0), 1.0))
        if 0 <= pay_share <= MAX_PROBABILITY:
            return split
        # not reachable: the payment points missed (online payment needs an online dossier)
        missed = abs(paid_rate - reachable * split.pay_online_share)
        if best is None or missed < best[0]:
            best = (missed, split)
    assert best is not None, (online_points, payment_points)
    return dataclasses.replace(
        best[1], pay_online_share=min(best[1].pay_online_share, MAX_PROBABILITY)
    )


def derive_targets() -> list[Target]:
    with CROSSWALK_FILE.open(encoding="utf-8") as handle:
        current_of = {
            row["current_dvcqg_code"]: (row["current_code"], row["current_name"])
            for row in csv.DictReader(handle)
        }
    targets = []
    with SNAPSHOT_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            points = {group: float(row[column]) for column, group in PORTAL_GROUPS.items()}
            code, name = current_of[row["dvcqg_code"]]
            split = split_online(points["online_service"], points["online_payment"])
            targets.append(
                Target(
                    province_code=code,
                    dvcqg_code=row["dvcqg_code"],
                    province_name=name,
                    progress_on_time_rate=round(points["progress"] / 20, 6),
                    satisfaction_rate=round(points["satisfaction"] / 18, 6),
                    digitization_level=round(solve_digitization_level(points["digitization"]), 6),
                    online_procedures=split.procedures,
                    online_dossier_rate=round(split.dossier_rate, 6),
                    online_share_of_capable=round(split.online_share_of_capable, 6),
                    pay_online_share=round(split.pay_online_share, 6),
                    published_progress=points["progress"],
                    published_online_service=points["online_service"],
                    published_digitization=points["digitization"],
                    published_satisfaction=points["satisfaction"],
                    published_online_payment=points["online_payment"],
                )
            )
    return sorted(targets, key=lambda t: t.province_code)


def write_targets(path: Path = TARGETS_FILE) -> None:
    names = [f.name for f in fields(Target)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for target in derive_targets():
            writer.writerow(asdict(target))


@cache
def read_targets(path: Path = TARGETS_FILE) -> dict[str, Target]:
    """Current province code -> its 2026 target, from the data file."""
    types = {f.name: f.type for f in fields(Target)}
    casts = {"str": str, "float": float, "int": int}
    with path.open(encoding="utf-8") as handle:
        return {
            row["province_code"]: Target(
                **{name: casts[types[name]](value) for name, value in row.items()}
            )
            for row in csv.DictReader(handle)
        }


if __name__ == "__main__":
    write_targets()
    print(f"wrote {TARGETS_FILE}")
