"""Read the serving database: read-only, one short-lived connection per query, cached with a TTL.

Streamlit runs each session in a thread and DuckDB connections must not be shared across threads;
the pipeline replaces serving.duckdb by rename, so a connection is never held between queries.
Every connection is read-only, cannot reach the file system or the network
(`enable_external_access = false`) and cannot change that (`lock_configuration = true`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines.settings import data_paths

CACHE_TTL_SECONDS = 60
LOCKED_CONFIG: dict[str, str | bool] = {
    "enable_external_access": False,
    "lock_configuration": True,
}
# The analysts' SQL page: a row cap, a time limit and a memory ceiling per query.
SQL_MAX_ROWS = 5_000
SQL_TIMEOUT_SECONDS = 10.0
SQL_MEMORY_LIMIT = "1GB"


class ServingDatabaseMissing(RuntimeError):
    pass


def serving_path() -> Path:
    return data_paths().serving_db


def _serving_version() -> float:
    """Changes whenever the pipeline publishes, so cached results follow a new file at once."""
    path = serving_path()
    if not path.exists():
        raise ServingDatabaseMissing(str(path))
    return path.stat().st_mtime


def connect(memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    config = dict(LOCKED_CONFIG)
    if memory_limit:
        config["memory_limit"] = memory_limit
    return duckdb.connect(str(serving_path()), read_only=True, config=config)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=2_000)
def _query(sql: str, params: tuple, version: float) -> pd.DataFrame:
    del version  # part of the cache key only
    with connect() as con:
        return con.execute(sql, list(params)).df()


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    return _query(sql, params, _serving_version())


def query_uncached(sql: str, params: tuple = ()) -> pd.DataFrame:
    """The same query without Streamlit's cache (the page benchmark times this)."""
    _serving_version()
    with connect() as con:
        return con.execute(sql, list(params)).df()


def data_as_of() -> tuple[datetime | None, object]:
    """When the serving DB was published and up to which date it holds data."""
    frame = query("select published_at, data_loaded_until from meta.publish")
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
) -> SqlResult:
    """Run an analyst's SQL on a fresh locked read-only connection with a row cap and a timeout.

    A timer thread calls `interrupt()` on the connection when the time is up; the connection is
    closed whatever happens, so the file is never held after the query.
    """
    started = time.perf_counter()
    _serving_version()
    con = connect(memory_limit=SQL_MEMORY_LIMIT)
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
