"""Tell someone a run failed: always a log line; a JSON POST when a webhook URL is configured.

``CCHC_ALERT_WEBHOOK_URL`` (e.g. a Slack/Teams/Google Chat incoming webhook, or any service that
accepts JSON) enables the POST. Sending never raises: an unreachable webhook is logged and the
run's own outcome stands.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

WEBHOOK_ENV = "CCHC_ALERT_WEBHOOK_URL"
TIMEOUT_SECONDS = 5.0

logger = logging.getLogger("cchc.alerts")


@dataclass
class FailureAlert:
    run_id: str
    job: str
    step: str | None
    error: str
    files: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    partitions: str | None = None
    kind: str = "run_failure"

    def text(self) -> str:
        where = f" at step {self.step}" if self.step else ""
        parts = [f"CCHC pipeline: run {self.run_id[:8]} of {self.job} failed{where}: {self.error}"]
        if self.rules:
            parts.append("rules: " + ", ".join(self.rules))
        if self.files:
            parts.append("files: " + ", ".join(self.files))
        if self.partitions:
            parts.append(f"months: {self.partitions}")
        return "; ".join(parts)

    def payload(self) -> dict[str, Any]:
        return {"text": self.text(), **asdict(self)}


def notify(
    alert: FailureAlert,
    webhook_url: str | None = None,
    *,
    log: logging.Logger | Any | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> bool:
    """Log the alert; POST it as JSON when a webhook is set. True when the POST was accepted."""
    log = log or logger
    url = webhook_url if webhook_url is not None else os.environ.get(WEBHOOK_ENV, "")
    log.error(alert.text())
    if not url:
        return False
    request = urllib.request.Request(
        url,
        data=json.dumps(alert.payload(), ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            ok = 200 <= response.status < 300
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        log.warning(f"alert webhook {redact(url)} not reached: {error}")
        return False
    if not ok:
        log.warning(f"alert webhook {redact(url)} answered {response.status}")
    return ok


def redact(url: str) -> str:
    """Webhook URLs carry their secret in the path: log only the host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"
