"""Data contracts (ODCS v3 YAML in data_contracts/): where a source's schema and rules live."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from pipelines.settings import DATA_CONTRACTS_DIR


@dataclass(frozen=True)
class Column:
    name: str
    physical_type: str
    required: bool
    description: str
    valid_values: tuple[str, ...] | None


@dataclass(frozen=True)
class RowRule:
    name: str
    predicate: str
    description: str


@dataclass(frozen=True)
class Contract:
    source: str
    version: str
    table: str
    columns: tuple[Column, ...]
    row_rules: tuple[RowRule, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@cache
def load_contract(source: str) -> Contract:
    document = yaml.safe_load((DATA_CONTRACTS_DIR / f"{source}.yaml").read_text(encoding="utf-8"))
    (schema,) = document["schema"]
    columns = []
    for prop in schema["properties"]:
        valid = next(
            (q["validValues"] for q in prop.get("quality", []) if q.get("rule") == "validValues"),
            None,
        )
        columns.append(
            Column(
                name=prop["name"],
                physical_type=prop["physicalType"],
                required=bool(prop.get("required", False)),
                description=str(prop.get("description", "")).strip(),
                valid_values=tuple(valid) if valid else None,
            )
        )
    rules = tuple(
        RowRule(q["name"], " ".join(q["implementation"].split()), q.get("description", "").strip())
        for q in schema.get("quality", [])
        if q.get("engine") == "row_rule"
    )
    return Contract(
        source=document["name"],
        version=str(document["version"]),
        table=schema["physicalName"],
        columns=tuple(columns),
        row_rules=rules,
    )
