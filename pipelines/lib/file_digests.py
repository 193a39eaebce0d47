"""Each landed file's SHA-256, read once per content.

Whether a file was loaded before is decided by its content's hash (``audit.loads.file_hash``), so
every run needed the hash of every landed file: at national scale (20 GB of landing files) each
daily run read the whole landing folder again. ``landing.file_digests`` keeps each file's hash
with its size and modification time (nanoseconds); a file whose size and time are unchanged is
not read again. A rewritten file (a corrected re-export under the same name, a copy over it) gets
a new modification time, so it is hashed again: the same rule rsync and make use. The table is
a cache: empty or dropped, the next run hashes every file again and loads the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.lib.files import file_sha256

DIGESTS_TABLE = "landing.file_digests"
DIGESTS_DDL = f"""
create schema if not exists landing;
create table if not exists {DIGESTS_TABLE} (
    source varchar not null,
    file_name varchar not null,
    file_bytes bigint not null,
    modified_ns bigint not null,
    file_hash varchar not null,
    primary key (source, file_name)
);
"""


@dataclass(frozen=True)
class FileStamp:
    """What says a file is unchanged without reading it: its size and modification time."""

    file_bytes: int
    modified_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        stat = path.stat()
        return cls(stat.st_size, stat.st_mtime_ns)


@dataclass
class FileDigests:
    """One source's landed files' hashes: known ones from the table, new ones computed (and
    written back by ``save``)."""

    source: str
    known: dict[str, tuple[FileStamp, str]]
    computed: dict[str, tuple[FileStamp, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, source: str) -> FileDigests:
        """The kept hashes, the table made first if need be (a load writes to it)."""
        con.execute(DIGESTS_DDL)
        return cls.read(con, source)

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, source: str) -> FileDigests:
        """The kept hashes (none when the table does not exist); reads only."""
        exists = con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'landing' and table_name = 'file_digests'"
        ).fetchone()
        if not exists or not exists[0]:
            return cls(source, {})
        rows = con.execute(
            f"select file_name, file_bytes, modified_ns, file_hash from {DIGESTS_TABLE} "
            "where source = ?",
            [source],
        ).fetchall()
        return cls(source, {name: (FileStamp(size, ns), digest) for name, size, ns, digest in rows})

    def digest(self, path: Path) -> str:
        stamp = FileStamp.of(path)
        kept = self.kept(path, stamp)
        if kept is not None:
            return kept
        digest = file_sha256(path)
        # The time read before the bytes: a file rewritten while it was read gets another time
        # and is read again next run, never kept with a hash of half its old content.
        self.computed[path.name] = (stamp, digest)
        return digest

    def kept(self, path: Path, stamp: FileStamp | None = None) -> str | None:
        """The hash of a file whose size and time are those it was hashed with (in an earlier
        run or this one); None without reading it otherwise (a new or rewritten file)."""
        stamp = stamp or FileStamp.of(path)
        for entries in (self.computed, self.known):
            entry = entries.get(path.name)
            if entry is not None and entry[0] == stamp:
                return entry[1]
        return None

    def save(self, con: duckdb.DuckDBPyConnection) -> None:
        """Write the hashes computed in this run (one statement)."""
        if not self.computed:
            return
        names = list(self.computed)
        stamps = [self.computed[name][0] for name in names]
        con.execute(
            f"insert or replace into {DIGESTS_TABLE} "
            "select ?, unnest(?::varchar[]), unnest(?::bigint[]), unnest(?::bigint[]), "
            "unnest(?::varchar[])",
            [
                self.source,
                names,
                [stamp.file_bytes for stamp in stamps],
                [stamp.modified_ns for stamp in stamps],
                [self.computed[name][1] for name in names],
            ],
        )
        self.known.update(self.computed)
        self.computed.clear()
