"""`adapter` for sqlfluff's jinja templater (.sqlfluff `library_path`), which renders the models
without dbt: `adapter.dispatch('x', 'cchc')` resolves to the macro `default__x`, as dbt-duckdb's
dispatch does (the project's macros/cross_engine/*.sql).
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


@pass_context
def dispatch(context: Context, macro_name: str, macro_namespace: str | None = None) -> Any:
    """The project's default implementation of `macro_name`."""
    del macro_namespace
    return context.resolve(f"default__{macro_name}")
