"""Every row of a file typed and checked in DuckDB, with SQL compiled from the data contract.

One pass per file (or per Arrow batch of a format DuckDB cannot read): the incoming relation (a
DuckDB ``read_csv`` / ``read_parquet`` of the file, or a registered batch) is typed to the
contract's columns (Vietnamese numbers ``88.424``, booleans ``true``/``có``, timestamps in the
formats the contract accepts) and every row-level rule is evaluated in the same statement: type
(format), required, allowed values and the row rules' predicates. The typed rows go to ``_staged``
with, for a row breaking a rule, the list of rules it breaks and its original values as JSON.
The province-for-the-period check and the key rules need values Python resolves or the whole
file, so they run once per file afterwards (``FileChecker.finish``), over ``_staged``; failing
rows then leave ``_staged`` for ``_failures``. Nothing here holds a file in Python memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipelines.lib.admin_units import CURRENT, LEGACY, RESTRUCTURING_DATE, province_key, provinces
from pipelines.lib.contracts import (
    ISO_DATE_FORMATS,
    ISO_TIMESTAMP_FORMATS,
    Column,
    Contract,
    ProvinceEraRule,
    RowRule,
)

TRUE_WORDS = ("true", "t", "1", "yes", "y", "x", "có", "co", "đúng", "dung")
FALSE_WORDS = ("false", "f", "0", "no", "n", "không", "khong", "sai")

MACROS = f"""
-- DuckDB's trim() also strips the no-break space spreadsheets pad cells with; a replace() of
-- chr(160) first cost more than half of the typing time (measured, bench_contracts.py).
create or replace temp macro cchc_text(x) as nullif(trim(x), '');
create or replace temp macro cchc_digits(x) as
    replace(replace(cchc_text(x), ' ', ''), chr(160), '');
