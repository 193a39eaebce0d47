"""Administrative units and the agencies that receive dossiers, from the shipped reference lists.

Before 1 July 2025 a province is one of the 63 legacy provinces, with districts and communes;
from that date one of the 34 current provinces, with communes only. A province code alone is not
an identity (new Tây Ninh is 80, Long An's old code), so every unit carries its era.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.sample_data.catalog import CURRENT_DEPARTMENTS, LEGACY_DEPARTMENTS, Department

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "reference"
RESTRUCTURING_DATE = date(2025, 7, 1)
LEGACY = "legacy"
CURRENT = "current"

# Curated order for `--provinces N`: the first ones exercise the traps (a three-way merger
# including Hòa Bình, the reused code 80, an unchanged province), then the rest by code.
PREFERRED_CURRENT_ORDER = ("25", "80", "04")


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    level: str  # province | district | commune
    commune_code: str | None
    department: Department | None
    weight: float


@dataclass(frozen=True)
class Province:
    era: str  # legacy | current
    code: str
    name: str  # official, with the 'Tỉnh' / 'Thành phố' prefix, list orthography
    short_name: str  # without the prefix: 'Hoà Bình'
    division_type: str
    volume_weight: float
    agencies: tuple[Agency, ...] = field(repr=False)
    successor_code: str | None = None  # legacy only
    predecessor_codes: tuple[str, ...] = ()  # current only

    @property
    def key(self) -> str:
        """Unique across eras: 'L17', 'C25'."""
        return ("L" if self.era == LEGACY else "C") + self.code

    @property
    def slug(self) -> str:
        return slugify(self.short_name)


def slugify(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "_".join("".join(ch if ch.isalnum() else " " for ch in ascii_text.lower()).split())


def strip_prefix(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _read_csv(name: str) -> list[dict[str, str]]:
    # polars reads the 10k-row lists ~20x faster than csv.DictReader; codes stay text.
    return pl.read_csv(REFERENCE_DIR / name, infer_schema=False).to_dicts()


@dataclass(frozen=True)
class ReferenceLists:
    legacy_provinces: list[dict[str, str]]
    legacy_districts: list[dict[str, str]]
    legacy_communes: list[dict[str, str]]
    current_provinces: list[dict[str, str]]
    current_communes: list[dict[str, str]]
    legacy_to_current: dict[str, str]


@cache
def reference_lists() -> ReferenceLists:
    conversion = _read_csv("ref_commune_conversion_2025.csv")
    # Each old province went whole into one new province; the commune table says which. The
    # majority vote ignores the single mis-tagged row the package is known for.
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for row in conversion:
        votes[row["legacy_province_code"]][row["current_province_code"]] += 1
    legacy_to_current = {code: counter.most_common(1)[0][0] for code, counter in votes.items()}
    return ReferenceLists(
        legacy_provinces=_read_csv("ref_legacy_provinces.csv"),
        legacy_districts=_read_csv("ref_legacy_districts.csv"),
        legacy_communes=_read_csv("ref_legacy_communes.csv"),
        current_provinces=_read_csv("ref_current_provinces.csv"),
        current_communes=_read_csv("ref_current_communes.csv"),
        legacy_to_current=legacy_to_current,
    )


def unit_display_name(name: str, division_type: str) -> str:
    """'Huyện Lương Sơn' -> 'UBND huyện Lương Sơn': reports name the people's committee."""
    return "UBND " + name[0].lower() + name[1:] if division_type else name


def _sample(rows: list[dict[str, str]], count: int, rng: np.random.Generator) -> list[dict]:
    """Communes drawn at random, no two with the same name: a province's report tells its agencies
    apart by name alone, and the official lists repeat names across districts (Hưng Đạo, ...)."""
    picked: list[int] = []
    names: set[str] = set()
    for index in rng.permutation(len(rows)):
        key = (rows[index]["name"], rows[index]["type"])
        if key in names:
            continue
        names.add(key)
        picked.append(int(index))
        if len(picked) == count:
            break
    return [rows[i] for i in sorted(picked)]


def _department_agencies(province_code: str, departments: tuple[Department, ...]) -> list[Agency]:
    return [
        Agency(
            code=f"{province_code}.S{index:02d}",
            name=department.name,
            level="province",
            commune_code=None,
            department=department,
            weight=department.volume_weight,
        )
        for index, department in enumerate(departments, start=1)
    ]


