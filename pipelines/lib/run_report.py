"""What a run did, read back from Dagster's event log: failed steps, failed or warning checks.

Used by the `make pipeline` summary, the failure hook and the run-failure sensor, so the three say
the same thing: the failing step, the files and the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dagster as dg


@dataclass
class CheckReport:
    asset: str
    check: str
    passed: bool
    severity: str  # ERROR | WARN
    blocking: bool
    summary: str
    files: list[str] = field(default_factory=list)

    def line(self) -> str:
        state = "passed" if self.passed else ("FAILED" if self.severity == "ERROR" else "warning")
        text = f"check {self.asset}:{self.check} {state}"
        if not self.passed and self.summary:
            text += f" — {self.summary}"
        if not self.passed and self.files:
            text += f" (files: {', '.join(self.files)})"
        return text


@dataclass
class StepFailure:
    step: str
    error: str
    files: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    run_id: str
    job: str
    status: str
    partitions: str | None
    step_failures: list[StepFailure] = field(default_factory=list)
    checks: list[CheckReport] = field(default_factory=list)

    @property
    def failed_checks(self) -> list[CheckReport]:
        return [c for c in self.checks if not c.passed]

    def files(self) -> list[str]:
        found = [f for s in self.step_failures for f in s.files]
        found += [f for c in self.failed_checks if c.severity == "ERROR" for f in c.files]
        return list(dict.fromkeys(found))

    def rules(self) -> list[str]:
        found = [r for s in self.step_failures for r in s.rules]
        found += [c.check for c in self.failed_checks if c.severity == "ERROR"]
        return list(dict.fromkeys(found))


def _metadata_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _text(value: Any) -> str:
    value = _metadata_value(value)
    return "" if value is None else str(value)


def check_report(evaluation: Any) -> CheckReport:
    metadata = evaluation.metadata or {}
    files = _metadata_value(metadata.get("files")) or []
    if isinstance(files, str):
        files = [f for f in files.split(", ") if f]
    summary = _text(metadata.get("summary")) or (evaluation.description or "")
    return CheckReport(
        asset=evaluation.asset_key.to_user_string(),
        check=evaluation.check_name,
        passed=evaluation.passed,
        severity=evaluation.severity.value if evaluation.severity else "ERROR",
        blocking=bool(evaluation.blocking),
        summary=summary,
        files=list(files)[:10],
    )


def step_failure(step_key: str, error: Any) -> StepFailure:
    """A failed step: its error's message and, from a ``dg.Failure``'s metadata, files and rules."""
    message = ""
    metadata: dict[str, Any] = {}
    if error is None:
        message = "unknown error"
    elif isinstance(error, BaseException):
        message = getattr(error, "description", None) or str(error)
        metadata = dict(getattr(error, "metadata", None) or {})
    else:  # SerializableErrorInfo from the event log
        message = error.message
        cause = error
        while cause is not None and not message.strip():
            message, cause = cause.message, cause.cause
    failed = _metadata_value(metadata.get("failed")) or []
    files = [f for item in failed for f in item.get("files", [])]
    rules = [item["rule"] for item in failed if item.get("rule")]
    return StepFailure(step_key, message.strip(), list(dict.fromkeys(files)), rules)


def _strip_class(text: str) -> str:
    """``dagster._core.errors.DagsterAssetCheckFailedError: 1 blocking…`` → ``1 blocking…``."""
    head, sep, rest = text.partition(": ")
    return rest if sep and "." in head and " " not in head else text


def _failure_error_text(event: dg.DagsterEvent) -> str:
    data = event.step_failure_data
    if data is None or data.error is None:
        return event.message or "unknown error"
    error = data.error
    text = error.message.strip()
    # dagster wraps the user's exception: the interesting text is the innermost cause.
    cause = error.cause
    while cause is not None:
        if cause.message.strip():
            text = cause.message.strip()
        cause = cause.cause
    return text


def build_report(instance: dg.DagsterInstance, run_id: str) -> RunReport:
    run = instance.get_run_by_id(run_id)
    tags = run.tags if run else {}
    start = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition")
    end = tags.get("dagster/asset_partition_range_end") or tags.get("dagster/partition")
    report = RunReport(
        run_id=run_id,
        job=run.job_name if run else "?",
        status=run.status.value if run else "?",
        partitions=(start if start == end else f"{start}...{end}") if start else None,
    )
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            failure = StepFailure(event.step_key or "?", _strip_class(_failure_error_text(event)))
            data = event.step_failure_data
            user_metadata = getattr(data, "user_failure_data", None) if data else None
            if user_metadata is not None:
                described = step_failure(
                    failure.step,
                    dg.Failure(
                        description=user_metadata.description or failure.error,
                        metadata=user_metadata.metadata,
                    ),
                )
                failure = described
            report.step_failures.append(failure)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            report.checks.append(check_report(event.asset_check_evaluation_data))
    return report


def summary_lines(report: RunReport) -> list[str]:
    lines = []
    for failure in report.step_failures:
        first, *rest = failure.error.splitlines() or [""]
        lines.append(f"step {failure.step} failed: {first}")
        lines += [f"    {line}" for line in rest[:12]]
        if failure.files:
            lines.append(f"    files: {', '.join(failure.files)}")
    for check in report.failed_checks:
        lines.append(check.line())
    return lines