create or replace temp macro cchc_bigint(x) as (
    case
        when regexp_full_match(cchc_digits(x), '-?[0-9]+')
            then try_cast(cchc_digits(x) as bigint)
        -- Vietnamese thousands separators (88.424), or English ones (88,424); never decimals.
        when regexp_full_match(cchc_digits(x), '-?[0-9]{{1,3}}([.][0-9]{{3}})+')
            then try_cast(replace(cchc_digits(x), '.', '') as bigint)
        when regexp_full_match(cchc_digits(x), '-?[0-9]{{1,3}}(,[0-9]{{3}})+')
            then try_cast(replace(cchc_digits(x), ',', '') as bigint)
    end
);
-- A decimal written Vietnamese style (86,30 or 1.234,5) or with a point (86.30); a comma alone
-- is the decimal mark (scores and rates, never thousands, are typed as double).
create or replace temp macro cchc_double(x) as (
    case
        when regexp_full_match(cchc_digits(x), '[-+]?[0-9]+([.][0-9]+)?')
            then try_cast(cchc_digits(x) as double)
        when regexp_full_match(cchc_digits(x), '[-+]?[0-9]+,[0-9]+')
            then try_cast(replace(cchc_digits(x), ',', '.') as double)
        when regexp_full_match(cchc_digits(x), '[-+]?[0-9]{{1,3}}([.][0-9]{{3}})+,[0-9]+')
            then try_cast(replace(replace(cchc_digits(x), '.', ''), ',', '.') as double)
    end
);
-- A simple CASE, not `in (...)`: DuckDB plans an IN list of this length as a join with the
-- list, one per boolean column, which made the dossiers' pass ≈ 40 % slower (RESULTS.md).
create or replace temp macro cchc_boolean(x) as (
    case lower(cchc_text(x))
        {" ".join(f"when '{w}' then true" for w in TRUE_WORDS)}
        {" ".join(f"when '{w}' then false" for w in FALSE_WORDS)}
    end
);
"""


# Typed and checked rows of files passed ahead of their turn (FileChecker.check_ahead).
STAGED_AHEAD = "_staged_ahead"


def sql_text(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _readable(fmt: str) -> str:
    for code, text in (("%Y", "YYYY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"), ("%M", "mm")):
        fmt = fmt.replace(code, text)
    return fmt.replace("%S", "ss").replace("%f", "ffffff")


def type_rule(column: Column) -> tuple[str, str] | None:
    """The rule a value of this column breaks when it is not of the column's type, and the
    words the message uses; None for text columns (every value is text)."""
    kind = column.physical_type
    formats = column.accepted_formats
    if kind == "timestamp":
        iso = set(formats) <= set(ISO_TIMESTAMP_FORMATS)
        shown = formats[:1] if iso else formats
        words = "a timestamp " + " or ".join(_readable(f) for f in shown)
        return ("iso_datetime" if iso else "datetime_format"), words
    if kind == "date":
        iso = set(formats) <= set(ISO_DATE_FORMATS)
        return ("iso_date" if iso else "date_format"), "a date " + " or ".join(
            _readable(f) for f in formats
        )
    if kind in {"bigint", "integer"}:
        return "whole_number", "a whole number (88.424 or 88424)"
    if kind == "double":
        return "decimal_number", "a decimal number (86,30 or 86.30)"
    if kind == "boolean":
        return "boolean_value", "a boolean (true/false, 1/0, có/không)"
    return None


@dataclass(frozen=True)
class IncomingColumns:
    """The columns a file hands the checker, in order, each marked as text or not: text is typed
    by the contract's macros (``88.424``, ``có``), a value already typed by its format (a Parquet
    timestamp) by ``try_cast``. ``row_number`` is among them."""

    columns: tuple[tuple[str, bool], ...]

    @classmethod
    def of(cls, columns: Iterable[tuple[str, bool]]) -> IncomingColumns:
        return cls(tuple(columns))

    @classmethod
    def of_arrow(cls, schema: pa.Schema) -> IncomingColumns:
        return cls.of((f.name, is_text_type(f.type)) for f in schema)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def is_text(self, name: str) -> bool | None:
        """None when the column is not among them."""
        return dict(self.columns).get(name)


def is_text_type(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
    )


def _typed_expression(column: Column, textual: bool | None) -> str:
    kind = column.physical_type
    if textual is None:
        return f"null::{kind}"
    name = quote(column.name)
    if not textual:
        return f"try_cast({name} as {kind})"
    if kind in {"bigint", "integer"}:
        return f"cchc_bigint({name})"
    if kind == "double":
        return f"cchc_double({name})"
    if kind == "boolean":
        return f"cchc_boolean({name})"
    if kind in {"timestamp", "date"}:
        formats = "[" + ", ".join(sql_text(f) for f in column.accepted_formats) + "]"
        parsed = f"try_strptime(cchc_text({name}), {formats})"
        return f"{parsed}::date" if kind == "date" else parsed
    return f"cchc_text({name})"


@dataclass(frozen=True)
class Check:
    rule: str
    condition: str  # SQL over the typed row: true = the row breaks the rule
    message: str  # SQL expression over the typed row


def typed_select(contract: Contract, incoming: IncomingColumns) -> str:
    """SELECT list turning the incoming columns into the contract's types (+ raw text of values
    that failed typing, for the message) and passing through helper columns rules read."""
    items = ["row_number::bigint as row_number"]
    for column in contract.columns:
        textual = incoming.is_text(column.name)
        typed = _typed_expression(column, textual)
        items.append(f"{typed} as {quote(column.name)}")
        if textual is not None and type_rule(column):
            raw = quote(column.name)
            items.append(
                f"case when {raw} is not null and {typed} is null "
                f"then {raw}::varchar end as {quote('__raw_' + column.name)}"
            )
    names = set(contract.column_names) | {"row_number"}
    items += [quote(name) for name in incoming.names if name not in names]
    return ", ".join(items)


def row_checks(contract: Contract, incoming: IncomingColumns) -> list[Check]:
    present = set(incoming.names)
    checks: list[Check] = []
    for column in contract.columns:
        name = quote(column.name)
        typing = type_rule(column) if column.name in present else None
        raw = quote("__raw_" + column.name)
        if typing:
            rule, words = typing
            checks.append(
                Check(
                    rule,
                    f"{raw} is not null",
                    f"{sql_text(column.name + ' ')} || '''' || {raw} || ''' is not ' "
                    f"|| {sql_text(words)}",
                )
            )
        if column.required:
            condition = f"{name} is null" + (f" and {raw} is null" if typing else "")
            checks.append(
                Check(
                    f"{column.name}_required",
                    condition,
                    sql_text(f"{column.name} is empty" + ("" if typing else " or unreadable")),
                )
            )
        if column.valid_values:
            allowed = ", ".join(sql_text(v) for v in column.valid_values)
            checks.append(
                Check(
                    f"{column.name}_allowed_values",
                    f"{name} not in ({allowed})",
                    f"{sql_text(column.name + ' ')} || '''' || {name} || ''' is not one of ' "
                    f"|| {sql_text(', '.join(column.valid_values))}",
                )
            )
    for rule in contract.row_rules:
        if rule.is_warning:
            continue  # FileChecker.warnings(): the row loads, the load's message names it
        checks.append(Check(rule.name, f"not coalesce(({rule.predicate}), true)", sql_text(
            rule.description or rule.predicate
        )))  # fmt: skip
    return checks


def era_expression(day_sql: str) -> str:
    """The era of a date, given as SQL (a quoted column or an expression over the row)."""
    return (
        f"case when {day_sql} < date '{RESTRUCTURING_DATE.isoformat()}' "
        f"then '{LEGACY}' else '{CURRENT}' end"
    )


def province_verdict(code: str | None, name: str | None, era: str) -> str | None:
    """Why a (code, name) is not a province of ``era``, or None when it is one."""
    units = [p for p in provinces() if p.era == era]
    by_code = {p.code: p for p in units}
    when = "before" if era == LEGACY else "from"
    # The national portal's codes (H20) name the current provinces as the crosswalk lists them.
    by_code |= {p.dvcqg_code.upper(): p for p in units if p.dvcqg_code}
    by_code_unit = None
    if code is not None:
        normal = code.strip().zfill(2) if code.strip().isdigit() else code.strip().upper()
        by_code_unit = by_code.get(normal)
        if by_code_unit is None:
            return (
                f"province code '{code}' is not one of the {len(units)} {era} provinces "
                f"valid {when} 1 July 2025"
            )
    if name is not None:
        named = next((p for p in units if province_key(p.name) == province_key(name)), None)
        if named is None:
            return (
                f"province name '{name}' is not one of the {len(units)} {era} provinces valid "
                f"{when} 1 July 2025 (an unknown name is an error, never a new province)"
            )
        if by_code_unit is not None and named.code != by_code_unit.code:
            return (
                f"province code '{code}' is {by_code_unit.name} {when} 1 July 2025, "
                f"but the row names '{name}'"
            )
    return None


def _helpers(contract: Contract, incoming: IncomingColumns) -> list[str]:
    """Incoming columns that are not the contract's (rules may read them; none is loaded)."""
    names = set(contract.column_names) | {"row_number"}
    return [name for name in incoming.names if name not in names]


