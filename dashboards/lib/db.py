"""Read the serving database: read-only, a cursor per query, results cached with a TTL.

Opening a DuckDB file costs 40-100 ms on these machines, more than a whole page's queries, so
the pages read through one shared read-only connection to the current serving file and run each
query on its own cursor (a cursor is a connection of its own to the same database: safe across
Streamlit's session threads). The shared connection is dropped
- as soon as the pipeline has published a new file (it replaces serving.duckdb by rename: the
  old handle still reads the old, consistent file and never blocks the writer), and
- after `IDLE_SECONDS` without a query, so the file is not held between visits.
Every connection is read-only, cannot reach the file system or the network
(`enable_external_access = false`) and cannot change that (`lock_configuration = true`).
The analysts' SQL page opens a fresh connection per query instead (see `run_analyst_query`).

Who reads decides which file: a viewer limited to some provinces (or without the audit tables)
reads their own copy of the serving file (dashboards/lib/scope.py) through a reader of its own,
so every query, download and SQL-page query holds their scope without the pages doing anything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboards.lib.access import Viewer, current_viewer
from dashboards.lib.scope import scoped_path
from pipelines.settings import data_paths

CACHE_TTL_SECONDS = 60
IDLE_SECONDS = 30.0
# DuckDB shares one database instance per file within a process, and every connection to it must
# carry the same configuration: the pages' reader and the SQL page use this one.
LOCKED_CONFIG: dict[str, str | bool] = {
    "enable_external_access": False,
    "lock_configuration": True,
    "memory_limit": "1GB",
}
# The analysts' SQL page: a row cap and a time limit per query.
SQL_MAX_ROWS = 5_000
SQL_TIMEOUT_SECONDS = 10.0


class ServingDatabaseMissing(RuntimeError):
    pass


def serving_path() -> Path:
    return data_paths().serving_db


def _serving_version() -> tuple[int, int]:
    """Changes whenever the pipeline publishes, so cached results follow a new file at once.

    A publish renames a new file over the old one: a new inode, and a new modification time.
    """
    path = serving_path()
    if not path.exists():
        raise ServingDatabaseMissing(str(path))
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def path_for(viewer: Viewer | None) -> Path:
    """The file a viewer may read: the serving file (None = outside Streamlit, full access), or
    the viewer's scoped copy of it."""
    _serving_version()
    if viewer is None or viewer.unrestricted:
        return serving_path()
    return scoped_path(serving_path(), viewer.grant, viewer.sees_audit)


def readable_path() -> Path:
    """The file this session's viewer may read."""
    return path_for(current_viewer())


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    target = path or serving_path()
    return duckdb.connect(str(target), read_only=True, config=dict(LOCKED_CONFIG))


