"""Schedules, in Vietnam's time (Asia/Ho_Chi_Minh, UTC+7, no daylight saving).

- ``daily_refresh`` at 02:00: the portals refresh their exports daily; process everything new in
  the landing folder (a run over every month), rebuild, publish, evaluate freshness.
- ``monthly_close`` at 06:00 on the 5th: the monthly reports for the month just closed are due;
  (re)load that month's partition, rebuild, publish, evaluate freshness for it.
"""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg

from pipelines.defs.jobs import pipeline_job
from pipelines.defs.partitions import TIMEZONE, full_range_tags, range_tags
from pipelines.lib.freshness import add_months

DAILY_CRON = "0 2 * * *"
MONTHLY_CRON = "0 6 5 * *"


def last_closed_month(moment: datetime) -> str:
    return add_months(date(moment.year, moment.month, 1), -1).strftime("%Y-%m")


@dg.schedule(
    name="daily_refresh",
    job=pipeline_job,
    cron_schedule=DAILY_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 ICT daily: process everything new in the landing folder, rebuild, publish.",
)
def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(
        run_key=f"daily-{day}", tags={**full_range_tags(), "cchc/trigger": "daily_refresh"}
    )


@dg.schedule(
    name="monthly_close",
    job=pipeline_job,
    cron_schedule=MONTHLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="06:00 ICT on the 5th: load the month just closed, rebuild, publish.",
)
def monthly_close(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    month = last_closed_month(context.scheduled_execution_time)
    return dg.RunRequest(
        run_key=f"monthly-{month}",
        tags={**range_tags(month, month), "cchc/trigger": "monthly_close"},
    )
