"""What `make pipeline` shows while it runs: a progress bar per source in a terminal (files done
of total, rows, rows/s, time left), one line per source when the output goes to a log; dbt's own
log kept aside (shown with -v or when the run fails), its summary line always."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# dbt's closing line: "Done. PASS=164 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=164"
DBT_SUMMARY = re.compile(r"^Done\. PASS=\d+")


def plain(text: str) -> str:
    return ANSI.sub("", text)


@dataclass
class SourceTally:
    files_total: int
    started: float = field(default_factory=time.perf_counter)
    files_done: int = 0
    rows: int = 0
    ended: float | None = None

    @property
    def seconds(self) -> float:
        return (self.ended or time.perf_counter()) - self.started

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


class _RowsColumn(ProgressColumn):
    """Rows read so far and the rate, from the task's ``rows`` field."""

    def render(self, task: Task) -> Text:
        rows = task.fields.get("rows", 0)
        elapsed = task.finished_time if task.finished else task.elapsed
        rate = rows / elapsed if elapsed else 0.0
        return Text(f"{rows:>12,} rows  {rate:>10,.0f} rows/s", style="cyan")


class LoadProgress:
    """The ingestion's listener (pipelines.lib.progress.LoadListener) for a person at a terminal
    (live bars) or a log (a line per source when it is done)."""

    def __init__(self, console: Console, live: bool):
        self.console = console
        self.tallies: dict[str, SourceTally] = {}
        self._progress: Progress | None = None
        self._tasks: dict[str, object] = {}
        if live:
            self._progress = Progress(
                TextColumn("[bold]{task.description:<24}"),
                BarColumn(bar_width=28),
                MofNCompleteColumn(),
                TextColumn("files"),
                _RowsColumn(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )

    def __enter__(self) -> LoadProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def source_started(self, source: str, files_total: int) -> None:
        self.tallies[source] = SourceTally(files_total)
        if self._progress is not None:
            self._tasks[source] = self._progress.add_task(
                f"load {source}", total=max(files_total, 1), rows=0
            )

    def file_done(self, source: str, file_name: str, rows: int) -> None:
        tally = self.tallies[source]
        tally.files_done += 1
        tally.rows += rows
        if self._progress is not None:
            self._progress.update(self._tasks[source], advance=1, rows=tally.rows)  # type: ignore[arg-type]

    def source_finished(self, source: str) -> None:
        tally = self.tallies[source]
        tally.ended = time.perf_counter()
        if self._progress is not None:
            task = self._tasks[source]
            self._progress.update(task, completed=max(tally.files_total, 1))  # type: ignore[arg-type]
            self._progress.stop_task(task)  # type: ignore[arg-type]
            return
        self.console.print(
            f"pipeline: load {source}: {tally.files_done} of {tally.files_total} file(s) read, "
            f"{tally.rows:,} rows in {tally.seconds:.1f} s "
            f"({tally.rows_per_second:,.0f} rows/s)",
            highlight=False,
            soft_wrap=True,
        )


class CapturedOutput(io.TextIOBase):
    """Stands in for sys.stdout during the run: every line (dbt's log, re-emitted by dagster-dbt
    on stdout) goes to ``log_file``; only dbt's summary line reaches ``shown`` unless verbose."""

    def __init__(self, shown: TextIO, log_file: Path, verbose: bool):
        self.shown = shown
        self.verbose = verbose
        self.log_file = log_file
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_file.open("w", encoding="utf-8")
        self._pending = ""
        self.summary_lines: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._log.write(plain(text))
        if self.verbose:
            self.shown.write(text)
            return len(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if DBT_SUMMARY.match(plain(line).strip()):
                self.summary_lines.append(plain(line).strip())
                self.shown.write(f"dbt: {plain(line).strip()}\n")
        return len(text)

    def flush(self) -> None:
        if not self._log.closed:
            self._log.flush()
        self.shown.flush()

    def close(self) -> None:
        if not self._log.closed:
            self._log.close()
        super().close()

    def tail(self, lines: int) -> list[str]:
        self._log.flush()
        text = self.log_file.read_text(encoding="utf-8").splitlines()
        return text[-lines:]