class _SharedReader:
    """One read-only connection to the current file at `path()`, handed out as cursors."""

    def __init__(self, path: Callable[[], Path] = serving_path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._version: tuple[str, int, float] | None = None
        self._active = 0
        self._last_used = 0.0
        self._closer: threading.Timer | None = None

    def _identity(self) -> tuple[str, int, float]:
        path = self._path()
        if not path.exists():
            raise ServingDatabaseMissing(str(path))
        stat = path.stat()
        return str(path), stat.st_ino, stat.st_mtime

    def cursor(self) -> duckdb.DuckDBPyConnection:
        identity = self._identity()
        with self._lock:
            if self._connection is not None and (self._version != identity):
                if self._active == 0:
                    self._connection.close()
                self._connection = None  # an active cursor keeps the old database alive
            if self._connection is None:
                self._connection = connect(Path(identity[0]))
                self._version = identity
            self._active += 1
            self._last_used = time.monotonic()
            return self._connection.cursor()

    def release(self, cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.close()
        with self._lock:
            self._active -= 1
            self._last_used = time.monotonic()
            if self._closer is None:
                self._closer = threading.Timer(IDLE_SECONDS, self._close_if_idle)
                self._closer.daemon = True
                self._closer.start()

    def _close_if_idle(self) -> None:
        with self._lock:
            self._closer = None
            idle = time.monotonic() - self._last_used
            if self._active == 0 and idle >= IDLE_SECONDS - 0.01:
                self.close_locked()
            elif self._connection is not None:
                self._closer = threading.Timer(max(IDLE_SECONDS - idle, 0.1), self._close_if_idle)
                self._closer.daemon = True
                self._closer.start()

    def close_locked(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._version = None

    def close(self) -> None:
        with self._lock:
            if self._closer is not None:
                self._closer.cancel()
                self._closer = None
            self.close_locked()

    @property
    def is_open(self) -> bool:
        return self._connection is not None


READER = _SharedReader()
# readers of scoped copies, by file: a copy's name changes with every publish, so its reader
# is never asked to follow a rename; an idle one closes itself like READER.
_SCOPED_READERS: dict[Path, _SharedReader] = {}
_SCOPED_LOCK = threading.Lock()


def _reader(path: Path) -> _SharedReader:
    if path == serving_path():
        return READER
    with _SCOPED_LOCK:
        for stale in [p for p in _SCOPED_READERS if p.parent == path.parent and p != path]:
            _SCOPED_READERS.pop(stale).close()
        if path not in _SCOPED_READERS:
            _SCOPED_READERS[path] = _SharedReader(lambda: path)
        return _SCOPED_READERS[path]


def _run(sql: str, params: tuple, path: Path | None = None) -> pd.DataFrame:
    reader = _reader(path or readable_path())
    cursor = reader.cursor()
    try:
        return cursor.execute(sql, list(params)).df()
    finally:
        reader.release(cursor)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=2_000)
def _query(sql: str, params: tuple, path: Path, version: tuple[int, int]) -> pd.DataFrame:
    del version  # part of the cache key only
    return _run(sql, params, path)


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Cached for a TTL, per file read: a viewer's scoped copy is a cache key of its own."""
    version = _serving_version()
    return _query(sql, params, readable_path(), version)


@st.cache_data(show_spinner=False, max_entries=200)
def _query_for_file(sql: str, params: tuple, path: Path, version: tuple[int, int]) -> pd.DataFrame:
    del version  # part of the cache key only
    return _run(sql, params, path)


def query_for_file(sql: str, params: tuple = ()) -> pd.DataFrame:
    """For the few small results every page reads (catalogues, the period list, the publish
    time): cached for the life of the serving file instead of a TTL. A new file is a new key."""
    version = _serving_version()
    return _query_for_file(sql, params, readable_path(), version)


def query_uncached(sql: str, params: tuple = ()) -> pd.DataFrame:
    """The same query without Streamlit's cache (the page benchmark times this)."""
    return _run(sql, params)


def data_as_of() -> tuple[datetime | None, object]:
    """When the serving DB was published and up to which date it holds data."""
    frame = query_for_file("select published_at, data_loaded_until from meta.publish")
    if frame.empty:
        return None, None
    row = frame.iloc[0]
    return row["published_at"].to_pydatetime(), row["data_loaded_until"]


# ---------------------------------------------------------------------------------------------
# The analysts' SQL page
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqlResult:
    frame: pd.DataFrame
    truncated: bool
    elapsed_ms: float


class SqlRejected(Exception):
    """A query the SQL page refused or stopped: `kind` is forbidden, timeout or error."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


_FORBIDDEN_MARKERS = (
    "disabled by configuration",
    "configuration has been locked",
    "read-only mode",
    "disabled through configuration",
)


def _classify(error: duckdb.Error) -> SqlRejected:
    text = str(error)
    if isinstance(error, duckdb.InterruptException):
        return SqlRejected("timeout", text)
    if isinstance(error, duckdb.PermissionException) or any(
        marker in text for marker in _FORBIDDEN_MARKERS
    ):
        return SqlRejected("forbidden", text)
    return SqlRejected("error", text)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def run_analyst_query(
    sql: str,
    max_rows: int = SQL_MAX_ROWS,
    timeout_seconds: float = SQL_TIMEOUT_SECONDS,
    source: Path | None = None,
) -> SqlResult:
    """Run an analyst's SQL on a fresh locked read-only connection with a row cap and a timeout.

    A timer thread calls `interrupt()` on the connection when the time is up; the connection is
    closed whatever happens, so the file is never held after the query. `source` is the file
    to query, by default the one this session's viewer may read (`readable_path`).
    """
    started = time.perf_counter()
    con = connect(source or readable_path())
    timer = threading.Timer(timeout_seconds, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        cursor = con.execute(sql)
        if cursor.description is None:
            frame = pd.DataFrame()
            truncated = False
        else:
            columns = _unique([d[0] for d in cursor.description])
            rows = cursor.fetchmany(max_rows + 1)
            truncated = len(rows) > max_rows
            frame = pd.DataFrame(rows[:max_rows], columns=columns)
    except duckdb.Error as error:
        raise _classify(error) from error
    finally:
        timer.cancel()
        con.close()
    return SqlResult(frame, truncated, (time.perf_counter() - started) * 1000)
