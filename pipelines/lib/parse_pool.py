"""Report files (XLSX grids, official figures) parsed in parallel across files.

A report is parsed whole in Python (fastexcel reads the sheet, the grid walk is pure Python), so
one process parses one file at a time; the loader asks this pool for every new file of a run up
front and takes each result in file order, while DuckDB checks and writes the previous one.
Workers are spawned (not forked: the parent holds DuckDB's and polars' thread pools, which a
forked child can deadlock on) and import only the parsers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from pipelines.lib.ingest_types import ParsedFile, RejectedFile

# Below this many files a pool costs more (spawning imports polars in each worker) than it saves.
MIN_FILES_FOR_POOL = 8
# On the 2-core machines this runs on, one worker per core; CCHC_PARSE_WORKERS overrides (0 = off).
DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))

Outcome = tuple[str, object, str | None]  # ("parsed", ParsedFile, None) | ("rejected", rule, msg)


def parse_workers() -> int:
    configured = os.environ.get("CCHC_PARSE_WORKERS")
    return int(configured) if configured else DEFAULT_WORKERS


def _parse(source: str, path: str) -> Outcome | None:
    """In a worker: the parse of one file, or None when it raised anything but a rejection (the
    loader then parses the file itself, so the error surfaces there exactly as without a pool)."""
    from pipelines.lib.ingest import FILE_PARSERS

    try:
        return ("parsed", FILE_PARSERS[source](Path(path)), None)
    except RejectedFile as error:  # its own pickling would need both arguments
        return ("rejected", error.rule, str(error))
    except Exception:  # the loader parses the file again and reports the error itself
        return None


class ParsePool:
    """Parses ``files`` of ``source`` in worker processes; ``take`` returns one file's parse."""

    def __init__(self, source: str, files: list[Path], workers: int | None = None):
        workers = parse_workers() if workers is None else workers
        self._futures: dict[Path, Future[Outcome | None]] = {}
        self._executor: ProcessPoolExecutor | None = None
        if workers > 1 and len(files) >= MIN_FILES_FOR_POOL:
            self._executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn")
            )
            try:
                self._futures = {p: self._executor.submit(_parse, source, str(p)) for p in files}
            except (RuntimeError, OSError):  # no process can start here: parse in this one
                self.close()

    def take(self, path: Path, parse: Callable[[Path], ParsedFile]) -> ParsedFile:
        """The file's parse (raising RejectedFile as ``parse`` would), from a worker if one
        parsed it, else by ``parse`` here."""
        future = self._futures.pop(path, None)
        try:
            outcome = future.result() if future is not None else None
        except (BrokenProcessPool, RuntimeError, OSError):
            # A worker died (killed, out of memory) or could not start (a script without a
            # __main__ guard): the file is parsed here, as without a pool.
            outcome = None
        if outcome is None:
            return parse(path)
        kind, value, message = outcome
        if kind == "rejected":
            raise RejectedFile(str(value), message or "")
        assert isinstance(value, ParsedFile)
        return value

    def close(self) -> None:
        if self._executor is not None:
            for future in self._futures.values():
                future.cancel()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
