"""A hook through which the ingestion reports its progress, file by file, to whoever listens.

The loader knows nothing of who shows the progress (the `make pipeline` console, nobody in the
Dagster UI): it calls the listener in force, a no-op unless one was set with ``listening()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class LoadListener(Protocol):
    def source_started(self, source: str, files_total: int) -> None:
        """A source's landing folder is about to be read; it holds ``files_total`` files."""

    def file_done(self, source: str, file_name: str, rows: int) -> None:
        """One file was looked at: loaded, rejected, or skipped as already loaded (0 rows)."""

    def source_finished(self, source: str) -> None:
        """Every file of the source was looked at (also after an error)."""


class _Silent:
    def source_started(self, source: str, files_total: int) -> None:
        pass

    def file_done(self, source: str, file_name: str, rows: int) -> None:
        pass

    def source_finished(self, source: str) -> None:
        pass


_listener: LoadListener = _Silent()


def load_listener() -> LoadListener:
    return _listener


@contextmanager
def listening(listener: LoadListener) -> Iterator[LoadListener]:
    """Make ``listener`` hear every load started in this process until the block ends."""
    global _listener
    previous, _listener = _listener, listener
    try:
        yield listener
    finally:
        _listener = previous
