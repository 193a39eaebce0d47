"""Report files parsed and passed through the checker several at once, ahead of their turn.

A portal report holds a few dozen rows, and its one pass (type every cell, evaluate every row
rule) cost ≈ 9 ms whatever its size, most of it DuckDB binding and optimizing the statement: at
1,814 reports a run, ≈ 16 s of a load that checks 55 k rows. So before a report's transaction
the loader asks for it here: the report and the next ones of the run (``AHEAD_FILES``) are
taken from the parse pool and their rows, where they have the same columns, passed in one
statement (``FileChecker.check_ahead``); each file's transaction then only moves its own rows to
the checker's ``_staged`` (``FileChecker.take_ahead``), and everything after the pass (failures,
GX, lake, audit) is the file's own, as before.

A file is still judged alone: a parse that failed is raised in the file's turn, a file of
other columns (or whose batch pass failed) is passed in its turn as it would have been, and a
file passed ahead whose turn never comes (a duplicate, another partition's month) leaves
nothing behind but rows in a work table the next batch replaces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.lib.ingest_types import ParsedFile
from pipelines.lib.parse_pool import ParsePool
from pipelines.lib.validation.rules import FileChecker

# Files passed at once: 64 reports are ≈ 2,000 rows, one statement of ≈ 60 ms.
AHEAD_FILES = 64


@dataclass
class FilesAhead:
    """The run's new files of a report source, in load order, parsed by ``parses`` (or by
    ``parse`` here) and passed ahead; ``file`` gives a file's parse, ``stage`` its rows."""

    files: list[Path]
    parse: Callable[[Path], ParsedFile]
    parses: ParsePool | None = None
    # The current batch: each file's parse (or the error it raised) and, for the files passed
    # ahead, its position in the checker's table of rows passed ahead.
    _parsed: dict[Path, ParsedFile | Exception] = field(default_factory=dict)
    _parts: dict[Path, int] = field(default_factory=dict)
    _position: dict[Path, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._position = {path: i for i, path in enumerate(self.files)}

    def prepare(self, path: Path, checker: FileChecker) -> None:
        """Before ``path``'s transaction: unless the current batch holds it, parse it and the
        files after it, and pass those with its columns at once."""
        if path in self._parsed:
            return
        self._parsed, self._parts = {}, {}
        start = self._position.get(path)
        batch = [path] if start is None else self.files[start : start + AHEAD_FILES]
        tables: list[pa.Table] = []
        for candidate in batch:
            try:
                parsed = self._take(candidate)
            except Exception as error:  # raised again in the file's turn
                self._parsed[candidate] = error
                continue
            self._parsed[candidate] = parsed
            table = parsed.rows.to_arrow()
            if tables and table.schema != tables[0].schema:
                continue  # passed in its own turn
            self._parts[candidate] = len(tables)
            tables.append(table)
        if not tables:
            return
        try:
            checker.check_ahead(tables)
        except duckdb.Error:  # each file is passed in its turn, and fails there if it must
            self._parts = {}

    def file(self, path: Path) -> ParsedFile:
        """The file's parse, raising what its parse raised."""
        parsed = self._parsed.pop(path) if path in self._parsed else self._take(path)
        if isinstance(parsed, Exception):
            raise parsed
        return parsed

    def stage(self, path: Path, parsed: ParsedFile, checker: FileChecker) -> None:
        """The file's typed and checked rows into the checker's ``_staged``: those passed
        ahead, else a pass of its own."""
        part = self._parts.pop(path, None)
        if part is None:
            checker.add_batch(parsed.rows.to_arrow())
        else:
            checker.take_ahead(part)

    def close(self) -> None:
        if self.parses is not None:
            self.parses.close()

    def _take(self, path: Path) -> ParsedFile:
        return self.parses.take(path, self.parse) if self.parses else self.parse(path)
