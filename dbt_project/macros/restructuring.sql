{#-
    Who holds a dossier's events (SOURCES.md §6): the province of receipt until 30 June 2025,
    its successor from 1 July 2025 (the successor's one-stop system took the dossier over).
    stg_dossiers carries both (province_code / agency_code of receipt, successor_code /
    successor_agency_code); these pick the holder for an event on `event_date`. For a dossier
    received on or after 1 July 2025 the successor columns equal the receipt ones.
-#}
{% macro restructuring_date() -%}
    date '2025-07-01'
{%- endmacro %}

{% macro holder_era(era, event_date) -%}
    (case when {{ event_date }} >= {{ restructuring_date() }} then 'current' else {{ era }} end)
{%- endmacro %}

{% macro holder_of(receipt_column, successor_column, event_date) -%}
    (
        case
            when {{ event_date }} >= {{ restructuring_date() }} then {{ successor_column }}
            else {{ receipt_column }}
        end
    )
{%- endmacro %}

{#-
    A payment (or any record exported with the province code valid on its own date) belongs to
    the dossier with its id that the exporting province held on that date: the province of
    receipt before 1 July 2025, the successor from then.
-#}
{% macro held_by_exporter(record, dossier, record_date) -%}
    {{ record }}.dossier_id = {{ dossier }}.dossier_id
    and {{ record }}.province_code
    = {{ holder_of(dossier ~ '.province_code', dossier ~ '.successor_code', record_date) }}
{%- endmacro %}
