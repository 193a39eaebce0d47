"""Orchestration: simulate, then write every source. (First cut: portal_report only.)"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from pipelines.sample_data.anchor import allocate_rows, hoa_binh_report
from pipelines.sample_data.counts import RowCounts
from pipelines.sample_data.portal_report import (
    LAYOUTS,
    OFFICIAL,
    AgencyRow,
    Report,
    ReportPeriod,
    write_report,
)
from pipelines.sample_data.units import build_provinces

DEFAULT_DOSSIERS = 200_000


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


@dataclass
class Summary:
    files_by_source: Counter[str] = field(default_factory=Counter)
    dossier_rows: int = 0


def _months(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    out, (year, month) = [], start
    while (year, month) <= end:
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def generate(config: GeneratorConfig) -> Summary:
    summary = Summary()
    report_dir = config.out / "portal_report"
    report_dir.mkdir(parents=True, exist_ok=True)
    write_report(hoa_binh_report(config.seed), OFFICIAL, report_dir / "17_hoa_binh_2023-q1.xlsx")
    summary.files_by_source["portal_report"] += 1
    legacy, current = build_provinces(
        config.provinces, config.seed, config.legacy_communes, config.current_communes
    )
    for province in [*legacy, *current]:
        layout = LAYOUTS[int(province.code) % len(LAYOUTS)]
        for year, month in _months(config.start, config.end):
            in_era = (date(year, month, 1) >= date(2025, 7, 1)) == (province.era == "current")
            if not in_era:
                continue
            rng = np.random.default_rng([config.seed, int(province.code), year, month])
            new = int(province.volume_weight * 20)
            online = int(new * 0.7)
            totals = RowCounts(
                carried=new // 10, online=online, direct=new - online - new // 50,
                postal=new // 50, early=int(new * 0.8), on_time=int(new * 0.18),
                late=new // 200, within_due=0, overdue=0, returned_withdrawn=0,
            )  # fmt: skip
            rest = totals.received - totals.resolved
            totals = totals.replace(within_due=rest - rest // 50, overdue=rest // 50)
            rows = allocate_rows(totals, list(province.agencies), rng)
            report = Report(
                province.name,
                province.division_type,
                ReportPeriod("month", date(year, month, 1), _month_end(year, month)),
                tuple(
                    AgencyRow(a.level, a.name, r)
                    for a, r in zip(province.agencies, rows, strict=True)
                ),
            )
            name = f"{province.code}_{province.slug}_{year}-{month:02d}.{layout.file_format}"
            write_report(report, layout, report_dir / name)
            summary.files_by_source["portal_report"] += 1
    (config.out / "_manifest.json").write_text(
        json.dumps({"generator": "pipelines.sample_data", "status": "first cut"}, indent=2) + "\n"
    )
    return summary


def _month_end(year: int, month: int) -> date:
    import calendar

    return date(year, month, calendar.monthrange(year, month)[1])
