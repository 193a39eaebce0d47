"""Provinces before and after the 1 July 2025 restructuring, and resolving names and codes to them.

A code alone is ambiguous across the merger (new Tây Ninh is 80, which was Long An's), so every
lookup names the date the record is about: before ``RESTRUCTURING_DATE`` the 63 legacy provinces
are valid, from it the 34 current ones.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from pipelines.lib.vn_text import fold_words
from pipelines.settings import REFERENCE_DIR

RESTRUCTURING_DATE = date(2025, 7, 1)
LEGACY, CURRENT = "legacy", "current"

_PREFIX = re.compile(
    r"^(?:uy ban nhan dan|ubnd|so noi vu|van phong ubnd)?\s*"
    r"(?:tinh|thanh pho truc thuoc trung uong|thanh pho|tp)?\s*"
)
# Spellings seen in exports that folding alone does not join to the official name.
_ALIASES: dict[str, str] = {
    "hcm": "ho chi minh",
    "tp hcm": "ho chi minh",
    "tphcm": "ho chi minh",
    "sai gon": "ho chi minh",
    "thua thien hue": "hue",
    "ba ria vung tau": "ba ria vung tau",
    "brvt": "ba ria vung tau",
    "dac lac": "dak lak",
    "dak lac": "dak lak",
    "dac nong": "dak nong",
}


class UnknownProvinceError(ValueError):
    pass


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    era: str
    valid_from: date | None
    valid_to: date | None
    dvcqg_code: str | None
    successor_code: str


def province_key(name: str) -> str:
    """The comparison key of a province name: prefixes (Tỉnh, TP., UBND tỉnh) and accents gone."""
    folded = fold_words(name)
    stripped = _PREFIX.sub("", folded).strip() or folded
    return _ALIASES.get(stripped, stripped)


@cache
def provinces() -> tuple[Province, ...]:
    with (REFERENCE_DIR / "ref_province_crosswalk.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    legacy = [
        Province(
            code=row["legacy_code"],
            name=row["legacy_name"],
            era=LEGACY,
            valid_from=None,
            valid_to=date(2025, 6, 30),
            dvcqg_code=None,
            successor_code=row["current_code"],
        )
        for row in rows
    ]
    current_by_code = {
        row["current_code"]: Province(
            code=row["current_code"],
            name=row["current_name"],
            era=CURRENT,
            valid_from=RESTRUCTURING_DATE,
            valid_to=None,
            dvcqg_code=row["current_dvcqg_code"],
            successor_code=row["current_code"],
        )
        for row in rows
    }
    return (*legacy, *sorted(current_by_code.values(), key=lambda p: p.code))


def era_of(day: date) -> str:
    return CURRENT if day >= RESTRUCTURING_DATE else LEGACY


@cache
def _index(era: str) -> tuple[dict[str, Province], dict[str, Province]]:
    units = [p for p in provinces() if p.era == era]
    by_name = {province_key(p.name): p for p in units}
    by_code = {p.code: p for p in units}
    for p in units:
        if p.dvcqg_code:
            by_code[p.dvcqg_code.lower()] = p
    return by_name, by_code


def resolve_province(name_or_code: str, as_of: date) -> Province:
    """The province a record names, valid on ``as_of``; an unknown name is an error, never new."""
    era = era_of(as_of)
    by_name, by_code = _index(era)
    text = str(name_or_code).strip()
    code = text.zfill(2) if text.isdigit() and len(text) <= 2 else text.lower()
    if code in by_code:
        return by_code[code]
    key = province_key(text)
    if key in by_name:
        return by_name[key]
    era_words = "before" if era == LEGACY else "from"
    raise UnknownProvinceError(
        f"unknown province {text!r} for a period {era_words} 1 July 2025 "
        f"(expected one of the {len(by_name)} {era} provinces)"
    )