def _typed_helpers(contract: Contract, incoming: IncomingColumns) -> list[str]:
    """Helper columns whose values are not text: JSON would not give them back as they were."""
    return [name for name in _helpers(contract, incoming) if not incoming.is_text(name)]


def _listed_sql(checks: list[Check]) -> str:
    """SQL of the list of {rule, message} a row breaks (a message computed only when broken)."""
    listed = ", ".join(
        f"case when {c.condition} then {{'rule': {sql_text(c.rule)}, "
        f"'message': ({c.message})::varchar}} end"
        for c in checks
    )
    return f"list_filter([{listed}], lambda x: x is not null)"


# A province key's part for a missing code or name (the record separator: never in a cell), and
# the separator of its parts.
_KEY_NULL = "\x1e"
_KEY_SEPARATOR = "\x1f"


def province_key_sql(rule: ProvinceEraRule) -> str:
    """SQL of a typed row's (code, name, era) for ``rule`` as one text key (``province_key_of``)."""
    code = quote(rule.code_column) if rule.code_column else "null"
    name = quote(rule.name_column) if rule.name_column else "null"
    return (
        f"concat_ws(chr(31), coalesce({code}, chr(30)), coalesce({name}, chr(30)), "
        f"{era_expression(rule.date_sql)})"
    )