def _commune_agency(province_code: str, commune: dict[str, str], weight: float) -> Agency:
    return Agency(
        code=f"{province_code}.X{commune['code']}",
        name=unit_display_name(commune["name"], commune["type"]),
        level="commune",
        commune_code=commune["code"],
        department=None,
        weight=weight,
    )


def parse_province_selection(selection: str | None, current_codes: list[str]) -> set[str]:
    """'all' or None: every province; '3': the first 3 in the curated order; '25,80' or '04':
    those current codes. A bare number without a leading zero or comma is a count."""
    ordered = list(PREFERRED_CURRENT_ORDER) + [
        c for c in current_codes if c not in PREFERRED_CURRENT_ORDER
    ]
    text = (selection or "all").strip().lower()
    if text == "all":
        return set(current_codes)
    if text.isdigit() and not text.startswith("0"):
        count = int(text)
        if not 1 <= count <= len(ordered):
            raise ValueError(f"--provinces count must be 1..{len(ordered)}, got {count}")
        return set(ordered[:count])
    chosen = {code.strip().zfill(2) for code in text.split(",") if code.strip()}
    unknown = chosen - set(current_codes)
    if unknown or not chosen:
        raise ValueError(f"unknown current province codes: {sorted(unknown)}")
    return chosen


def build_provinces(
    selection: str | None, seed: int, legacy_communes_sampled: int, current_communes_sampled: int
) -> tuple[list[Province], list[Province]]:
    """Legacy and current provinces for a `--provinces` selection, with their agencies.

    `selection`: None for all, 'N' for the first N current provinces (curated order), or a comma
    list of current province codes; each current province brings its legacy predecessors.
    """
    ref = reference_lists()
    current_codes = [row["code"] for row in ref.current_provinces]
    chosen = parse_province_selection(selection, current_codes)
    rng = np.random.default_rng([seed, 1])
    districts_by_province: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in ref.legacy_districts:
        districts_by_province[row["province_code"]].append(row)
    legacy_communes_by_province: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in ref.legacy_communes:
        legacy_communes_by_province[row["province_code"]].append(row)
    current_communes_by_province: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in ref.current_communes:
        current_communes_by_province[row["province_code"]].append(row)

    # Volume follows the number of communes, a fair proxy for population in the official lists.
    legacy_weight = {code: float(len(rows)) for code, rows in legacy_communes_by_province.items()}

    legacy: list[Province] = []
    for row in sorted(ref.legacy_provinces, key=lambda r: r["code"]):
        successor = ref.legacy_to_current[row["code"]]
        if successor not in chosen:
            continue
        agencies = _department_agencies(row["code"], LEGACY_DEPARTMENTS)
        districts = districts_by_province[row["code"]]
        agencies += [
            Agency(
                code=f"{row['code']}.H{district['code']}",
                name=unit_display_name(district["name"], district["type"]),
                level="district",
                commune_code=None,
                department=None,
                weight=1.0,
            )
            for district in districts
        ]
        agencies += [
            _commune_agency(row["code"], commune, 1.0)
            for commune in _sample(
                legacy_communes_by_province[row["code"]], legacy_communes_sampled, rng
            )
        ]
        legacy.append(
            Province(
                era=LEGACY,
                code=row["code"],
                name=row["name"],
                short_name=strip_prefix(row["name"]),
                division_type=row["type"],
                volume_weight=legacy_weight[row["code"]],
                agencies=tuple(agencies),
                successor_code=successor,
            )
        )

    current: list[Province] = []
    for row in sorted(ref.current_provinces, key=lambda r: r["code"]):
        if row["code"] not in chosen:
            continue
        predecessors = tuple(
            sorted(old for old, new in ref.legacy_to_current.items() if new == row["code"])
        )
        agencies = _department_agencies(row["code"], CURRENT_DEPARTMENTS)
        agencies += [
            _commune_agency(row["code"], commune, 1.0)
            for commune in _sample(
                current_communes_by_province[row["code"]], current_communes_sampled, rng
            )
        ]
        current.append(
            Province(
                era=CURRENT,
                code=row["code"],
                name=row["name"],
                short_name=strip_prefix(row["name"]),
                division_type=row["type"],
                volume_weight=sum(legacy_weight[code] for code in predecessors),
                agencies=tuple(agencies),
                predecessor_codes=predecessors,
            )
        )
    return legacy, current
