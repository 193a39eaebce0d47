"""The comparison behind test-spark finds what differs, and lets through only what it states."""

from __future__ import annotations

import duckdb
import pytest

from tests.spark.mart_compare import Comparison, compare_tables

EXPECTED = "(1, 'a', 0.1234, 10.0), (1, 'a', 0.5, 2.5), (2, 'b', null, 1e12)"


def relation(rows: str, n_type: str = "integer") -> str:
    """Rows (n, s, rate, total) as a relation with double rate and total."""
    return (
        f"(select n::{n_type} as n, s, rate::double as rate, total::double as total "
        f"from (values {rows}) as v(n, s, rate, total))"
    )


def compare(actual_rows: str, n_type: str = "integer") -> Comparison:
    with duckdb.connect() as con:
        return compare_tables(con, "t", relation(EXPECTED), relation(actual_rows, n_type))


def test_rows_in_another_order_and_sums_differing_in_their_last_bits_are_equal() -> None:
    result = compare("(2, 'b', null, 1e12 + 0.0001), (1, 'a', 0.5, 2.5), (1, 'a', 0.1234, 10.0)")
    assert result.problems == [] and result.rounding_flips == 0


def test_integer_widths_are_one_family() -> None:
    assert compare(EXPECTED, n_type="bigint").problems == []


def test_a_rounded_value_one_unit_away_is_counted_as_a_rounding_flip() -> None:
    result = compare("(1, 'a', 0.1235, 10.0), (1, 'a', 0.5, 2.5), (2, 'b', null, 1e12)")
    assert result.problems == [] and result.rounding_flips == 1


@pytest.mark.parametrize(
    ("actual_rows", "problem"),
    [
        (
            "(1, 'a', 0.1236, 10.0), (1, 'a', 0.5, 2.5), (2, 'b', null, 1e12)",
            "beyond the tolerance",
        ),
        ("(1, 'a', 0.1234, 10.0), (1, 'a', 0.5, 2.5), (2, 'b', 0.0, 1e12)", "beyond the tolerance"),
        ("(1, 'a', 0.1234, 10.0), (1, 'a', 0.5, 2.5), (2, 'c', null, 1e12)", "no equal row"),
        ("(1, 'a', 0.1234, 10.0), (2, 'b', null, 1e12)", "2 rows, expected 3"),
    ],
)
def test_a_difference_is_reported(actual_rows: str, problem: str) -> None:
    problems = compare(actual_rows).problems
    assert any(problem in p for p in problems), problems


def test_a_missing_column_or_another_type_is_reported() -> None:
    with duckdb.connect() as con:
        missing = compare_tables(
            con, "t", relation(EXPECTED), "(select 1 as n, 'a' as s, 0.1::double as rate)"
        )
    assert "columns differ" in missing.problems[0]
    retyped = compare(EXPECTED, n_type="varchar").problems
    assert any("column n: type" in p for p in retyped), retyped
