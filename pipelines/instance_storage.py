"""Dagster's SQLite storage, with each database's engine kept for the life of the process.

Dagster's stock SQLite storages create a SQLAlchemy engine, open a connection and compile every
statement afresh for each write, then throw the engine away: 7–11 ms per event, measured, most
of it in Python (engine set-up, statement compilation, the connection itself), not in SQLite. A
province-month run writes about 1,400 events (planned and recorded materializations of every
selected asset and month, planned and recorded check results, step outputs), so that fixed cost
alone was about ten seconds of a 75-second run (benchmarks/RESULTS.md).

Here each database file (the run index ``runs.db``, the event index, one file per run, the
schedules) keeps one engine with a small connection pool, so statements are compiled once and
connections reused: the same tables, rows and files, written through fewer Python layers. The
layout on disk is Dagster's own, so an instance written by either class reads with the other.

Configured in ``pipelines/dagster.yaml`` as the instance's class (``instance_class:``), whose
defaults put this storage under the folder the instance is read from, as Dagster's own default
does: any process that opens the folder (``make pipeline``, ``make dagster``, a benchmark
reading a run's steps) gets the same storage without DAGSTER_HOME pointing at it. The overrides
replace the connection helpers of the stock classes (``_connect`` and ``connect``);
`tests/test_instance_storage.py` runs jobs through them and fails if a Dagster upgrade changes
them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData

# Run shards whose engines stay open: the one a run writes and the few a webserver page reads.
# An engine pushed out is disposed, which closes its connections (and file handles).
KEPT_RUN_ENGINES = 8


def _engine(conn_string: str) -> sqlalchemy.Engine:
    """An engine with SQLAlchemy's pool for SQLite files: the connection is handed between
    threads (the webserver's, the daemon's), each use serialised by the storage or by SQLite's
    own locking; ``timeout`` waits for another process's write as Dagster's stock engine does."""
    engine = sqlalchemy.create_engine(
        conn_string,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )
    sqlalchemy.event.listen(engine, "connect", _sync_at_checkpoints)
    return engine


def _sync_at_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    """``synchronous=NORMAL`` on each new connection: every event is its own transaction, and
    SQLite's default (FULL) flushes the write-ahead log to disk at each commit (a province-month
    run writes ≈ 1,400 events). Dagster keeps its files in WAL mode, where NORMAL flushes at
    checkpoints only: no corruption on any crash, and only a power loss can take back the last
    events written (SQLite's documentation, "PRAGMA synchronous")."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, with an engine per shard kept between writes."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, sqlalchemy.Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Any]:
        # Dagster's own lock around each use of a shard: it guards the engines too
        with self._db_lock:
            engine = self._engine_for(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine_for(self, shard: str) -> sqlalchemy.Engine:
        """The shard's kept engine (made, and the shard's tables with it, on first use); called
        under ``_db_lock``."""
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = _engine(self.conn_string_for_shard(shard))
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        # the index shard is used by every run: never pushed out
        run_shards = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for name in run_shards[: max(0, len(run_shards) - KEPT_RUN_ENGINES)]:
            self._engines.pop(name).dispose()
        return engine

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        # the run shards' files are deleted: no connection may stay open on them
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()


class _KeptEngine:
    """One engine for a storage on a single SQLite file (runs, schedules), made with the storage
    (an engine opens no connection until one is asked for)."""

    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(conn_string, inst_data)  # type: ignore[call-arg]
        self._kept_engine = _engine(conn_string)

    @contextmanager
    def connect(self) -> Iterator[Any]:
        with self._kept_engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        super().dispose()  # type: ignore[misc]
        self._kept_engine.dispose()


class PooledSqliteRunStorage(_KeptEngine, SqliteRunStorage):
    """Dagster's SQLite run storage (``history/runs.db``) on one kept engine."""


class PooledSqliteScheduleStorage(_KeptEngine, SqliteScheduleStorage):
    """Dagster's SQLite schedule and sensor storage (``schedules/schedules.db``) on one kept
    engine."""


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage under ``base_dir`` (the folders and files of its default), with
    its engines kept; :class:`CchcInstance`'s default storage."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # not DagsterSqliteStorage.__init__, which builds the stock storages
        self.base_dir = base_dir
        self._run_storage = PooledSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = PooledSqliteScheduleStorage.from_local(
            _schedule_directory(base_dir)
        )
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, str]
    ) -> PooledSqliteStorage:
        # the parent's builds a DagsterSqliteStorage whatever the class
        return cls.from_local(inst_data=inst_data, **config_value)


class CchcInstance(DagsterInstance):
    """Dagster's instance, whose storage by default is :class:`PooledSqliteStorage` under the
    instance's folder (``instance_class:`` in dagster.yaml; a ``storage:`` entry there would
    still win)."""

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> dict[str, ConfigurableClassData | None]:
        defaults = dict(InstanceRef.config_defaults(base_dir))
        defaults["storage"] = ConfigurableClassData(
            PooledSqliteStorage.__module__,
            PooledSqliteStorage.__name__,
            yaml.dump({"base_dir": base_dir}, default_flow_style=False),
        )
        return defaults
