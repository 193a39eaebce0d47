"""The dbt models build on DuckDB and on Spark (issue 15): no model or macro outside an engine's own
implementation uses SQL that only DuckDB reads, or that Spark reads differently without an error.

A static scan, so it runs in `make test` without Spark: each rule is SQL measured on this
machine (shared/ENGINEERING_NOTES.md, "Spark through dbt-spark"). Engine-specific SQL belongs in
a `default__` / `duckdb__` / `spark__` macro (dbt_project/macros/cross_engine/), which the scan
skips. `make test-spark` builds the project on Spark and compares the marts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DBT_PROJECT = Path(__file__).resolve().parent.parent / "dbt_project"

# what Spark refuses, or reads otherwise, and what to write instead
DUCKDB_ONLY: dict[str, str] = {
    r"\bunion\s+(all\s+)?by\s+name\b": "union_all_by_name() (macros/cross_engine/unions.sql)",
    r"\bvarchar\b": "string (both engines read ::string)",
    r"\bstr[fp]time\s*\(|\btry_strptime\s*\(": "try_cast(... as date) or a cross_engine macro",
    r"\bepoch\s*\(": "a cross_engine macro",
    r"\bdate_?diff\s*\(\s*'": "months_between_dates() or a cross_engine macro",
    r"\bgenerate_series\s*\(|\bunnest\s*\(|\brange\s*\(": "date_series() or a VALUES list",
    r"\bstring_agg\s*\(|\blistagg\s*\(": "ordered_string_agg() (dbt.listagg: no order on Spark)",
    r"\bregexp_matches\s*\(": "regexp_contains()",
    r"\bstrip_accents\s*\(": "without_accents()",
    r"\bisodow\s*\(": "iso_day_of_week()",
    r"\*\s*exclude\s*\(": "the columns listed",
    r"\bstruct_pack\s*\(|\blist_\w+\s*\(|\blist\s*\(": "a cross_engine macro",
    r"\bmode\s*\(": "most_frequent() (ties to the lowest value on both engines)",
    r"\b(first|last)\s*\([^()]*\border\s+by\b": "first_by()",
    r"\barg_(max|min)\s*\(": "first_by() with a unique sort key",
    r"\bcount\s*\(\s*distinct\b[^()]*\)\s*over\b": "count_distinct_over()",
    r"\bunpivot\s+\w+\s+on\b": "the standard form: from t unpivot (value for name in (...))",
    r"'[^'\n]*\\[a-zA-Z][^'\n]*'": "a character class: Spark reads '\\s' as 's', '\\d' as 'd'",
    r"\btrim\s*\([^()]*,": "trim(both 'x' from ...): Spark reads trim(a, b) the other way round",
    r"\bregexp_replace\s*\([^()]*,\s*'g'\s*\)": "regexp_replace_all()",
    r"\bas\s+(not\s+)?materialized\s*\(": "as {{ inlined() }} ( (macros/cross_engine/ctes.sql)",
}

ENGINE_MACRO = re.compile(
    r"{%-?\s*macro\s+(default|duckdb|spark)__\w+\s*\(.*?{%-?\s*endmacro\s*-?%}", re.DOTALL
)
JINJA_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
JINJA_STATEMENT = re.compile(r"{%.*?%}", re.DOTALL)


def without_comments(line: str) -> str:
    """The line without its `--` comment (a `--` inside a string literal stays)."""
    in_string = False
    for position, character in enumerate(line):
        if character == "'":
            in_string = not in_string
        elif not in_string and line.startswith("--", position):
            return line[:position]
    return line


def scanned_text(path: Path) -> str:
    """The SQL a file gives every engine: engine macros, Jinja comments and statements and SQL
    comments blanked (newlines kept, so line numbers stay right)."""

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = path.read_text(encoding="utf-8")
    for pattern in (ENGINE_MACRO, JINJA_COMMENT, JINJA_STATEMENT):
        text = pattern.sub(blank, text)
    return "\n".join(without_comments(line) for line in text.splitlines())


def findings(path: Path) -> list[tuple[int, str, str]]:
    """(line, construct, what to write instead) for each DuckDB-only construct of a file."""
    text = scanned_text(path)
    return sorted(
        (text.count("\n", 0, match.start()) + 1, match.group(0), instead)
        for pattern, instead in DUCKDB_ONLY.items()
        for match in re.finditer(pattern, text, re.IGNORECASE)
    )


SQL_FILES = sorted(
    [*DBT_PROJECT.glob("models/**/*.sql"), *DBT_PROJECT.glob("macros/**/*.sql")],
    key=str,
)


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: str(path.relative_to(DBT_PROJECT)))
def test_the_sql_is_read_alike_by_duckdb_and_spark(path: Path) -> None:
    found = [
        f"line {line}: {construct!r} -> {instead}" for line, construct, instead in findings(path)
    ]
    assert found == []


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    model = tmp_path / "model.sql"
    model.write_text(
        "-- a comment may say union all by name\n"
        "select null::varchar as a, trim(b, '-') as c\n"
        "from x union all by name select * from y\n"
        "where regexp_matches(d, '\\s+')\n"
        "{% macro spark__x() %}string_agg(a, ',') within group (order by a){% endmacro %}\n"
        "{% macro default__x() %}string_agg(a, ',' order by a){% endmacro %}\n"
        "{# string_agg( in a Jinja comment #}{% set columns = ['mode(a)'] %}\n"
        "with t as not materialized (select 1), u as {{ inlined() }} (select 2)\n",
        encoding="utf-8",
    )
    assert [line for line, _, _ in findings(model)] == [2, 2, 3, 4, 4, 8]
