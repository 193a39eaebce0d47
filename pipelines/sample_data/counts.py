"""The counts of one portal_report row, and the identities of SOURCES.md §1 they obey."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

# Column order of the accumulator arrays (see simulate.py); every other figure derives from these.
BASE_METRICS = (
    "carried",
    "online",
    "direct",
    "postal",
    "early",
    "on_time",
    "late",
    "within_due",
    "overdue",
    "returned_withdrawn",
)
METRIC_INDEX = {name: index for index, name in enumerate(BASE_METRICS)}
# The warehouse's names for the report columns (pipelines/lib/portal_report.COUNT_COLUMNS);
# the manifest speaks these, so warehouse tests can compare without translating.
REPORT_COLUMN_NAMES = {
    "received": "received_total",
    "carried": "carried_over",
    "online": "received_online",
    "direct_postal": "received_direct_postal",
    "resolved": "resolved_total",
    "early": "resolved_early",
    "on_time": "resolved_on_time",
    "late": "resolved_late",
    "in_progress": "in_progress_total",
    "within_due": "in_progress_within_due",
    "overdue": "in_progress_overdue",
    "returned_withdrawn": "returned_withdrawn",
}


@dataclass(frozen=True)
class RowCounts:
    carried: int = 0
    online: int = 0
    direct: int = 0
    postal: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    within_due: int = 0
    overdue: int = 0
    returned_withdrawn: int = 0

    @classmethod
    def from_array(cls, values: np.ndarray) -> RowCounts:
        return cls(*(int(v) for v in values))

    def __add__(self, other: RowCounts) -> RowCounts:
        return RowCounts(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(RowCounts))
        )

    def replace(self, **deltas: int) -> RowCounts:
        """A copy with the given metrics shifted by the given amounts."""
        values = {f.name: getattr(self, f.name) for f in fields(RowCounts)}
        for name, delta in deltas.items():
            values[name] += delta
        return RowCounts(**values)

    @property
    def direct_postal(self) -> int:
        return self.direct + self.postal

    @property
    def new(self) -> int:
        return self.online + self.direct + self.postal

    @property
    def received(self) -> int:
        return self.carried + self.new

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def in_progress(self) -> int:
        return self.within_due + self.overdue

    def value(self, metric: str) -> int:
        return int(getattr(self, metric))

    def identity_errors(self) -> list[str]:
        """The SOURCES.md §1 identities that fail; only the last one can (the others are
        definitions here), so this checks conservation and non-negativity."""
        errors = []
        if self.received != self.resolved + self.in_progress + self.returned_withdrawn:
            errors.append("received != resolved + in_progress + returned_withdrawn")
        if any(getattr(self, f.name) < 0 for f in fields(RowCounts)):
            errors.append("negative count")
        return errors

    def as_report_columns(self) -> dict[str, int]:
        """The twelve report figures under the warehouse's column names."""
        values = self.as_dict()
        return {column: values[metric] for metric, column in REPORT_COLUMN_NAMES.items()}

    def as_dict(self) -> dict[str, int]:
        base = {f.name: getattr(self, f.name) for f in fields(RowCounts)}
        return base | {
            "received": self.received,
            "direct_postal": self.direct_postal,
            "resolved": self.resolved,
            "in_progress": self.in_progress,
        }


def sum_counts(rows: list[RowCounts]) -> RowCounts:
    total = RowCounts()
    for row in rows:
        total = total + row
    return total
