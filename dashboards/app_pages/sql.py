"""SQL for analysts: the marts' schema with their documentation, a query box, a capped result
with CSV download. The connection is read-only, cannot reach files or the network and cannot
change its configuration; a query is stopped after a time limit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.lib import queries
from dashboards.lib.auth import log_query, require_page
from dashboards.lib.db import SQL_MAX_ROWS, SQL_TIMEOUT_SECONDS, SqlRejected, run_analyst_query
from dashboards.lib.i18n import fmt_number, t
from dashboards.lib.layout import downloads, page

EXAMPLE = """select province_name, numerator, denominator, round(value_pct, 2) as pct
from marts.fct_kpi
where kpi_code = 'online_dossier_rate' and level = 'all' and period_grain = 'month'
  and unit_basis = 'current' and agency_code is null and procedure_field is null
order by period_start desc, pct desc
limit 50"""

require_page("sql")
if not page("page_sql"):
    st.stop()

st.caption(t("sql_intro", rows=fmt_number(SQL_MAX_ROWS), seconds=fmt_number(SQL_TIMEOUT_SECONDS)))
browser, editor = st.columns([1, 2])
with browser:
    st.subheader(t("schema"))
    tables = queries.schema_tables()
    for row in tables.itertuples():
        count = "" if pd.isna(row.row_count) else f" · {fmt_number(row.row_count)}"
        with st.expander(f"`{row.table_name}`{count}"):
            if isinstance(row.description, str):
                st.caption(row.description)
            columns = queries.schema_columns(row.table_name)
            st.dataframe(
                columns.rename(
                    columns={
                        "column_name": t("column"),
                        "data_type": t("type"),
                        "description": t("description"),
                    }
                ),
                hide_index=True,
                width="stretch",
            )

with editor:
    sql = st.text_area(t("query"), value=EXAMPLE, height=200, key="sql")
    if st.button(t("run"), type="primary", key="run_sql"):
        st.session_state["sql_to_run"] = sql
    to_run = st.session_state.get("sql_to_run")
    if to_run is not None:
        if not to_run.strip():
            st.warning(t("sql_empty"))
        else:
            try:
                result = run_analyst_query(to_run)
            except SqlRejected as rejected:
                log_query(to_run, rejected.kind, None)
                if rejected.kind == "forbidden":
                    st.error(t("sql_forbidden"))
                elif rejected.kind == "timeout":
                    st.error(t("sql_timeout", seconds=fmt_number(SQL_TIMEOUT_SECONDS)))
                else:
                    st.error(t("sql_error"))
                st.code(rejected.detail, language=None)
            else:
                log_query(to_run, "ok", len(result.frame))
                st.caption(
                    t(
                        "rows_returned",
                        rows=fmt_number(len(result.frame)),
                        ms=fmt_number(result.elapsed_ms),
                    )
                )
                if result.truncated:
                    st.warning(t("row_cap_hit", rows=fmt_number(SQL_MAX_ROWS)))
                st.dataframe(result.frame, hide_index=True, width="stretch", key="sql_result")
                downloads(result.frame, "query_result", xlsx=False)
