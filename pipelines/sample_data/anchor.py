"""The one real report the generator reproduces: Hòa Bình, Q1/2023, whole province.

Source: ../shared/seeds/001_358e3021f09898ba.txt (SOURCES.md §1). The province totals are the
published figures; how they split over agencies is not published, so the split is drawn (seeded)
so that every agency row satisfies the report identities and the rows sum exactly to the totals.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from pipelines.sample_data.counts import RowCounts
from pipelines.sample_data.portal_report import AgencyRow, Report, ReportPeriod
from pipelines.sample_data.units import LEGACY, Agency, build_provinces

HOA_BINH_LEGACY_CODE = "17"
HOA_BINH_Q1_2023 = RowCounts(
    carried=11_070,
    online=72_901,
    direct=4_453,  # the report gives direct and postal together; we put them under direct
    postal=0,
    early=59_192,
    on_time=19_139,
    late=186,
    within_due=9_888,
    overdue=19,
    returned_withdrawn=0,
)
ANCHOR_PERIOD = ReportPeriod("quarter", date(2023, 1, 1), date(2023, 3, 31))


def split_table(
    row_sums: np.ndarray, column_sums: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A random non-negative integer table with exactly these margins (sequential multivariate
    hypergeometric draws: each row takes its share out of what the columns still hold)."""
    assert row_sums.sum() == column_sums.sum(), "margins disagree"
    table = np.zeros((len(row_sums), len(column_sums)), dtype=np.int64)
    remaining = column_sums.astype(np.int64).copy()
    for index, row_sum in enumerate(row_sums):
        if row_sum == 0:
            continue
        if index == len(row_sums) - 1:
            table[index] = remaining
        else:
            table[index] = rng.multivariate_hypergeometric(remaining, int(row_sum))
        remaining -= table[index]
    return table


def allocate_rows(
    totals: RowCounts, agencies: list[Agency], rng: np.random.Generator
) -> list[RowCounts]:
    """Agency rows summing to `totals`, each obeying the identities."""
    weights = np.array([agency.weight for agency in agencies], dtype=float)
    received = rng.multinomial(totals.received, weights / weights.sum())
    intake = split_table(
        received, np.array([totals.carried, totals.online, totals.direct, totals.postal]), rng
    )
    outcome = split_table(
        received,
        np.array([totals.resolved, totals.in_progress, totals.returned_withdrawn]),
        rng,
    )
    resolved = split_table(
        outcome[:, 0], np.array([totals.early, totals.on_time, totals.late]), rng
    )
    in_progress = split_table(outcome[:, 1], np.array([totals.within_due, totals.overdue]), rng)
    return [
        RowCounts(
            carried=int(intake[i, 0]),
            online=int(intake[i, 1]),
            direct=int(intake[i, 2]),
            postal=int(intake[i, 3]),
            early=int(resolved[i, 0]),
            on_time=int(resolved[i, 1]),
            late=int(resolved[i, 2]),
            within_due=int(in_progress[i, 0]),
            overdue=int(in_progress[i, 1]),
            returned_withdrawn=int(outcome[i, 2]),
        )
        for i in range(len(agencies))
    ]


def hoa_binh_report(seed: int) -> Report:
    legacy, _ = build_provinces("25", seed, legacy_communes_sampled=6, current_communes_sampled=0)
    hoa_binh = next(p for p in legacy if p.code == HOA_BINH_LEGACY_CODE and p.era == LEGACY)
    agencies = list(hoa_binh.agencies)
    # Weight levels as the published split suggests for 2023: departments a third of the work.
    level_share = {"province": 0.35, "district": 0.45, "commune": 0.20}
    per_level = {
        level: sum(a.weight for a in agencies if a.level == level) for level in level_share
    }
    weighted = [
        Agency(a.code, a.name, a.level, a.commune_code, a.department,
               level_share[a.level] * a.weight / per_level[a.level])
        for a in agencies
    ]  # fmt: skip
    rows = allocate_rows(HOA_BINH_Q1_2023, weighted, np.random.default_rng([seed, 2023, 17]))
    return Report(
        province_name=hoa_binh.name,
        division_type=hoa_binh.division_type,
        period=ANCHOR_PERIOD,
        rows=tuple(AgencyRow(a.level, a.name, r) for a, r in zip(agencies, rows, strict=True)),
    )
