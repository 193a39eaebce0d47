"""Online dossiers: dossiers received online, fully online, procedures offered online."""

from dashboards.lib.topic import render_topic

render_topic(
    "page_online",
    [
        "online_dossier_rate",
        "full_online_dossier_rate",
        "online_service_procedure_rate",
        "national_portal_integration_rate",
    ],
)
