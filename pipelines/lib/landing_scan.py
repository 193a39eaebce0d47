"""What is in the landing folder, cheaply: name, size and modification time per file.

The landing sensor keeps the last listing as its cursor and starts a run when a file is new or its
size or mtime changed. Hashing and parsing stay in the run (the ingestion skips a file whose
content hash it has already loaded), so a tick costs one ``stat`` per file. A file modified in the
last ``settle_seconds`` is left for a later tick: it may still be being copied.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

Listing = dict[str, dict[str, list[int]]]  # source -> file name -> [size, mtime_ns]


def is_landed_file(path: Path) -> bool:
    """The same rule the ingestion applies: hidden, editor lock and partial files are skipped."""
    return path.is_file() and not path.name.startswith((".", "~$", "_"))


def scan(
    landing: Path,
    sources: Iterable[str],
    *,
    settle_seconds: float = 0,
    now: float | None = None,
) -> tuple[Listing, list[str]]:
    """The settled files per source, and the names of files not settled yet."""
    now = time.time() if now is None else now
    listing: Listing = {}
    unsettled: list[str] = []
    for source in sources:
        folder = landing / source
        files: dict[str, list[int]] = {}
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if not is_landed_file(path):
                    continue
                stat = path.stat()
                if settle_seconds > 0 and now - stat.st_mtime < settle_seconds:
                    unsettled.append(f"{source}/{path.name}")
                    continue
                files[path.name] = [stat.st_size, stat.st_mtime_ns]
        listing[source] = files
    return listing, unsettled


def changed_files(previous: Mapping[str, Mapping[str, list[int]]], current: Listing) -> Listing:
    """Files that are new or whose size or mtime changed, per source (deleted files ignored)."""
    changed: Listing = {}
    for source, files in current.items():
        before = previous.get(source, {})
        delta = {name: stat for name, stat in files.items() if list(before.get(name, [])) != stat}
        if delta:
            changed[source] = delta
    return changed


def merge(previous: Mapping[str, Mapping[str, list[int]]], current: Listing) -> Listing:
    """The next cursor: the current listing, keeping what an unsettled file looked like before."""
    merged: Listing = {source: dict(files) for source, files in previous.items()}
    for source, files in current.items():
        kept = {n: s for n, s in merged.get(source, {}).items() if n in files}
        kept.update(files)
        merged[source] = kept
    return merged


def encode_cursor(listing: Listing) -> str:
    return json.dumps({"version": 1, "files": listing}, sort_keys=True, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> Listing:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
    except ValueError:
        return {}
    return data.get("files", {}) if isinstance(data, dict) else {}


def change_key(changed: Listing) -> str:
    """A stable id for a set of changes: the run key, so one change starts one run."""
    digest = hashlib.sha256(json.dumps(changed, sort_keys=True).encode()).hexdigest()
    return digest[:16]
