"""Two builds of a table, compared row by row in DuckDB (tests/spark).

Rows are paired by every exact column (integers, strings, dates, booleans, ...), with a row
number among equal ones ordered by the doubles; then each pair's doubles are compared.

Tolerance for doubles, and why: Spark and DuckDB add floating-point numbers in different orders
(partitions, hash tables), so a sum or an average may differ in its last bits. Two doubles are
equal when they are within a relative 1e-9 of each other, or, for a value the model rounds
(``round(x, k)``, k = 0..6), when both are rounded to k decimals and differ by at most one unit of
the k-th decimal: a sum that differs in its last bits and lies on a rounding boundary rounds the
other way (measured here: 6 of 20,314 index rows by 0.0001). Every such one-unit difference is
counted and reported (``Comparison.rounding_flips``), never silently absorbed. Everything else
(row counts, integers, strings, dates) must be equal exactly. Column types are compared by
family (any integer width is an integer; DuckDB's HUGEINT sums are Spark's BIGINT sums).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

RELATIVE_TOLERANCE = 1e-9
MAX_ROUNDED_DECIMALS = 6
APPROXIMATE_TYPES = ("DOUBLE", "FLOAT")
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT")


@dataclass
class Comparison:
    table: str
    problems: list[str] = field(default_factory=list)
    rounding_flips: int = 0
    rows: int = 0


def type_family(duckdb_type: str) -> str:
    kind = duckdb_type.upper()
    if kind in INTEGER_TYPES or kind in ("UINTEGER", "UBIGINT"):
        return "INTEGER"
    if kind.startswith("DECIMAL"):
        return "DECIMAL"
    if kind.startswith("TIMESTAMP"):
        return "TIMESTAMP" if "TIME ZONE" not in kind else kind
    return kind


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {name: kind for name, kind, *_ in con.execute(f"describe {relation}").fetchall()}


def _rounded_decimals(column: str) -> str:
    """SQL: the fewest decimals k (0..6) to which a double is already rounded, else null."""
    cases = " ".join(
        f"when {column} = round({column}, {k}) then {k}" for k in range(MAX_ROUNDED_DECIMALS + 1)
    )
    return f"(case {cases} end)"


def compare_tables(
    con: duckdb.DuckDBPyConnection, table: str, expected_sql: str, actual_sql: str
) -> Comparison:
    """Compare the relation ``actual_sql`` with ``expected_sql`` (DuckDB SQL of each, e.g. a
    table name or ``read_parquet(...)``)."""
    result = Comparison(table)
    con.execute(f"create or replace temp view expected as select * from {expected_sql}")
    con.execute(f"create or replace temp view actual as select * from {actual_sql}")
    expected_types, actual_types = _columns(con, "expected"), _columns(con, "actual")
    if set(expected_types) != set(actual_types):
        result.problems.append(
            f"columns differ: only expected {sorted(set(expected_types) - set(actual_types))}, "
            f"only actual {sorted(set(actual_types) - set(expected_types))}"
        )
        return result
    # the same column order on both sides (Spark puts partition columns last)
    ordered = ", ".join(f'"{name}"' for name in expected_types)
    con.execute(f"create or replace temp view actual as select {ordered} from {actual_sql}")
    for name, kind in expected_types.items():
        if type_family(kind) != type_family(actual_types[name]):
            result.problems.append(f"column {name}: type {kind} vs {actual_types[name]}")
    (result.rows,) = con.execute("select count(*) from expected").fetchone()  # type: ignore[misc]
    (actual_rows,) = con.execute("select count(*) from actual").fetchone()  # type: ignore[misc]
    if result.rows != actual_rows:
        result.problems.append(f"{actual_rows} rows, expected {result.rows}")
        return result

    approximate = [
        name
        for name, kind in expected_types.items()
        if kind in APPROXIMATE_TYPES or actual_types[name] in APPROXIMATE_TYPES
    ]
    exact = [name for name in expected_types if name not in approximate]
    keys = ", ".join(f'"{c}"' for c in exact) or "1"
    order = ", ".join(f'"{c}"' for c in approximate) or "1"
    numbered = (
        "select *, row_number() over (partition by {keys} order by {order}) as _pair from {rel}"
    )
    join = " and ".join(
        [f'e."{c}" is not distinct from a."{c}"' for c in exact] + ["e._pair = a._pair"]
    )

    def within_relative(c: str) -> str:
        return (
            f'(e."{c}" is not distinct from a."{c}" or (e."{c}" is not null and a."{c}" is not '
            f'null and abs(e."{c}" - a."{c}") <= {RELATIVE_TOLERANCE} '
            f'* greatest(abs(e."{c}"), abs(a."{c}"))))'
        )

    def one_rounding_unit(c: str) -> str:
        left, right = _rounded_decimals(f'e."{c}"'), _rounded_decimals(f'a."{c}"')
        decimals = f"greatest({left}, {right})"
        return (
            f"({left} is not null and {right} is not null "
            f'and abs(e."{c}" - a."{c}") <= power(10, -{decimals}) * (1 + 1e-9))'
        )

    far = " or ".join(f"not ({within_relative(c)} or {one_rounding_unit(c)})" for c in approximate)
    flipped = " or ".join(
        f"(not {within_relative(c)} and {one_rounding_unit(c)})" for c in approximate
    )
    unpaired, too_far, flips = con.execute(
        f"""
        with e as ({numbered.format(keys=keys, order=order, rel="expected")}),
        a as ({numbered.format(keys=keys, order=order, rel="actual")})
        select
            count(*) filter (where a._pair is null),
            count(*) filter (where a._pair is not null and ({far or "false"})),
            count(*) filter (where a._pair is not null and ({flipped or "false"}))
        from e left join a on {join}
        """
    ).fetchone()  # type: ignore[misc]
    if unpaired:
        try:
            sample = con.execute(
                "select * from expected except all select * from actual limit 3"
            ).fetchall()
        except duckdb.Error:  # columns in another order or of other types
            sample = []
        result.problems.append(
            f"{unpaired} of {result.rows} rows have no equal row (exact columns); e.g. {sample}"
        )
    if too_far:
        result.problems.append(f"{too_far} rows with a double beyond the tolerance")
    result.rounding_flips = flips
    return result
