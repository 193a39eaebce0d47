"""Failure notification: a hook on the pipeline jobs and a run-failure sensor for ad-hoc runs.

Both log the failing step, the files and the rules, and POST them as JSON to
``CCHC_ALERT_WEBHOOK_URL`` when it is set (see pipelines/lib/alerts.py). The hook runs inside the
run (so `make pipeline` notifies without a daemon); the sensor covers runs started from the UI on
the implicit asset job, which carries no hook.
"""

from __future__ import annotations

import dagster as dg

from pipelines.lib.alerts import FailureAlert, notify
from pipelines.lib.run_report import build_report, step_failure

HOOKED_JOBS: set[str] = set()  # filled by pipelines.defs.jobs


def alert_for(
    instance: dg.DagsterInstance, run_id: str, step: str | None, error: object
) -> FailureAlert:
    report = build_report(instance, run_id)
    failure = step_failure(step or "?", error) if error is not None else None
    files = list(dict.fromkeys([*(failure.files if failure else []), *report.files()]))
    rules = list(dict.fromkeys([*(failure.rules if failure else []), *report.rules()]))
    lines = [line.strip() for line in (failure.error if failure else "").splitlines()]
    message = " ".join(line for line in lines[:2] if line) or "run failed"
    return FailureAlert(
        run_id=run_id,
        job=report.job,
        step=step,
        error=message,
        files=files,
        rules=rules,
        partitions=report.partitions,
    )


@dg.failure_hook(name="notify_on_failure")
def notify_on_failure(context: dg.HookContext) -> None:
    alert = alert_for(context.instance, context.run_id, context.step_key, context.op_exception)
    alert.kind = "step_failure"
    notify(alert, log=context.log)


@dg.run_failure_sensor(
    name="notify_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Notifies about failed runs that the pipeline jobs' failure hook did not cover "
    "(materializations started by hand from the UI).",
)
def notify_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    if run.job_name in HOOKED_JOBS:
        return
    failures = context.get_step_failure_events()
    step = failures[0].step_key if failures else None
    error = (
        failures[0].step_failure_data.error if failures and failures[0].step_failure_data else None
    )
    alert = alert_for(context.instance, run.run_id, step, error)
    if error is None and context.failure_event.message:
        alert.error = context.failure_event.message
    notify(alert, log=context.log)
