"""`target` for sqlfluff's jinja templater (.sqlfluff `library_path`): the models are linted as
dbt-duckdb renders them (macros that branch on `target.type`, e.g. incremental_scope.sql)."""

type = "duckdb"  # dbt's attribute name
name = "warehouse"
schema = "main"
