"""Free the warehouse pool slot of a `make pipeline` run that was killed while holding it.

A run killed with SIGKILL never releases its pool slot, and with a pool limit of 1 every later run
would wait for it forever. `make pipeline` tags its run with its host and process id; before the
next run starts, a slot held by a run whose process on this host is gone is freed and that run is
marked failed, as an operator would do by hand. A slot of a live process (a concurrent
`make pipeline`) or of a run launched by the daemon (`make dagster`) is left alone.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

PID_TAG = "cchc/pid"
HOST_TAG = "cchc/host"


def process_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def free_slots_of_dead_runs(instance: dg.DagsterInstance, pool: str) -> list[str]:
    """The run ids whose slots were freed (each marked failed if it was not finished)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    info = storage.get_concurrency_info(pool)
    holders = {slot.run_id for slot in info.claimed_slots} | {
        step.run_id for step in info.pending_steps
    }
    host = socket.gethostname()
    freed = []
    for run_id in sorted(holders):
        run = instance.get_run_by_id(run_id)
        if run is not None:
            pid = run.tags.get(PID_TAG)
            if run.tags.get(HOST_TAG) != host or not pid or pid_alive(int(pid)):
                continue
            if not run.is_finished:
                instance.report_run_failed(run)
        storage.free_concurrency_slots_for_run(run_id)
        freed.append(run_id)
    return freed
