"""The access log: sign-ins and SQL-page queries (who, when, what, rows), one JSON line each.

Appended to `<CCHC_DATA_DIR>/audit/access_log.jsonl` (CCHC_ACCESS_LOG overrides), outside the
serving database, so that a publish never replaces it; the data status page shows it to the
engineer role. A line is written with one `write` on a file opened for appending, so lines of
concurrent sessions do not interleave.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipelines.settings import data_paths

COLUMNS = ("at", "event", "user", "role", "provinces", "outcome", "rows", "detail")
_LOCK = threading.Lock()


def log_path() -> Path:
    configured = os.environ.get("CCHC_ACCESS_LOG")
    if configured:
        return Path(configured).expanduser()
    return data_paths().root / "audit" / "access_log.jsonl"


def record(
    event: str,
    user: str,
    role: str | None,
    provinces: str,
    outcome: str,
    rows: int | None = None,
    detail: str | None = None,
) -> None:
    """Append one event: sign_in / sign_in_failed / sign_out / sql."""
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "event": event,
        "user": user,
        "role": role,
        "provinces": provinces,
        "outcome": outcome,
        "rows": rows,
        "detail": detail,
    }
    path = log_path()
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line)


def read_log(limit: int = 500) -> pd.DataFrame:
    """The newest `limit` events, newest first (an unreadable line is shown, not dropped)."""
    path = log_path()
    if not path.exists():
        return pd.DataFrame(columns=list(COLUMNS))
    lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
    entries = []
    for line in reversed(lines):
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            entries.append({"event": "unreadable", "detail": line[:200]})
    return pd.DataFrame(entries, columns=list(COLUMNS))
