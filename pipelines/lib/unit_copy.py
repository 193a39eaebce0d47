"""A large published table copied province by province: only the units a run changed.

A run that loads one province-month changes the rows of one province (and its successor, and
the nation) in the large marts: fct_kpi holds about 4 M rows at reference scale, 97 % of them
unchanged. The new serving file starts as a byte copy of the last one (publish.py), so such a
table is brought up to date by deleting the rows of the (province_code, era) units whose content
changed and inserting the warehouse's rows of those units, instead of being written whole.

What changed is told by a digest per unit (row count and an order-independent sum of row
hashes), kept in the serving file next to the table digests. The inserted rows come last, in the
serving order among themselves; the rows kept keep theirs. Once the rows inserted this way since
the table was last written whole pass a quarter of it, the table is written whole again (in the
serving order throughout, and without the deleted rows' space).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

UNIT_COLUMNS = ("province_code", "era")
# A smaller table is written whole: a second or less, and one digest instead of one per unit.
MIN_ROWS = 200_000
REWRITE_AFTER_APPENDED_SHARE = 0.25
STATE_TABLE = "meta.unit_copies"
DIGESTS_TABLE = "meta.unit_digests"

Unit = tuple[str | None, str | None]


@dataclass(frozen=True)
class UnitState:
    """What the serving file holds of a table: its layout (columns and serving order), the rows
    inserted by unit copies since it was last written whole, and each unit's rows and digest."""

    layout: str
    rows_appended: int
    units: dict[Unit, tuple[int, str]]


@dataclass(frozen=True)
class UnitPlan:
    """How to bring one table up to date: ``units`` to replace (None: write it whole), and the
    state to record for it afterwards (None: the table is too small to keep one)."""

    state: UnitState | None
    units: tuple[Unit, ...] | None = None


def previous_states(con: duckdb.DuckDBPyConnection) -> dict[str, UnitState]:
    """The unit states recorded in the file ``con`` holds (empty before the first unit copy)."""
    try:
        heads = con.execute(f"select table_name, layout, rows_appended from {STATE_TABLE}")
        states = {
            name: UnitState(layout, appended, {}) for name, layout, appended in heads.fetchall()
        }
        for name, province, era, rows, digest in con.execute(
            f"select table_name, province_code, era, row_count, digest from {DIGESTS_TABLE}"
        ).fetchall():
            if name in states:
                states[name].units[(province, era)] = (rows, digest)
    except duckdb.CatalogException:
        return {}
    return states


def has_units(columns: set[str]) -> bool:
    return set(UNIT_COLUMNS) <= columns


def unit_digests(con: duckdb.DuckDBPyConnection, source: str) -> dict[Unit, tuple[int, str]]:
    """Each (province_code, era) of ``source``: its rows and a digest of them."""
    return {
        (province, era): (rows, digest)
        for province, era, rows, digest in con.execute(
            "select province_code, era, count(*), "
            "coalesce(sum(hash(published_row)::hugeint), 0)::varchar "
            f"from {source} as published_row group by all"
        ).fetchall()
    }


def plan(units: dict[Unit, tuple[int, str]], layout: str, previous: UnitState | None) -> UnitPlan:
    """Which of a table's ``units`` (unit_digests) to replace in the serving copy whose state
    is ``previous`` (None when that copy has no such table or no state for it)."""
    total = sum(rows for rows, _ in units.values())
    if total < MIN_ROWS:
        return UnitPlan(None)
    whole = UnitPlan(UnitState(layout, 0, units))
    if previous is None or previous.layout != layout:
        return whole
    changed = [unit for unit, content in units.items() if previous.units.get(unit) != content]
    gone = [unit for unit in previous.units if unit not in units]
    appended = previous.rows_appended + sum(units[unit][0] for unit in changed)
    if appended > REWRITE_AFTER_APPENDED_SHARE * total:
        return whole
    return UnitPlan(UnitState(layout, appended, units), tuple(changed + gone))


def replace_units(
    con: duckdb.DuckDBPyConnection, target: str, source: str, units: tuple[Unit, ...], order: str
) -> None:
    """Delete ``target``'s rows of ``units`` and insert ``source``'s rows of them (``order``:
    the serving order clause, or empty)."""
    con.execute("create or replace temp table _units (province_code varchar, era varchar)")
    if units:
        con.executemany("insert into _units values (?, ?)", [list(unit) for unit in units])
    of_units = (
        "exists (select 1 from _units where _units.province_code is not distinct from "
        "rows_of.province_code and _units.era is not distinct from rows_of.era)"
    )
    con.execute(f"delete from {target} as rows_of where {of_units}")
    con.execute(f"insert into {target} select * from {source} as rows_of where {of_units}{order}")
    con.execute("drop table _units")


def write_states(con: duckdb.DuckDBPyConnection, states: dict[str, UnitState]) -> None:
    """Record the states in the file ``con`` holds (its meta schema exists)."""
    con.execute(
        f"create table {STATE_TABLE} (table_name varchar, layout varchar, rows_appended bigint)"
    )
    con.execute(
        f"create table {DIGESTS_TABLE} (table_name varchar, province_code varchar, "
        "era varchar, row_count bigint, digest varchar)"
    )
    if not states:
        return
    # one statement each (executemany costs a statement per row: 0.3 s for a few hundred units)
    con.execute(
        f"insert into {STATE_TABLE} select unnest(?::varchar[]), unnest(?::varchar[]), "
        "unnest(?::bigint[])",
        [
            list(states),
            [s.layout for s in states.values()],
            [s.rows_appended for s in states.values()],
        ],
    )
    units = [
        (name, province, era, rows, digest)
        for name, state in states.items()
        for (province, era), (rows, digest) in state.units.items()
    ]
    if not units:
        return
    con.execute(
        f"insert into {DIGESTS_TABLE} select unnest(?::varchar[]), unnest(?::varchar[]), "
        "unnest(?::varchar[]), unnest(?::bigint[]), unnest(?::varchar[])",
        [list(column) for column in zip(*units, strict=True)],
    )
