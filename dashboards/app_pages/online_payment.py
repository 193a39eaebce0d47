"""Online payment: transactions, dossiers of fee-bearing procedures, procedures enabled."""

from dashboards.lib.topic import render_topic

render_topic(
    "page_payment",
    ["online_payment_rate", "online_payment_dossier_rate", "online_payment_procedure_rate"],
)
