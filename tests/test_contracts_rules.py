"""Every contract rule, shown breaking on exactly one row: that row is quarantined under that rule
(and no other), with its original values, and every other row of the file still loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.lib.contracts import load_contract
from pipelines.lib.ingest import ingest_source, parse_portal_report
from pipelines.lib.validation.rules import MACROS, FileChecker, type_rule
from pipelines.settings import SOURCES
from tests.report_files import hoa_binh_q1_2023_rows, vn_number, write_csv
from tests.source_files import CLEAN_FILE_NAMES, clean_rows, write_source_csv

Rows = list[dict[str, str]]


@dataclass(frozen=True)
class Case:
    source: str
    rule: str
    mutate: Callable[[Rows], None]
    rows: tuple[int, ...] = (2,)  # file rows (CSV lines) quarantined; line 2 = first data row

    @property
    def id(self) -> str:
        return f"{self.source}-{self.rule}"


def _set(index: int, **values: str) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        rows[index].update(values)

    return mutate


def _copy_key(columns: tuple[str, ...]) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        rows[1].update({c: rows[0][c] for c in columns})

    return mutate


def _add_snapshot_column(index: int, value: str) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        for row in rows:
            row["snapshot_date"] = "2024-03-01"
        rows[index]["snapshot_date"] = value

    return mutate


def _add_column(name: str, value: str, index: int, bad: str) -> Callable[[Rows], None]:
    """A column the file name would otherwise give, written in every row; row ``index`` bad."""

    def mutate(rows: Rows) -> None:
        for row in rows:
            row[name] = value
        rows[index][name] = bad

    return mutate


def _required_cases(source: str, skip: set[str], index: int = 0) -> list[Case]:
    contract = load_contract(source)
    return [
        Case(source, f"{c.name}_required", _set(index, **{c.name: ""}), (index + 2,))
        for c in contract.columns
        if c.required and c.name not in skip
    ]


def _district_after_restructuring(rows: Rows) -> None:
    rows[1].update(
        province_code="25",
        province_name="Tỉnh Phú Thọ",
        received_at="2025-07-02 08:00:00",
        due_at="2025-07-09 17:00:00",
        resolved_at="2025-07-05 10:00:00",
    )


CASES: list[Case] = [
    *_required_cases("dossiers", skip=set()),
    Case("dossiers", "agency_level_allowed_values", _set(0, agency_level="tỉnh")),
    Case("dossiers", "channel_allowed_values", _set(1, channel="counter"), (3,)),
    Case("dossiers", "online_level_allowed_values", _set(0, online_level="toàn trình")),
    Case("dossiers", "status_allowed_values", _set(1, status="done"), (3,)),
    Case("dossiers", "iso_datetime", _set(0, received_at="01/03/2024 08:00:00")),
    Case("dossiers", "whole_number", _set(0, fee_amount_vnd="50k")),
    Case("dossiers", "boolean_value", _set(0, paid_online="maybe")),
    Case("dossiers", "non_negative_fee", _set(0, fee_amount_vnd="-5.000")),
    Case("dossiers", "due_after_received", _set(0, due_at="2024-03-01 17:00:00")),
    Case("dossiers", "resolved_has_resolution_date", _set(0, resolved_at="")),
    Case("dossiers", "resolution_after_received", _set(0, resolved_at="2024-02-01 10:00:00")),
    # the returned dossier (4th row) without its status date: it could never close
    Case("dossiers", "returned_withdrawn_has_status_date", _set(3, status_at=""), (5,)),
    Case("dossiers", "status_date_after_received", _set(3, status_at="2024-03-01 09:00:00"), (5,)),
    Case("dossiers", "online_level_matches_channel", _set(1, online_level="full"), (3,)),
    Case("dossiers", "district_level_before_restructuring", _district_after_restructuring, (3,)),
    Case("dossiers", "commune_agency_has_commune_code", _set(2, commune_code=""), (4,)),
    Case("dossiers", "unique_dossier_id", _copy_key(("dossier_id",)), (2, 3)),
    Case("dossiers", "province_valid_for_period", _set(0, province_code="99")),
    *_required_cases("payments", skip=set()),
    Case("payments", "channel_allowed_values", _set(0, channel="cash")),
    Case("payments", "status_allowed_values", _set(0, status="ok")),
    Case("payments", "iso_datetime", _set(0, paid_at="2024-03-02T09:00")),
    Case("payments", "whole_number", _set(0, amount_vnd="50.000,50")),
    Case("payments", "non_negative_amount", _set(0, amount_vnd="-1")),
    Case("payments", "unique_transaction_id", _copy_key(("transaction_id",)), (2, 3)),
    Case("payments", "province_valid_for_period", _set(0, paid_at="2025-08-01 09:00:00")),
    *_required_cases("procedures", skip={"snapshot_date"}),
    Case("procedures", "snapshot_date_required", _add_snapshot_column(0, "")),
    Case("procedures", "date_format", _add_snapshot_column(0, "2024/03/01")),
    Case("procedures", "authority_level_allowed_values", _set(0, authority_level="cấp tỉnh")),
    Case("procedures", "online_capability_allowed_values", _set(0, online_capability="4")),
    Case("procedures", "boolean_value", _set(0, fee_required="?")),
    Case("procedures", "online_payment_requires_fee", _set(0, online_payment_enabled="true")),
    Case(
        "procedures",
        "district_level_before_restructuring",
        lambda rows: (
            _add_snapshot_column(2, "2025-07-01")(rows),
            rows[2].update(province_code="25"),
        ),
        (4,),
    ),
    Case("procedures", "unique_procedure", _copy_key(("procedure_code",)), (2, 3)),
    Case("procedures", "province_valid_for_period", _set(0, province_code="99")),
    *_required_cases("satisfaction", skip=set()),
    Case("satisfaction", "date_format", _set(0, period_start="March 2024")),
    Case("satisfaction", "whole_number", _set(0, responses="1,5")),
    Case("satisfaction", "counts_non_negative", _set(0, responses="-1", satisfied_responses="-2")),
    Case("satisfaction", "satisfied_within_responses", _set(0, satisfied_responses="130")),
    Case(
        "satisfaction",
        "unique_satisfaction_row",
        _copy_key(("agency_code", "procedure_field")),
        (2, 3),
    ),
    Case("satisfaction", "province_valid_for_period", _set(0, province_code="99")),
    *_required_cases("satisfaction_responses", skip=set()),
    Case("satisfaction_responses", "datetime_format", _set(0, rated_at="March 2024")),
    Case("satisfaction_responses", "whole_number", _set(0, score="4.5")),
    Case("satisfaction_responses", "score_on_the_scale", _set(0, score="6")),
    Case("satisfaction_responses", "unique_response", _copy_key(("response_id",)), (2, 3)),
    Case("satisfaction_responses", "province_valid_for_period", _set(0, province_code="99")),
    *_required_cases(
        "published_index", skip=set(load_contract("published_index").extra["derivedColumns"])
    ),
    *(
        Case("published_index", f"{column}_required", _add_column(column, value, 0, ""))
        for column, value in [
            ("snapshot_at", "2026-10-10 06:00:00"),
            ("period_grain", "year_to_date"),
            ("period_start", "2026-01-01"),
            ("period_end", "2026-10-10"),
        ]
    ),
    Case(
        "published_index",
        "period_grain_allowed_values",
        _add_column("period_grain", "year_to_date", 0, "week"),
    ),
    Case(
        "published_index",
        "datetime_format",
        _add_column("snapshot_at", "2026-10-10 06:00", 0, "10/10/2026"),
    ),
    Case("published_index", "iso_date", _add_column("period_end", "2026-10-10", 0, "10/10/2026")),
    Case(
        "published_index",
        "period_in_order",
        _add_column("period_end", "2026-10-10", 0, "2025-12-31"),
    ),
    Case("published_index", "whole_number", _set(0, published_rank="1,5")),
    Case("published_index", "decimal_number", _set(0, mdhl="14,6,7")),
    Case("published_index", "group_within_max", _set(0, ckmb="18.50", total="75.84")),
    Case("published_index", "total_is_sum_of_groups", _set(0, total="68.90")),
    Case(
        "published_index",
        "unique_province_snapshot",
        _copy_key(("dvcqg_code", "province_name")),
        (2, 3),
    ),
    Case("published_index", "province_valid_for_period", _set(0, dvcqg_code="H99")),
    *_required_cases("governance_indices", skip={"province_code"}),
    Case("governance_indices", "index_code_allowed_values", _set(0, index_code="HDI")),
    Case("governance_indices", "whole_number", _set(0, published_rank="first")),
    Case("governance_indices", "decimal_number", _set(0, score="4x")),
    Case("governance_indices", "score_in_range", _set(0, score="81")),
    Case("governance_indices", "rank_positive", _set(0, published_rank="0")),
    Case("governance_indices", "score_or_rank", _set(0, score="", published_rank="")),
    Case("governance_indices", "unique_province_year", _copy_key(("province_name",)), (2, 3)),
    Case("governance_indices", "province_valid_for_year", _set(0, province_name="Hà Tây")),
]


def _load(tmp_path: Path, source: str, file_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest_source(con, source, file_path.parent, load_id="test-run", gx_max_rows="all")
    return con


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_row_breaking_a_rule_is_quarantined_under_that_rule(tmp_path: Path, case: Case) -> None:
    rows = clean_rows(case.source)
    case.mutate(rows)
    landed = write_source_csv(
        tmp_path / "landing" / case.source / CLEAN_FILE_NAMES[case.source], rows
    )

    con = _load(tmp_path, case.source, landed)

    quarantined = con.execute(
        "select row_number, rule, message, original_values from audit.quarantine"
    ).fetchall()
    assert {(n, rule) for n, rule, *_ in quarantined} == {(n, case.rule) for n in case.rows}
    for number, _, message, original in quarantined:
        assert message.startswith(f"{landed.name} row {number}: rule {case.rule} failed — ")
        values = json.loads(original)
        expected = rows[number - 2]
        if case.rule.startswith("unique_"):  # typed values as text: compare the key
            key = load_contract(case.source).key_rules[0].columns
            expected = {k: v for k, v in expected.items() if k in key}
        assert {k: values.get(k) or "" for k in expected} == {
            k: str(v or "") for k, v in expected.items()
        }
    ((outcome, rows_in, loaded, held),) = con.execute(
        "select outcome, rows_in, rows_loaded, rows_quarantined from audit.loads"
    ).fetchall()
    assert (outcome, rows_in, loaded, held) == (
        "loaded_with_quarantine",
        len(rows),
        len(rows) - len(case.rows),
        len(case.rows),
    )
    (in_raw,) = con.execute(f"select count(*) from raw.{case.source}").fetchone()  # type: ignore[misc]
    assert in_raw == loaded


PORTAL_REPORT_CASES: dict[str, tuple[dict[int, int], set[int]]] = {
    # rule -> (cell changes on Sở Tư pháp's line 9 as {column: delta}, lines quarantined)
    "received_identity": ({2: 1, 6: 1, 7: 1}, {9}),
    "resolved_identity": ({2: 1, 3: 1, 6: 1}, {9}),
    "in_progress_identity": ({2: 1, 3: 1, 10: 1}, {9}),
    "balance_identity": ({2: 1, 3: 1}, {9}),
    "counts_non_negative": ({7: -10_195, 8: 10_195}, {9}),
}


@pytest.mark.parametrize("rule", [*PORTAL_REPORT_CASES, "counts_are_whole_numbers"])
def test_a_report_row_breaking_a_rule_is_quarantined_under_that_rule(
    tmp_path: Path, rule: str
) -> None:
    grid = hoa_binh_q1_2023_rows()
    if rule == "counts_are_whole_numbers":
        grid[8][3], lines = "1.070,5", {9}
    else:
        changes, lines = PORTAL_REPORT_CASES[rule]
        for column, delta in changes.items():
            grid[8][column] = vn_number(int(grid[8][column].replace(".", "")) + delta)
    landed = write_csv(tmp_path / "landing" / "portal_report" / "hb.csv", grid)

    con = _load(tmp_path, "portal_report", landed)

    quarantined = con.execute(
        "select row_number, rule, original_values->>'agency_name' from audit.quarantine "
        "order by rule"
    ).fetchall()
    rules = [rule]
    if rule == "counts_are_whole_numbers":  # the parser leaves the unreadable cell empty
        rules = ["carried_over_required", rule]
    assert quarantined == [(n, r, "Sở Tư pháp") for n in sorted(lines) for r in rules]
    assert con.execute(
        "select rows_in, rows_loaded, rows_quarantined from audit.loads"
    ).fetchall() == [(4, 3, 1)]


def test_a_report_period_spanning_the_restructuring_is_quarantined(tmp_path: Path) -> None:
    grid = hoa_binh_q1_2023_rows()
    grid[2] = ["Từ ngày 01/06/2025 đến ngày 31/07/2025"]
    landed = write_csv(tmp_path / "landing" / "portal_report" / "hb.csv", grid)

    con = _load(tmp_path, "portal_report", landed)

    rules = con.execute("select distinct rule from audit.quarantine").fetchall()
    assert rules == [("period_within_one_era",)]
    assert con.execute("select rows_loaded, rows_quarantined from audit.loads").fetchall() == [
        (0, 4)
    ]


def test_a_formula_like_agency_name_loads_unchanged_with_a_warning(tmp_path: Path) -> None:
    """A warning rule (issue 16): the rows load as they are, the load's message names them."""
    grid = hoa_binh_q1_2023_rows()
    grid[8][1] = '=HYPERLINK("http://x.example")&"Sở Tư pháp"'  # line 9
    grid[9][1] = "@Sở Tài nguyên và Môi trường"  # line 10
    landed = write_csv(tmp_path / "landing" / "portal_report" / "hb.csv", grid)

    con = _load(tmp_path, "portal_report", landed)

    assert con.execute("select count(*) from audit.quarantine").fetchone() == (0,)
    ((rows_in, loaded, quarantined, message),) = con.execute(
        "select rows_in, rows_loaded, rows_quarantined, message from audit.loads"
    ).fetchall()
    assert (rows_in, loaded, quarantined) == (4, 4, 0)
    assert message.startswith("rule agency_name_not_formula_like warned on rows 9, 10 (")
    names = con.execute(
        "select agency_name from raw.portal_report order by source_row_number"
    ).fetchall()
    assert names[:2] == [(grid[8][1],), (grid[9][1],)]


