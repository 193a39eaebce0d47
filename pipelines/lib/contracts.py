"""Data contracts (ODCS v3 YAML in data_contracts/): where a source's schema and rules live.

The contract is the single source for the raw table's DDL, the header aliases a parser accepts,
the SQL that types and checks every row in DuckDB, and the Great Expectations suite run at the
file boundary. Nothing about a source's rules is written a second time in code.

What this module reads from a contract:
- ``schema[0].properties``: name, physicalType, logicalType, required, ``primaryKey``,
  ``quality: [{rule: validValues, validValues: [...]}]``, ``logicalTypeOptions.format`` (accepted
  strptime formats of a date/timestamp) and ``customProperties`` ``aliases`` (header texts).
- ``schema[0].quality``: ``engine: row_rule`` (SQL predicate over one row, true = passes, null =
  not applicable; ``severity: warning`` = the row loads anyway and the load's message says so),
  ``engine: key`` (columns unique within a file) and ``engine: province_era`` (the province a row
  names must exist in the era of one of its dates, or of ``dateExpression`` over the row).
- top-level ``customProperties``: ``fileFormats``, ``encodings``, ``snapshotDate`` (where a
  catalog's as-of date comes from) and ``replaceKey`` (which rows a later load replaces).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from pipelines.settings import DATA_CONTRACTS_DIR

# Formats a timestamp / date column accepts unless its contract narrows or widens them.
ISO_TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
)
ISO_DATE_FORMATS = ("%Y-%m-%d",)


@dataclass(frozen=True)
class Column:
    name: str
    physical_type: str
    required: bool
    description: str
    valid_values: tuple[str, ...] | None
    logical_type: str = "string"
    aliases: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    primary_key: bool = False

    @property
    def accepted_formats(self) -> tuple[str, ...]:
        if self.formats:
            return self.formats
        if self.physical_type == "timestamp":
            return ISO_TIMESTAMP_FORMATS
        if self.physical_type == "date":
            return ISO_DATE_FORMATS
        return ()


@dataclass(frozen=True)
class RowRule:
    """``severity: warning``: a row that breaks the rule still loads, unchanged; the load's
    message in audit.loads names the rule and the rows (e.g. text a spreadsheet would run)."""

    name: str
    predicate: str
    description: str
    severity: str = "error"

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"


@dataclass(frozen=True)
class KeyRule:
    """Columns whose values identify a row: a value repeated within one file quarantines every
    row carrying it (which copy is right is not guessed)."""

    name: str
    columns: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class ProvinceEraRule:
    """The province a row names (code and/or name) must exist on the date in ``date_column``:
    legacy provinces before 1 July 2025, current ones from then (a code alone is ambiguous)."""

    name: str
    code_column: str | None
    name_column: str | None
    date_column: str | None
    description: str
    # An SQL expression over the row instead of a date column (an annual index's year: its
    # results rank the provinces of the era its publication falls in).
    date_expression: str | None = None

    @property
    def date_sql(self) -> str:
        if self.date_expression:
            return f"({self.date_expression})"
        assert self.date_column is not None, f"{self.name}: a date column or expression"
        return '"' + self.date_column.replace('"', '""') + '"'


@dataclass(frozen=True)
class Contract:
    source: str
    version: str
    table: str
    columns: tuple[Column, ...]
    row_rules: tuple[RowRule, ...]
    key_rules: tuple[KeyRule, ...] = ()
    province_rules: tuple[ProvinceEraRule, ...] = ()
    file_formats: tuple[str, ...] = ("csv", "xlsx")
    encodings: tuple[str, ...] = ("utf-8", "utf-8-sig", "cp1258")
    snapshot_date: str | None = None
    replace_key: tuple[str, ...] = ()
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def all_rule_names(self) -> list[str]:
        """Every rule a row can be quarantined by, as audit.quarantine names it."""
        names = []
        for column in self.columns:
            if column.required:
                names.append(f"{column.name}_required")
            if column.valid_values:
                names.append(f"{column.name}_allowed_values")
        names += [r.name for r in self.row_rules]
        names += [r.name for r in self.key_rules]
        names += [r.name for r in self.province_rules]
        return names


def _custom(entries: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {e["property"]: e.get("value") for e in entries or []}


def _column(prop: dict[str, Any]) -> Column:
    valid = next(
        (q["validValues"] for q in prop.get("quality", []) if q.get("rule") == "validValues"),
        None,
    )
    custom = _custom(prop.get("customProperties"))
    options = prop.get("logicalTypeOptions") or {}
    formats = options.get("format") or ()
    return Column(
        name=prop["name"],
        physical_type=prop["physicalType"],
        required=bool(prop.get("required", False)),
        description=str(prop.get("description", "")).strip(),
        valid_values=tuple(str(v) for v in valid) if valid else None,
        logical_type=prop.get("logicalType", "string"),
        aliases=tuple(custom.get("aliases") or ()),
        formats=(formats,) if isinstance(formats, str) else tuple(formats),
        primary_key=bool(prop.get("primaryKey", False)),
    )


def _severity(quality: dict[str, Any]) -> str:
    severity = str(quality.get("severity", "error")).lower()
    if severity not in ("error", "warning"):
        raise ValueError(f"rule {quality.get('name')}: severity must be error or warning")
    return severity


def parse_contract(document: dict[str, Any]) -> Contract:
    (schema,) = document["schema"]
    quality = schema.get("quality", [])
    custom = _custom(document.get("customProperties"))
    description = document.get("description") or {}
    return Contract(
        source=document["name"],
        version=str(document["version"]),
        table=schema["physicalName"],
        columns=tuple(_column(p) for p in schema["properties"]),
        row_rules=tuple(
            RowRule(
                q["name"],
                " ".join(q["implementation"].split()),
                _text(q),
                _severity(q),
            )
            for q in quality
            if q.get("engine") == "row_rule"
        ),
        key_rules=tuple(
            KeyRule(q["name"], tuple(q["implementation"]["columns"]), _text(q))
            for q in quality
            if q.get("engine") == "key"
        ),
        province_rules=tuple(
            ProvinceEraRule(
                q["name"],
                q["implementation"].get("code"),
                q["implementation"].get("name"),
                q["implementation"].get("date"),
                _text(q),
                q["implementation"].get("dateExpression"),
            )
            for q in quality
            if q.get("engine") == "province_era"
        ),
        file_formats=tuple(custom.get("fileFormats") or ("csv", "xlsx")),
        encodings=tuple(custom.get("encodings") or ("utf-8", "utf-8-sig", "cp1258")),
        snapshot_date=custom.get("snapshotDate"),
        replace_key=tuple(custom.get("replaceKey") or ()),
        description=" ".join(str(description.get("usage", "")).split()),
        extra=custom,
    )


def _text(quality: dict[str, Any]) -> str:
    return " ".join(str(quality.get("description", "")).split())


@cache
def load_contract(source: str) -> Contract:
    path = DATA_CONTRACTS_DIR / f"{source}.yaml"
    return parse_contract(yaml.safe_load(path.read_text(encoding="utf-8")))
