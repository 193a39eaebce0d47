"""Run a command and measure it: wall time, peak memory of its whole process tree, CPU time, and
(when asked) how much the disk filled at most while it ran.

Peak memory is sampled (every 50 ms) as the sum of the resident set sizes of the process and all
its descendants (dbt runs as a child of Dagster), so it is what the machine had to hold at once.
RSS counts shared pages once per process, so the sum is an upper bound; the largest single
process is reported beside it, with its command line and the second of the run its peak came
(``PeakProcess``: which step to look at). A spike shorter than the sampling interval can be
missed.

Peak disk is the file system's used bytes (``statvfs``, no walk of the files) above what was used
when the command started: it sees DuckDB's spill files, which live only while a query runs and
are gone when the files are measured afterwards. Other writers on the same file system count too,
so it is read on a quiet machine only.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.05
# Enough of a command line to tell dbt from Dagster's steps from a DuckDB worker.
COMMAND_CHARS = 200


@dataclass
class PeakProcess:
    """The single process that held the most memory during a run, and when."""

    rss_mb: float = 0.0
    command: str = ""
    at_seconds: float = 0.0  # after the command started
    at_epoch: float = 0.0  # the same moment as a Unix time (to match a Dagster step's times)
    pid: int | None = None


@dataclass
class Measured:
    command: list[str]
    returncode: int
    seconds: float
    peak_tree_rss_mb: float
    peak_single_rss_mb: float
    cpu_seconds: float
    stdout: str = ""
    stderr: str = ""
    killed_after: float | None = None
    extra: dict[str, object] = field(default_factory=dict)
    # the most the file system of ``disk_path`` filled above its use at the start (run_measured)
    peak_disk_growth_mb: float | None = None
    # the largest single process at its peak (its RSS is ``peak_single_rss_mb``)
    peak_process: PeakProcess = field(default_factory=PeakProcess)

    def as_dict(self, keep_output: bool = False) -> dict[str, object]:
        data = asdict(self)
        if not keep_output:
            data["stdout"] = data["stdout"][-2000:]
            data["stderr"] = data["stderr"][-2000:]
        return data


def _tree_rss(proc: psutil.Process) -> tuple[int, int, psutil.Process | None]:
    """(sum of RSS over the tree, largest single RSS, the process holding it) right now."""
    total = largest = 0
    holder = None
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0, None
    for p in procs:
        try:
            rss = p.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        if rss > largest:
            largest, holder = rss, p
    return total, largest, holder


def _command_of(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())[:COMMAND_CHARS]
    except psutil.Error:
        return "(exited)"


def run_measured(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    stream: bool = False,
    disk_path: Path | None = None,
) -> Measured:
    """Run ``command`` to completion (or ``timeout``, then SIGKILL of the whole group).

    ``disk_path``: also sample how much its file system fills while the command runs."""
    disk_at_start = shutil.disk_usage(disk_path).used if disk_path else 0
    peak_disk = disk_at_start
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    out_target = None if stream else subprocess.PIPE
    proc = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=out_target,
        stderr=out_target,
        text=True,
        start_new_session=True,
    )
    peak = peak_single = 0
    peak_process = PeakProcess()
    stop = threading.Event()
    watched = psutil.Process(proc.pid)

    def sample() -> None:
        nonlocal peak, peak_single, peak_disk
        while not stop.is_set():
            total, largest, holder = _tree_rss(watched)
            peak = max(peak, total)
            if largest > peak_single and holder is not None:
                peak_single = largest
                peak_process.rss_mb = largest / 2**20
                peak_process.at_seconds = time.perf_counter() - began
                peak_process.at_epoch = time.time()
                # The command line is read once per new peak, not every sample.
                if holder.pid != peak_process.pid:
                    peak_process.command = _command_of(holder)
                    peak_process.pid = holder.pid
            if disk_path:
                peak_disk = max(peak_disk, shutil.disk_usage(disk_path).used)
            stop.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    killed_after = None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        killed_after = time.perf_counter() - began
        os.killpg(proc.pid, 9)
        stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - began
    stop.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
    return Measured(
        command=[str(c) for c in command],
        returncode=proc.returncode,
        seconds=seconds,
        peak_tree_rss_mb=peak / 2**20,
        peak_single_rss_mb=peak_single / 2**20,
        cpu_seconds=cpu,
        stdout=stdout or "",
        stderr=stderr or "",
        killed_after=killed_after,
        peak_disk_growth_mb=(peak_disk - disk_at_start) / 2**20 if disk_path else None,
        peak_process=peak_process,
    )