def province_key_of(code: str | None, name: str | None, era: str) -> str:
    return _KEY_SEPARATOR.join([code or _KEY_NULL, name or _KEY_NULL, era])


class FileChecker:
    """Checks one file in one pass; holds its typed rows in ``_staged`` until the file is done.

    One checker serves every file of a source on one connection: the macros and the work tables
    are created once (``__init__``, outside any file's transaction) and emptied per file
    (``start_file``), so a file's transaction holds no catalog change.

    Per file: ``check`` (the file's relation, or each Arrow batch through ``add_batch``) types
    every row and evaluates every row rule in one statement; ``finish`` resolves the provinces
    and the key rules and fills ``_failures``; ``keep_passing`` then leaves only the rows that
    load in ``_staged`` (in between, the GX boundary may read every typed row).

    Small files (reports: a few dozen rows each) can be passed several at once, ahead of their
    turn: ``check_ahead`` types and checks their rows in one statement into ``STAGED_AHEAD``,
    each row marked with its file's position, and ``take_ahead`` then hands one file's rows to
    ``_staged`` as ``add_batch`` would have. The pass of a report costs ≈ 9 ms, most of it
    binding and optimizing the statement, whatever its ≈ 30 rows.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, contract: Contract):
        self.con = con
        self.contract = contract
        self.rows_in = 0
        # The file's quarantined rows (``finish``).
        self.rows_held = 0
        # Work tables besides ``_staged`` that may hold rows (the next ``start_file`` empties
        # them; ``_failures`` in it: the file has failures to count), and the rows each warning
        # rule flags among the staged rows (``finish``): a clean file needs no statement for
        # either.
        self._written: set[str] = set()
        self._warned: list[int] = []
        # (rule, code, name, era) -> why it is not a province of that era, None when it is one.
        self._verdicts: dict[tuple[str, str | None, str | None, str], str | None] = {}
        # The one-pass statement for a shape of incoming columns (and whether it passes files
        # ahead), around its relation.
        self._passes: dict[tuple[IncomingColumns, bool], tuple[str, str]] = {}
        # The columns of the files ``check_ahead`` last passed, None until one passed.
        self._ahead_incoming: IncomingColumns | None = None
        # The contract's columns the file brought (its type rules apply to them).
        self._present: set[str] = set()
        # Some of the file's rows had their broken rules listed in the pass (``_pass_sql``).
        self._listed_in_pass = False
        # Text helper columns the file brought (a report's ``count_errors``): rules read them,
        # ``_staged`` does not keep them, ``_row_check_failures`` takes them back from a broken
        # row's original values.
        self._text_helpers: set[str] = set()
        con.execute(MACROS)
        columns = ", ".join(f"{quote(c.name)} {c.physical_type}" for c in contract.columns)
        # __broken: the row breaks a row check; __failed: the rules it breaks, when the pass
        # listed them; __original: its values as the file had them, kept only for a row that
        # breaks a check or whose province is not yet judged.
        con.execute(
            f"create or replace temp table _staged (row_number bigint, {columns}, "
            "__broken boolean, __failed struct(rule varchar, message varchar)[], __original json)"
        )
        con.execute(
            f"create or replace temp table {STAGED_AHEAD} as "
            "select *, 0::integer as __part from _staged limit 0"
        )
        con.execute(
            "create or replace temp table _failures "
            "(row_number bigint, rule varchar, message varchar, original_values json)"
        )
        con.execute(
            "create or replace temp table _province_verdicts "
            "(rule varchar, key varchar, message varchar)"
        )
        # (rule, key) of every province judged valid in this source's run: a row whose key is
        # here needs no judging and keeps no original values.
        con.execute("create or replace temp table _provinces_valid (rule varchar, key varchar)")
        self._seed_valid_provinces()

    def _seed_valid_provinces(self) -> None:
        """Each rule's keys of the provinces as the reference names them (code alone, and code
        with name), judged by ``province_verdict`` itself, so the pass stores original values
        only for rows naming a province otherwise (another spelling: judged at first sight)."""
        seeds = []
        for rule in self.contract.province_rules:
            for unit in provinces():
                codes = [unit.code, *([unit.dvcqg_code.upper()] if unit.dvcqg_code else [])]
                for code in codes if rule.code_column else [None]:
                    for name in [None, unit.name] if rule.name_column else [None]:
                        if (code, name) == (None, None):
                            continue
                        if self._verdict(rule.name, code, name, unit.era) is None:
                            seeds.append((rule.name, province_key_of(code, name, unit.era)))
        self._insert_text_rows("_provinces_valid", seeds)

    def _insert_text_rows(self, table: str, rows: list[tuple[str, ...]]) -> None:
        """Rows of text into a work table in one statement: ``executemany`` runs a statement a
        row (a source's checker starts with 262 province keys: 0.6 s beside the GX import)."""
        if not rows:
            return
        columns = [list(column) for column in zip(*rows, strict=True)]
        unnested = ", ".join("unnest(?::varchar[])" for _ in columns)
        self.con.execute(f"insert into {table} select {unnested}", columns)

    def _verdict(self, rule: str, code: str | None, name: str | None, era: str) -> str | None:
        key = (rule, code, name, era)
        if key not in self._verdicts:
            self._verdicts[key] = province_verdict(code, name, era)
        return self._verdicts[key]

    def start_file(self) -> None:
        """Empty the work tables for the next file (no DDL; a table the last file wrote
        nothing to is left alone)."""
        for table in ["_staged", *sorted(self._written)]:
            self.con.execute(f"delete from {table}")
        self._written = set()
        self.rows_in = 0
        self.rows_held = 0
        self._warned = []
        self._present = set()
        self._listed_in_pass = False
        self._text_helpers = set()

    def rolled_back(self) -> None:
        """The file's transaction was rolled back, which also puts back the earlier file's rows
        its ``start_file`` deleted: the next ``start_file`` empties every work table."""
        self._written = {"_failures", "_province_verdicts"}

    def _pass_sql(self, incoming: IncomingColumns, ahead: bool = False) -> tuple[str, str]:
        """The one-pass statement for these incoming columns, as the text before and after the
        relation it reads: type every column, evaluate every row check (one OR of them), and
        keep the original values of a row that breaks one (the JSON is computed for such rows
        only). Which rules a row broke, and the messages, are worked out in ``finish`` for the
        few broken rows: planning them here doubled the statement, and its planning is most of
        a small file's cost (a report's pass: 19 ms a file listing them, measured). Helper
        columns that rules read and ``_staged`` does not keep (a report's ``count_errors``) are
        taken back from the broken row's original values when they are text; a helper of
        another type (none so far) has the pass list the rules.

        ``ahead``: the same pass into ``STAGED_AHEAD``; each row carries its file's ``__part``,
        and its original values name the file's own columns (the row struct would hold
        ``__part`` too)."""
        if (incoming, ahead) not in self._passes:
            checks = row_checks(self.contract, incoming)
            broken = " or ".join(f"coalesce({c.condition}, false)" for c in checks) or "false"
            failed = "null"
            if _typed_helpers(self.contract, incoming) and checks:
                failed = "case when __broken then " + _listed_sql(checks) + " end"
            unjudged = (
                " or ".join(
                    f"({rule.date_sql} is not null and {province_key_sql(rule)} not in "
                    f"(select key from _provinces_valid where rule = {sql_text(rule.name)}))"
                    for rule in self.contract.province_rules
                )
                or "false"
            )
            columns = ", ".join(["row_number", *map(quote, self.contract.column_names)])
            original, part, target = "to_json(__source)", "", "_staged"
            if ahead:
                fields = ", ".join(f"{sql_text(n)}: __source.{quote(n)}" for n in incoming.names)
                original, part, target = f"to_json({{{fields}}})", ", __part", STAGED_AHEAD
            before = (
                f"insert into {target} select {columns}, __broken, {failed}, "
                f"case when __broken or __unjudged then {original} end{part} "
                f"from (select *, {broken} as __broken, {unjudged} as __unjudged from ("
                f"select {typed_select(self.contract, incoming)}, __source{part} from ("
                "select *, __source from ("
            )
            self._passes[(incoming, ahead)] = (before, ") __source)))")
        return self._passes[(incoming, ahead)]

    def check(self, relation_sql: str, incoming: IncomingColumns) -> int:
        """Type and check every row of ``relation_sql`` (a SELECT giving ``row_number`` and the
        file's columns named by the contract) in one pass into ``_staged``; the rows it read."""
        before, after = self._pass_sql(incoming)
        (rows,) = self.con.execute(before + relation_sql + after).fetchone()  # type: ignore[misc]
        return self._checked(incoming, int(rows))

    def _checked(self, incoming: IncomingColumns, rows: int) -> int:
        """What a pass of ``rows`` rows of these columns tells ``finish``."""
        self._present |= set(incoming.names) & set(self.contract.column_names)
        typed_helpers = _typed_helpers(self.contract, incoming)
        self._listed_in_pass |= bool(typed_helpers)
        self._text_helpers |= set(_helpers(self.contract, incoming)) - set(typed_helpers)
        self.rows_in += rows
        return rows

    def check_ahead(self, tables: list[pa.Table]) -> None:
        """Type and check the rows of several files at once (Arrow tables of one shape, each
        row_number + contract-named columns) into ``STAGED_AHEAD``, replacing what it held; a
        file's rows are marked with its position in ``tables``. Call it outside any file's
        transaction; ``take_ahead`` then stages each file in its turn."""
        incoming = IncomingColumns.of_arrow(tables[0].schema)
        parts = [
            table.append_column("__part", pa.array([i] * table.num_rows, pa.int32()))
            for i, table in enumerate(tables)
        ]
        self.con.execute(f"delete from {STAGED_AHEAD}")
        self._ahead_incoming = None
        with self._registered(pa.concat_tables(parts)):
            before, after = self._pass_sql(incoming, ahead=True)
            self.con.execute(before + "select * from _batch" + after)
        self._ahead_incoming = incoming

    def take_ahead(self, part: int) -> None:
        """The rows ``check_ahead`` passed for the file at ``part``, staged as ``add_batch``
        of the file's table would have staged them."""
        assert self._ahead_incoming is not None, "take_ahead before a check_ahead that passed"
        (rows,) = self.con.execute(  # type: ignore[misc]
            f"insert into _staged select * exclude (__part) from {STAGED_AHEAD} where __part = ?",
            [part],
        ).fetchone()
        self._checked(self._ahead_incoming, int(rows))

    def add_batch(self, batch: pa.Table) -> None:
        """One Arrow batch (row_number + contract-named columns) through ``check``."""
        with self._registered(batch):
            self.check("select * from _batch", IncomingColumns.of_arrow(batch.schema))

    @contextmanager
    def _registered(self, batch: pa.Table) -> Iterator[None]:
        """``batch`` readable as ``_batch`` on the checker's connection."""
        con = self.con
        # duckdb 2.0 refuses register() while the last execute()'s result (an insert's row
        # count) is unread; a fetched no-op statement completes it.
        con.execute("select 1").fetchall()
        con.register("_batch", batch)
        try:
            yield
        finally:
            con.unregister("_batch")

    def finish(self) -> None:
        """The file's failures: the rules its rows broke in the pass, the provinces not valid
        for their era, and the key rules over the rows that passed both (every row of a
        repeated key fails). The rows stay in ``_staged`` until ``keep_passing``.

        A clean file (the common case) costs two statements here: what the pass staged is
        counted once, and the steps that only concern broken or unjudged rows are skipped when
        there are none (each statement is a fixed ≈ 1 ms, most of a small file's cost)."""
        con = self.con
        warned = "".join(
            f", count(*) filter (where not coalesce(({rule.predicate}), true))"
            for rule in self._warning_rules()
        )
        staged, unlisted, kept_original, *self._warned = con.execute(  # type: ignore[misc]
            "select count(*), count(*) filter (where __broken and __failed is null), "
            f"count(__original){warned} from _staged"
        ).fetchone()
        if staged != self.rows_in:
            raise AssertionError(
                f"{self.contract.source}: {self.rows_in} rows in but {staged} staged; every "
                "input row must be accounted for"
            )
        if self._listed_in_pass:
            self._fail(
                "insert into _failures select row_number, broken.rule, broken.message, "
                "__original from (select row_number, unnest(__failed) as broken, __original "
                "from _staged where __failed is not null)"
            )
        if unlisted:
            self._row_check_failures()
        if kept_original:  # only such a row can be broken or name an unjudged province
            for province_rule in self.contract.province_rules:
                self._province_failures(province_rule)
        for rule in self.contract.key_rules:
            keys = ", ".join(map(quote, rule.columns))
            not_null = " and ".join(f"{quote(c)} is not null" for c in rule.columns)
            label = " + ".join(rule.columns)
            # Key failures carry the typed values as text (the same as the file's for ISO dates
            # and plain numbers): a row that broke no other rule kept no original values.
            values = ", ".join(
                [
                    "'row_number': row_number",
                    *(f"{sql_text(c)}: {quote(c)}::varchar" for c in self.contract.column_names),
                ]
            )
            self._fail(
                f"""
                insert into _failures
                select row_number, {sql_text(rule.name)},
                    {sql_text(label + " ")} || '''' || concat_ws(' / ', {keys}) || ''''
                    || ' appears on rows ' || array_to_string(list_sort(rows), ', ')
                    || ' of this file (' || {sql_text(rule.description)} || ')',
                    to_json({{{values}}})
                -- the repeated keys first (an aggregate; a window listing every key's rows
                -- sorted all of them to keep the few that repeat), then their rows
                from (
                    select unnest(rows) as row_number, rows
                    from (
                        select list(row_number) as rows
                        from _staged
                        where {not_null}
                            and row_number not in (select row_number from _failures)
                        group by {keys}
                        having count(*) > 1
                    )
                ) repeated
                join _staged using (row_number)
                """
            )
        if "_failures" in self._written:
            (self.rows_held,) = con.execute(  # type: ignore[misc]
                "select count(distinct row_number) from _failures"
            ).fetchone()

    def _fail(self, insert_sql: str) -> None:
        """Run an insert into ``_failures``, noting whether it wrote any row."""
        (written,) = self.con.execute(insert_sql).fetchone()  # type: ignore[misc]
        if written:
            self._written.add("_failures")

    def _row_check_failures(self) -> None:
        """Each rule a broken row breaks, with its message: the same checks as the pass, over
        the typed row, with the text of a value that failed typing (``__raw_<column>``) and
        the text helper columns taken back from the row's original values."""
        present = IncomingColumns.of((name, True) for name in sorted(self._present))
        checks = row_checks(self.contract, present)
        raw = ", ".join(
            f"case when {quote(c.name)} is null then json_extract_string(__original, "
            f"{sql_text('$.' + json.dumps(c.name))}) end as {quote('__raw_' + c.name)}"
            for c in self.contract.columns
            if c.name in self._present and type_rule(c)
        )
        helpers = ", ".join(
            f"json_extract_string(__original, {sql_text('$.' + json.dumps(name))}) as {quote(name)}"
            for name in sorted(self._text_helpers)
        )
        raw = ", ".join(part for part in (raw, helpers) if part)
        self._fail(
            "insert into _failures select row_number, broken.rule, broken.message, __original "
            f"from (select row_number, __original, unnest({_listed_sql(checks)}) as broken "
            f"from (select *{', ' + raw if raw else ''} from _staged "
            "where __broken and __failed is null))"
        )

    def _province_failures(self, rule: ProvinceEraRule) -> None:
        """Judge each (code, name, era) the pass could not (once per source run, in Python,
        where the administrative-unit reference lives); rows of a failing one join it."""
        con = self.con
        code = quote(rule.code_column) if rule.code_column else "null"
        name = quote(rule.name_column) if rule.name_column else "null"
        unjudged = (
            f"from _staged where __original is not null and {rule.date_sql} is not null "
            f"and {province_key_sql(rule)} not in "
            f"(select key from _provinces_valid where rule = {sql_text(rule.name)})"
        )
        seen = con.execute(
            f"select distinct {code}, {name}, {era_expression(rule.date_sql)} {unjudged}"
        ).fetchall()
        if not seen:
            return
        valid, failing = [], []
        for code_value, name_value, era in seen:
            key = province_key_of(code_value, name_value, era)
            verdict = self._verdict(rule.name, code_value, name_value, era)
            if verdict is None:
                valid.append((rule.name, key))
            else:
                failing.append((rule.name, key, verdict))
        if failing:
            self._insert_text_rows("_province_verdicts", failing)
            self._written.add("_province_verdicts")
            self._fail(
                "insert into _failures select s.row_number, v.rule, v.message, s.__original "
                f"from (select row_number, __original, {province_key_sql(rule)} as __key "
                f"{unjudged}) s join _province_verdicts v "
                f"on v.rule = {sql_text(rule.name)} and v.key = s.__key"
            )
        self._insert_text_rows("_provinces_valid", valid)

    def keep_passing(self) -> None:
        """Only the rows that load stay in ``_staged``."""
        if self.rows_held:
            self.con.execute(
                "delete from _staged where row_number in (select row_number from _failures)"
            )

    def warnings(self, rows_shown: int = 5) -> list[str]:
        """The warning rules the loaded rows break: 'rule R warned on rows 2, 3 (why)'. The rows
        stay in _staged unchanged; this only reads them."""
        found = []
        for rule, staged_warned in zip(self._warning_rules(), self._warned, strict=True):
            if not staged_warned:  # none among the staged rows, so none among those loading
                continue
            count, numbers = self.con.execute(
                f"select count(*), list(row_number order by row_number)[1:{rows_shown}] "
                f"from _staged where not coalesce(({rule.predicate}), true)"
            ).fetchone()  # type: ignore[misc]
            if count:
                more = f" and {count - len(numbers)} more" if count > len(numbers) else ""
                rows = ", ".join(map(str, numbers))
                found.append(
                    f"rule {rule.name} warned on row{'s' if count > 1 else ''} {rows}{more} "
                    f"({rule.description}; the rows were loaded unchanged)"
                )
        return found

    def _warning_rules(self) -> list[RowRule]:
        return [rule for rule in self.contract.row_rules if rule.is_warning]

    def counts(self) -> tuple[int, int, int]:
        """Rows in, loaded and quarantined, as ``finish`` counted them (every row staged)."""
        return self.rows_in, self.rows_in - self.rows_held, self.rows_held

    def drop(self) -> None:
        for table in (
            "_staged",
            STAGED_AHEAD,
            "_failures",
            "_province_verdicts",
            "_provinces_valid",
        ):
            self.con.execute(f"drop table if exists {table}")
