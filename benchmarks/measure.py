"""Run a command and measure it: wall time, peak memory of its whole process tree, CPU time, and
(when asked) how much the disk filled at most while it ran.

Peak memory is sampled (every 50 ms) as the sum of the resident set sizes of the process and all
its descendants (dbt runs as a child of Dagster), so it is what the machine had to hold at once.
RSS counts shared pages once per process, so the sum is an upper bound; the largest single
process is reported beside it. A spike shorter than the sampling interval can be missed.

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

    def as_dict(self, keep_output: bool = False) -> dict[str, object]:
        data = asdict(self)
        if not keep_output:
            data["stdout"] = data["stdout"][-2000:]
            data["stderr"] = data["stderr"][-2000:]
        return data


def _tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """(sum of RSS over the tree, largest single RSS) right now."""
    total = largest = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for p in procs:
        try:
            rss = p.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest


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
    stop = threading.Event()
    watched = psutil.Process(proc.pid)

    def sample() -> None:
        nonlocal peak, peak_single, peak_disk
        while not stop.is_set():
            total, largest = _tree_rss(watched)
            peak, peak_single = max(peak, total), max(peak_single, largest)
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
    )
