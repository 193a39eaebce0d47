"""Data status: what was published when, the last load per source and province and how fresh it
is, files the contracts rejected, quarantined rows and reconciliation findings."""

from __future__ import annotations

import streamlit as st

from dashboards.lib import access_log, queries
from dashboards.lib.auth import require_page
from dashboards.lib.i18n import fmt_date, fmt_number, fmt_span, kpi_name, label, t
from dashboards.lib.layout import formatted, page, table

require_page("data_status")
if not page("page_status"):
    st.stop()

publish = queries.publish_info()
if not publish.empty:
    row = publish.iloc[0]
    columns = st.columns(3)
    columns[0].metric(
        t("data_loaded_until"),
        fmt_date(
            row["data_loaded_until"].date()
            if hasattr(row["data_loaded_until"], "date")
            else row["data_loaded_until"]
        ),
    )
    columns[1].metric(t("published_at_title"), fmt_date(row["published_at"]))
    columns[2].metric(t("sources_count"), len(row["sources"]) if row["sources"] is not None else 0)
    st.caption(f"{t('run_id')} `{row['run_id']}` · {t('fingerprint')} `{row['fingerprint']}`")

st.subheader(t("last_loads"))
loads = queries.last_loads()
if loads.empty:
    st.info(t("none_found"))
else:
    suffix = {"legacy": t("legacy_suffix"), "current": ""}
    named = loads.assign(
        province_name=[
            name + suffix[era] if isinstance(name, str) else "—"
            for name, era in zip(loads["province_name"], loads["era"], strict=True)
        ]
    )
    table(
        formatted(
            named,
            {
                "source": (t("source"), lambda v: label("source", v)),
                "province_name": (t("province"), str),
                "file_name": (t("file"), str),
                "outcome": (t("outcome"), lambda v: label("outcome", v)),
                "loaded_at": (t("last_loaded_at"), fmt_date),
                "latest_period_end": (
                    t("latest_period"),
                    lambda v: fmt_date(v.date() if hasattr(v, "date") else v),
                ),
                "days_behind": (t("days_old"), fmt_number),
            },
        ),
        loads,
        "last_loads",
    )

st.subheader(t("failures"))
rejected = queries.rejected_loads()
if rejected.empty:
    st.success(t("none_found"))
else:
    table(
        formatted(
            rejected,
            {
                "loaded_at": (t("last_loaded_at"), fmt_date),
                "source": (t("source"), lambda v: label("source", v)),
                "file_name": (t("file"), str),
                "message": (t("message"), str),
            },
        ),
        rejected,
        "rejected_files",
    )

st.subheader(t("quarantine"))
quarantine = queries.quarantine_summary()
if quarantine.empty:
    st.success(t("none_found"))
else:
    st.metric(t("quarantine"), fmt_number(int(quarantine["rows"].sum())))
    table(
        formatted(
            quarantine,
            {
                "source": (t("source"), lambda v: label("source", v)),
                "file_name": (t("file"), str),
                "rule": (t("rule"), str),
                "message": (t("message"), str),
                "rows": (t("rows"), fmt_number),
            },
        ),
        quarantine,
        "quarantine_summary",
    )
    with st.expander(t("rows")):
        rows = queries.quarantine_rows()
        table(
            formatted(
                rows,
                {
                    "source": (t("source"), lambda v: label("source", v)),
                    "file_name": (t("file"), str),
                    "row_number": (t("row_number"), fmt_number),
                    "rule": (t("rule"), str),
                    "message": (t("message"), str),
                    "original_values": (t("original_values"), str),
                },
            ),
            rows,
            "quarantine_rows",
        )

st.subheader(t("reconciliation"))
summary = queries.reconciliation_summary()
if not summary.empty:
    st.caption(
        " · ".join(
            f"{label('recon', r.status)}: {fmt_number(r.rows)}" for r in summary.itertuples()
        )
    )
findings = queries.reconciliation_findings()
if findings.empty:
    st.success(t("none_found"))
else:
    findings["period"] = [
        fmt_span(start, end)
        for start, end in zip(findings["period_start"], findings["period_end"], strict=True)
    ]
    table(
        formatted(
            findings,
            {
                "period": (t("period"), str),
                "province_name": (t("province"), str),
                "agency_name": (t("agency"), lambda v: v if isinstance(v, str) else "—"),
                "bucket": (t("bucket"), lambda v: label("bucket", v)),
                "report_value": (t("report_value"), fmt_number),
                "dossier_value": (t("dossier_value"), fmt_number),
                "difference": (t("difference"), fmt_number),
                "status": (t("status"), lambda v: label("recon", v)),
            },
        ),
        findings,
        "reconciliation",
    )

# early warning (issue 14): flags on suspicious submissions (marts.fct_anomalies); the model's
# English `detail` note stays in the downloads, every shown word is translated
st.subheader(t("anomalies"))
st.caption(t("anomalies_caption"))
flags = queries.anomalies()
if flags.empty:
    st.success(t("none_found"))
else:
    st.caption(
        " · ".join(
            f"{label('severity', severity)}: {fmt_number(count)}"
            for severity, count in flags["severity"].value_counts().items()
        )
    )
    catalog = queries.kpi_catalog().set_index("kpi_code")
    legacy = {"legacy": t("legacy_suffix"), "current": ""}
    flags = flags.assign(
        province_label=[
            f"{name}{legacy.get(era, '')}" if isinstance(name, str) else "—"
            for name, era in zip(flags["province_name"], flags["era"], strict=True)
        ],
        kpi_label=[
            kpi_name(catalog.loc[code]) if code in catalog.index else "—"
            for code in flags["kpi_code"]
        ],
    )
    table(
        formatted(
            flags,
            {
                "month_start": (
                    t("month"),
                    lambda v: fmt_date(v.date() if hasattr(v, "date") else v),
                ),
                "province_label": (t("province"), str),
                "agency_name": (t("agency"), lambda v: v if isinstance(v, str) else "—"),
                "rule": (t("rule"), lambda v: label("anomaly", v)),
                "kpi_label": (t("kpi"), str),
                "observed": (t("observed"), lambda v: fmt_number(v, 2)),
                "expected": (t("expected"), lambda v: fmt_number(v, 2)),
                "severity": (t("severity"), lambda v: "⚠ " + label("severity", v)),
            },
        ),
        flags,
        "anomalies",
    )

st.subheader(t("access_log"))
st.caption(t("access_log_intro"))
log = access_log.read_log()
if log.empty:
    st.info(t("none_found"))
else:
    table(
        formatted(
            log,
            {
                "at": (t("log_at"), str),
                "event": (t("log_event"), str),
                "user": (t("log_user"), str),
                "role": (t("log_role"), lambda v: label("role", v) if isinstance(v, str) else "—"),
                "provinces": (t("province"), str),
                "outcome": (t("log_outcome"), str),
                "rows": (t("rows"), fmt_number),
                "detail": (t("log_detail"), lambda v: v if isinstance(v, str) else ""),
            },
        ),
        log,
        "access_log",
    )
