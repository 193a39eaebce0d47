"""Every row of a file typed and checked in DuckDB, with SQL compiled from the data contract.

Per batch (bounded, Arrow in): the contract's columns are typed from text (Vietnamese numbers
``88.424``, booleans ``true``/``có``, timestamps in the formats the contract accepts), then every
row-level rule runs as one SQL filter: type (format), required, allowed values, the row rules'
predicates and the province-for-the-period check. Failing rows go to ``_failures`` with the rule,
a message and their original values; passing rows to ``_staged``. Key rules need the whole file,
so they run once at the end over ``_staged``. Nothing here holds a file in Python memory.
"""

from __future__ import annotations

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
create or replace temp macro cchc_boolean(x) as (
    case
        when lower(cchc_text(x)) in ({", ".join(f"'{w}'" for w in TRUE_WORDS)}) then true
        when lower(cchc_text(x)) in ({", ".join(f"'{w}'" for w in FALSE_WORDS)}) then false
    end
);
"""


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


def _typed_expression(column: Column, arrow_type: pa.DataType | None) -> str:
    kind = column.physical_type
    if arrow_type is None:
        return f"null::{kind}"
    name = quote(column.name)
    textual = pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
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
    condition: str  # SQL over _typed: true = the row breaks the rule
    message: str  # SQL expression over _typed


def typed_select(contract: Contract, schema: pa.Schema) -> str:
    """SELECT list turning one incoming batch into the contract's types (+ raw text of values
    that failed typing, for the message) and passing through helper columns rules read."""
    types = {f.name: f.type for f in schema}
    items = ["row_number::bigint as row_number"]
    for column in contract.columns:
        typed = _typed_expression(column, types.get(column.name))
        items.append(f"{typed} as {quote(column.name)}")
        if column.name in types and type_rule(column):
            raw = quote(column.name)
            items.append(
                f"case when {raw} is not null and {typed} is null "
                f"then {raw}::varchar end as {quote('__raw_' + column.name)}"
            )
    names = set(contract.column_names) | {"row_number"}
    items += [quote(f.name) for f in schema if f.name not in names]
    return ", ".join(items)


def row_checks(contract: Contract, schema: pa.Schema) -> list[Check]:
    present = {f.name for f in schema}
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


class FileChecker:
    """Checks one file's batches; holds its passing rows in ``_staged`` until the file is done.

    One checker serves every file of a source on one connection: the macros and the work tables
    are created once (``__init__``, outside any file's transaction) and emptied per file
    (``start_file``), so a file's transaction holds no catalog change but the rare ``_typed``
    re-creation when the incoming columns differ from the previous batch's.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, contract: Contract):
        self.con = con
        self.contract = contract
        self.rows_in = 0
        self.batch_rows = 0  # rows of the batch in _typed
        self._verdicts: dict[tuple[str | None, str | None, str], str | None] = {}
        # The SELECT list _typed was last created with; None = (re-)create on the next batch.
        self._typed_shape: str | None = None
        self._rules: dict[str, tuple[str, str] | None] = {}
        con.execute(MACROS)
        columns = ", ".join(f"{quote(c.name)} {c.physical_type}" for c in contract.columns)
        con.execute(f"create or replace temp table _staged (row_number bigint, {columns})")
        con.execute(
            "create or replace temp table _failures "
            "(row_number bigint, rule varchar, message varchar, original_values json)"
        )
        con.execute(
            "create or replace temp table _province_verdicts "
            "(rule varchar, code varchar, name varchar, era varchar, message varchar)"
        )

    def start_file(self) -> None:
        """Empty the work tables for the next file (no DDL)."""
        self.rows_in = 0
        self._verdicts.clear()
        for table in ("_staged", "_failures", "_province_verdicts"):
            self.con.execute(f"delete from {table}")

    def forget_typed(self) -> None:
        """After a rollback: _typed may have been created in the rolled-back transaction."""
        self._typed_shape = None

    def _rule_sql(self, schema: pa.Schema) -> tuple[str, str] | None:
        """For this schema's row checks: a predicate true when a row of _typed breaks any of
        them, and one SQL list of the rules it breaks, each as {rule, message} (a message is
        computed only for a broken rule); None when there is no row check."""
        key = schema.to_string()
        if key not in self._rules:
            checks = row_checks(self.contract, schema)
            if not checks:
                self._rules[key] = None
            else:
                broken = " or ".join(f"coalesce({c.condition}, false)" for c in checks)
                items = ", ".join(
                    f"case when {c.condition} then {{'rule': {sql_text(c.rule)}, "
                    f"'message': ({c.message})::varchar}} end"
                    for c in checks
                )
                listed = f"list_filter([{items}], lambda x: x is not null)"
                self._rules[key] = (broken, listed)
        return self._rules[key]

    def add_batch(self, batch: pa.Table) -> None:
        """Type and check one batch: failures recorded, passing rows staged.

        Every row check runs in one scan: a cheap OR of the checks finds the failing rows (none,
        mostly, and then nothing else is planned or run), and only those rows get the list of
        rules they break, unnested into ``_failures``.
        """
        con = self.con
        self.rows_in += batch.num_rows
        self.batch_rows = batch.num_rows
        # duckdb 2.0 refuses register() while the last execute()'s result (an insert's row
        # count) is unread; a fetched no-op statement completes it.
        con.execute("select 1").fetchall()
        con.register("_batch", batch)
        try:
            shape = typed_select(self.contract, batch.schema)
            if shape == self._typed_shape:
                con.execute("delete from _typed").fetchall()
                con.execute(f"insert into _typed select {shape} from _batch").fetchall()
            else:
                con.execute(f"create or replace temp table _typed as select {shape} from _batch")
                self._typed_shape = shape
            failed = 0
            rules = self._rule_sql(batch.schema)
            if rules is not None:
                broken, listed = rules
                (failing,) = con.execute(  # type: ignore[misc]
                    f"select count(*) from _typed where {broken}"
                ).fetchone()
                if failing:
                    failed += self._insert_failures(
                        "select row_number, broken.rule, broken.message from ("
                        "select row_number, unnest(failed) as broken from ("
                        f"select row_number, {listed} as failed from _typed where {broken}))"
                    )
            for select in self._province_selects():
                failed += self._insert_failures(select)
            columns = ", ".join(["row_number", *map(quote, self.contract.column_names)])
            if failed:
                con.execute(
                    f"insert into _staged select {columns} from _typed t where not exists "
                    "(select 1 from _failures f where f.row_number = t.row_number)"
                )
            else:
                con.execute(f"insert into _staged select {columns} from _typed")
        finally:
            con.unregister("_batch")

    def _insert_failures(self, select: str) -> int:
        """Failures (row_number, rule, message) of the batch, with the row's original values."""
        (inserted,) = self.con.execute(  # type: ignore[misc]
            "insert into _failures select f.row_number, f.rule, f.message, to_json(b) "
            f"from ({select}) f join _batch b using (row_number)"
        ).fetchone()
        return int(inserted)

    def _province_selects(self) -> list[str]:
        selects = []
        for rule in self.contract.province_rules:
            self._update_verdicts(rule)
            code = quote(rule.code_column) if rule.code_column else "null"
            name = quote(rule.name_column) if rule.name_column else "null"
            selects.append(
                f"select t.row_number, v.rule, v.message from _typed t join _province_verdicts v "
                f"on v.rule = {sql_text(rule.name)} and v.code is not distinct from {code} "
                f"and v.name is not distinct from {name} "
                f"and v.era = {era_expression(rule.date_sql)}"
            )
        return selects

    def _update_verdicts(self, rule: ProvinceEraRule) -> None:
        """Resolve each distinct (code, name, era) of the batch once, in Python, where the
        administrative-unit reference lives; rows join the few failing verdicts in SQL."""
        code = quote(rule.code_column) if rule.code_column else "null"
        name = quote(rule.name_column) if rule.name_column else "null"
        seen = self.con.execute(
            f"select distinct {code}, {name}, {era_expression(rule.date_sql)} from _typed "
            f"where {rule.date_sql} is not null"
        ).fetchall()
        fresh = []
        for code_value, name_value, era in seen:
            key = (code_value, name_value, era)
            if (rule.name, *key) in self._verdicts:
                continue
            verdict = province_verdict(code_value, name_value, era)
            self._verdicts[(rule.name, *key)] = verdict
            if verdict:
                fresh.append((rule.name, code_value, name_value, era, verdict))
        if fresh:
            self.con.executemany("insert into _province_verdicts values (?, ?, ?, ?, ?)", fresh)

    def finish(self) -> None:
        """Key rules over the whole file; rows of a repeated key leave _staged for _failures."""
        for rule in self.contract.key_rules:
            keys = ", ".join(map(quote, rule.columns))
            not_null = " and ".join(f"{quote(c)} is not null" for c in rule.columns)
            label = " + ".join(rule.columns)
            # The raw text of a batch is gone by now: key failures carry the typed values as
            # text (the same as the file's for ISO dates and plain numbers).
            values = ", ".join(
                [
                    "'row_number': row_number",
                    *(f"{sql_text(c)}: {quote(c)}::varchar" for c in self.contract.column_names),
                ]
            )
            self.con.execute(
                f"""
                insert into _failures
                select row_number, {sql_text(rule.name)},
                    {sql_text(label + " ")} || '''' || concat_ws(' / ', {keys}) || ''''
                    || ' appears on rows ' || array_to_string(list_sort(rows), ', ')
                    || ' of this file (' || {sql_text(rule.description)} || ')',
                    to_json({{{values}}})
                from (
                    select *, count(*) over keyed as copies, list(row_number) over keyed as rows
                    from _staged where {not_null}
                    window keyed as (partition by {keys})
                ) s
                where copies > 1
                """
            )
        self.con.execute(
            "delete from _staged where row_number in (select row_number from _failures)"
        )

    def warnings(self, rows_shown: int = 5) -> list[str]:
        """The warning rules the loaded rows break: 'rule R warned on rows 2, 3 (why)'. The rows
        stay in _staged unchanged; this only reads them."""
        found = []
        for rule in self.contract.row_rules:
            if not rule.is_warning:
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

    def counts(self) -> tuple[int, int, int]:
        (loaded,) = self.con.execute("select count(*) from _staged").fetchone()  # type: ignore[misc]
        (held,) = self.con.execute(  # type: ignore[misc]
            "select count(distinct row_number) from _failures"
        ).fetchone()
        if loaded + held != self.rows_in:
            raise AssertionError(
                f"{self.contract.source}: {self.rows_in} rows in but {loaded} loaded + "
                f"{held} quarantined; every input row must be accounted for"
            )
        return self.rows_in, loaded, held

    def drop(self) -> None:
        for table in ("_staged", "_failures", "_typed", "_province_verdicts"):
            self.con.execute(f"drop table if exists {table}")
