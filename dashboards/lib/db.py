"""Read the serving database: read-only, one short-lived connection per query, cached with a TTL.

Streamlit runs each session in a thread and DuckDB connections must not be shared across threads;
the pipeline replaces serving.duckdb by rename, so a connection is never held between queries.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines.settings import data_paths

CACHE_TTL_SECONDS = 60


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


def connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        str(serving_path()),
        read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _query(sql: str, params: tuple, version: float) -> pd.DataFrame:
    del version  # part of the cache key only
    with connect() as con:
        return con.execute(sql, list(params)).df()


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    return _query(sql, params, _serving_version())


def data_as_of() -> datetime | None:
    frame = query("select published_at from meta.publish")
    return None if frame.empty else frame.iloc[0]["published_at"].to_pydatetime()
