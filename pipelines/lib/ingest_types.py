"""What a source's own parser hands the loader (kept apart from ingest so parsers can import it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


class RejectedFile(ValueError):
    """A file refused whole; the message names the file, the place and the rule."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


@dataclass
class ParsedFile:
    """What a source parser hands over: rows in contract columns plus the period key."""

    rows: pl.DataFrame  # contract columns + row_number (+ helper columns the rules read)
    province_code: str | None = None
    province_name: str | None = None
    period_grain: str | None = None
    period_start: object = None
    period_end: object = None
    warnings: list[str] = field(default_factory=list)