# The report parser fills these columns itself (province and period from the title, level from
# the sections, missing counts as 0) or refuses the file first, so no row can reach them empty.
PARSER_GUARANTEED = {
    rule for rule in load_contract("portal_report").all_rule_names
    if rule.endswith(("_required", "_allowed_values"))
}  # fmt: skip


def test_every_contract_rule_has_a_test_above() -> None:
    covered = {(c.source, c.rule) for c in CASES}
    covered |= {("portal_report", r) for r in [*PORTAL_REPORT_CASES, "counts_are_whole_numbers"]}
    covered |= {("portal_report", "period_within_one_era")}
    covered |= {("portal_report", "agency_name_not_formula_like")}
    missing = []
    for source in SOURCES:
        contract = load_contract(source)
        rules = set(contract.all_rule_names)
        rules |= {type_rule(c)[0] for c in contract.columns if type_rule(c)}  # type: ignore[index]
        if source == "portal_report":
            rules -= PARSER_GUARANTEED | {"whole_number", "iso_date"}
        missing += [f"{source}:{rule}" for rule in sorted(rules) if (source, rule) not in covered]
    assert missing == []


@pytest.mark.parametrize("helper_type", ["text", "integer"])
def test_a_helper_column_rule_names_the_same_rows_whether_listed_in_the_pass_or_after(
    tmp_path: Path, helper_type: str
) -> None:
    """A report's ``count_errors`` is read by a rule but not loaded: as text it is taken back
    from a broken row's original values after the pass, of another type the pass lists the
    rules; both give each broken row its rules and messages."""
    grid = hoa_binh_q1_2023_rows()
    landed = write_csv(tmp_path / "hb.csv", grid)
    rows = parse_portal_report(landed).rows
    errors = [None] * rows.height
    errors[1] = "carried_over: '1.070,5'"
    helper = (
        pl.Series("count_errors", errors, dtype=pl.String)
        if helper_type == "text"
        else pl.Series("count_errors", [None if e is None else 1 for e in errors], pl.Int64)
    )
    rows = rows.with_columns(helper)
    rows = rows.with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(None)
        .otherwise(pl.col("resolved_total"))
        .alias("resolved_total")
    )
    con = duckdb.connect()
    checker = FileChecker(con, load_contract("portal_report"))
    checker.start_file()
    checker.add_batch(rows.to_arrow())
    checker.finish()

    failures = con.execute(
        "select row_number, rule, message, original_values->>'agency_name' from _failures "
        "order by row_number, rule"
    ).fetchall()
    second = rows["row_number"][1]
    agency = rows["agency_name"][1]
    assert failures == [
        (second, "counts_are_whole_numbers",
         "Every count cell holds a whole number (Vietnamese 88.424 or plain 88424).", agency),
        (second, "resolved_total_required", "resolved_total is empty", agency),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("có", True), ("Có", True), (" CÓ ", True), ("co", True), ("Đúng", True), ("dung", True),
        ("x", True), ("X", True), ("1", True), ("yes", True), ("Y", True), ("TRUE", True),
        ("t", True), ("không", False), ("KHÔNG", False), ("khong", False), ("Sai", False),
        ("0", False), ("no", False), ("N", False), ("False", False), ("f", False),
        ("\u00a0có\u00a0", True), ("", None), ("  ", None), (None, None), ("maybe", None),
        ("2", None), ("có không", None), ("yes!", None),
    ],
)  # fmt: skip
def test_a_boolean_cell_reads_as_the_word_it_is(cell: str | None, expected: bool | None) -> None:
    """The words spreadsheets use for yes and no, in any case and padding; anything else is
    unreadable (None), which the column's type rule then quarantines."""
    con = duckdb.connect()
    con.execute(MACROS)
    (value,) = con.execute("select cchc_boolean(?::varchar)", [cell]).fetchone()  # type: ignore[misc]
    assert value is expected
