"""Digitization of dossiers and results, electronic results and data reuse."""

from dashboards.lib.topic import render_topic

render_topic(
    "page_digitization",
    [
        "digitization_rate",
        "dossier_digitization_rate",
        "result_digitization_rate",
        "e_result_rate",
        "data_reuse_rate",
    ],
)
