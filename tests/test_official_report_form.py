"""Reports as provinces print them: the official form Biểu 06/VPCP/KSTT, field sections with
subtotals, and the footer under every real report, on hand-written files with hand-computed
counts (tests/official_form_files.py), through the parser, the loader and a real pipeline run."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.lib.ingest import ingest_source
from pipelines.lib.portal_report import COUNT_COLUMNS, ReportFormatError, parse_report
from pipelines.settings import DataPaths
from tests.conftest import query_serving, run_pipeline_job
from tests.official_form_files import (
    FIELD_GROUPED_LEVELS,
    PHU_THO_AGENCY_COUNTS,
    PHU_THO_LEVEL_COUNTS,
    field_grouped_rows,
    write_official_form,
    write_quarterly_with_signatures,
)
from tests.report_files import HOA_BINH_TOTALS, hoa_binh_q1_2023_rows, write_csv, write_xlsx


def _load(landing: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ingest_source(con, "portal_report", landing, load_id="run")
    return con


def _level_sums(rows: pl.DataFrame, columns: list[str]) -> dict[str, dict[str, int]]:
    sums = rows.group_by("level").agg(pl.col(c).sum() for c in columns)
    out = {row.pop("level"): row for row in sums.to_dicts()}
    out["all"] = rows.select(pl.col(c).sum() for c in columns).to_dicts()[0]
    return out


def test_the_official_form_with_its_footer_gives_the_hand_computed_counts(tmp_path: Path) -> None:
    report = parse_report(write_official_form(tmp_path / "bieu06_phu_tho_2026-09.xlsx"))
    assert (report.province_code, report.province_name) == ("25", "Tỉnh Phú Thọ")
    # The period is the 'Kỳ báo cáo' line, not the circular's date in the corner cell.
    assert (report.period.grain, report.period.start, report.period.end) == (
        "month",
        date(2026, 9, 1),
        date(2026, 9, 30),
    )
    assert report.header_row_numbers == (5, 6, 7)
    # Four agency rows: the section rows' subtotals, the total row and the footer are not rows.
    by_agency = {row["agency_name"]: row for row in report.rows.to_dicts()}
    assert list(by_agency) == list(PHU_THO_AGENCY_COUNTS)
    for agency, expected in PHU_THO_AGENCY_COUNTS.items():
        assert {c: by_agency[agency][c] for c in COUNT_COLUMNS} == expected, agency
    assert report.rows["level"].to_list() == ["province", "province", "commune", "commune"]
    assert report.rows["section"].to_list() == ["Cấp tỉnh", "Cấp tỉnh", "Cấp xã", "Cấp xã"]
    assert report.rows["row_number"].to_list() == [10, 11, 14, 15]
    columns = list(PHU_THO_LEVEL_COUNTS["all"])
    assert _level_sums(report.rows, columns) == PHU_THO_LEVEL_COUNTS
    assert report.total_row is not None
    assert {c: report.total_row[c] for c in columns} == PHU_THO_LEVEL_COUNTS["all"]
    assert report.warnings == []  # the section subtotals agree with their rows


def test_the_official_form_loads_plainly_loaded_nothing_quarantined(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_official_form(landing / "bieu06_phu_tho_2026-09.xlsx")
    con = _load(landing, tmp_path)
    assert con.execute(
        "select outcome, rows_in, rows_loaded, rows_quarantined, province_code, message "
        "from audit.loads"
    ).fetchall() == [("loaded", 4, 4, 0, "25", None)]
    assert con.execute("select count(*) from audit.quarantine").fetchone() == (0,)
    loaded = con.execute(
        "select level, sum(received_total), sum(resolved_late), sum(in_progress_overdue) "
        "from raw.portal_report group by level order by level"
    ).fetchall()
    assert loaded == [
        ("commune", 310, 3, 2),
        ("province", 270, 11, 6),
    ]


def test_a_quarterly_report_with_a_signature_block_loads_plainly(tmp_path: Path) -> None:
    """The block under the table ('Người lập biểu', '(Ký, ghi rõ họ tên)', names, a title in a
    count column) ends the table: not loaded, not quarantined, no warning."""
    landing = tmp_path / "landing"
    write_quarterly_with_signatures(landing / "hoa_binh_2023-q1.xlsx", hoa_binh_q1_2023_rows())
    write_csv(
        landing / "hoa_binh_2023-q1_signed.csv",
        [
            *hoa_binh_q1_2023_rows(),
            ["", "Hòa Bình, ngày 05 tháng 4 năm 2023"],
            ["", "NGƯỜI LẬP BIỂU", "", "", "", "", "", "", "", "", "THỦ TRƯỞNG ĐƠN VỊ"],
            ["", "(Ký, ghi rõ họ tên)"],
            ["", "Lê Văn Nam"],
        ],
    )
    con = _load(landing, tmp_path)
    assert con.execute(
        "select file_name, outcome, rows_in, rows_loaded, rows_quarantined, message "
        "from audit.loads order by file_name"
    ).fetchall() == [
        ("hoa_binh_2023-q1.xlsx", "loaded", 4, 4, 0, None),
        ("hoa_binh_2023-q1_signed.csv", "loaded", 4, 4, 0, None),
    ]
    assert con.execute("select count(*) from audit.quarantine").fetchone() == (0,)
    sums = con.execute(
        "select "
        + ", ".join(f"sum({c})::bigint" for c in HOA_BINH_TOTALS)
        + " from raw.portal_report where source_file = 'hoa_binh_2023-q1.xlsx'"
    ).fetchone()
    assert dict(zip(HOA_BINH_TOTALS, sums, strict=True)) == HOA_BINH_TOTALS


def test_field_sections_with_subtotals_are_not_counted_twice(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "theo_linh_vuc.xlsx", field_grouped_rows(), merge_header=False)
    report = parse_report(path)
    assert report.rows["agency_name"].to_list() == [
        "Sở Tư pháp",
        "UBND xã Hợp Thịnh",
        "Sở Tài nguyên và Môi trường",
        "UBND huyện Lạc Sơn",
        "3. Lĩnh vực Y tế",  # a field row with figures and nothing under it: data itself
    ]
    assert report.rows["section"].to_list() == [
        "1. Lĩnh vực Hộ tịch, chứng thực",
        "1. Lĩnh vực Hộ tịch, chứng thực",
        "2. Lĩnh vực Đất đai",
        "2. Lĩnh vực Đất đai",
        None,
    ]
    columns = ["received_total", "resolved_total", "resolved_late", "in_progress_overdue"]
    by_level = report.rows.group_by("level").agg(
        *(pl.col(c).sum() for c in columns), pl.len().alias("rows")
    )
    assert {r.pop("level"): tuple(r.values()) for r in by_level.to_dicts()} == FIELD_GROUPED_LEVELS
    assert report.total_row is not None
    assert report.total_row["received_total"] == int(report.rows["received_total"].sum()) == 225
    assert report.warnings == []
    landing = tmp_path / "landing"
    write_csv(landing / "theo_linh_vuc.csv", field_grouped_rows())
    con = _load(landing, tmp_path)
    assert con.execute(
        "select outcome, rows_loaded, rows_quarantined, message from audit.loads"
    ).fetchall() == [("loaded", 5, 0, None)]


def test_a_wrong_section_subtotal_is_named_and_never_loaded(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sai_cong.csv", field_grouped_rows(subtotal_error=7))
    report = parse_report(path)
    assert int(report.rows["received_total"].sum()) == 225  # the subtotal is not a row
    (finding,) = report.warnings
    assert finding.startswith("row 6 ('1. Lĩnh vực Hộ tịch, chứng thực'): subtotal differs")
    assert "received_total (92 vs 85)" in finding


def _four_header_rows(extra: list[str] | None = None) -> list[list[str]]:
    """The official form saved as CSV from Excel (merged cells blank), its intake split over one
    more header row ('Số mới tiếp nhận' over 'Trực tuyến' / 'Trực tiếp, dịch vụ bưu chính'),
    level sections without figures, a signature block; ``extra`` columns at the right."""
    extra = extra or []
    blank = [""] * len(extra)
    return [
        ["UBND TỈNH NINH BÌNH", "", "", "", "", "", "", "", "", "", "", "Biểu số 06/VPCP/KSTT"],
        ["TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"],
        ["Kỳ báo cáo: Quý III/2026 (Từ ngày 01/07/2026 đến ngày 30/09/2026)"],
        ["STT", "Lĩnh vực, công việc giải quyết theo cấp", "Số hồ sơ nhận giải quyết", "", "",
         "", "Kết quả giải quyết", "", "", "", "", "", "", *extra],
        ["", "", "Tổng số", "Trong đó", "", "", "Số hồ sơ đã giải quyết", "", "", "",
         "Số hồ sơ đang giải quyết", "", "", *blank],
        ["", "", "", "Số mới tiếp nhận", "", "Từ kỳ trước", "Tổng số", "Trước hạn", "Đúng hạn",
         "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn", *blank],
        ["", "", "", "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "", "", "", "", "", "", "",
         "", *blank],
        [f"({n})" for n in range(1, 14 + len(extra))],
        ["I", "Cấp tỉnh"],
        ["1", "Sở Tư pháp", "10", "5", "3", "2", "8", "4", "3", "1", "2", "2", "0", *blank],
        ["III", "Cấp xã"],
        ["1", "UBND xã Gia Viễn", "6", "4", "1", "1", "5", "5", "0", "0", "1", "0", "1", *blank],
        ["", "Ninh Bình, ngày 05 tháng 10 năm 2026"],
        ["", "NGƯỜI LẬP BIỂU", "", "", "", "", "", "", "", "", "THỦ TRƯỞNG ĐƠN VỊ"],
    ]  # fmt: skip


def test_the_official_form_with_four_header_rows_in_csv(tmp_path: Path) -> None:
    report = parse_report(write_csv(tmp_path / "nb.csv", _four_header_rows()))
    assert (report.province_code, report.period.grain) == ("37", "quarter")
    assert report.header_row_numbers == (4, 5, 6, 7)
    columns = ["agency_name", "level", "received_total", "carried_over", "received_online"]
    columns += ["received_direct_postal", "resolved_total", "in_progress_overdue"]
    assert report.rows.select(columns).rows() == [
        ("Sở Tư pháp", "province", 10, 2, 5, 3, 8, 0),
        ("UBND xã Gia Viễn", "commune", 6, 1, 4, 1, 5, 1),
    ]


def test_extra_columns_known_by_name_are_ignored_an_unknown_one_refuses(tmp_path: Path) -> None:
    known = ["Ghi chú", "Tỷ lệ giải quyết đúng hạn (%)", "Số thư xin lỗi"]
    report = parse_report(write_csv(tmp_path / "extra.csv", _four_header_rows(known)))
    assert report.ignored_columns == known
    assert report.rows.height == 2
    with pytest.raises(ReportFormatError, match=r"unrecognised header\(s\) 'Cột lạ'"):
        parse_report(write_csv(tmp_path / "unknown.csv", _four_header_rows(["Cột lạ"])))


def _kpi(paths: DataPaths, where: str) -> list[tuple]:
    return query_serving(
        paths,
        "select coalesce(agency_code, level), kpi_code, numerator, denominator from marts.fct_kpi "
        "where province_code = '25' and period_grain = 'month' and unit_basis = 'reported' "
        "and period_start = date '2026-09-01' and procedure_field is null "
        "and kpi_code in ('on_time_rate', 'overdue_open_rate', 'online_dossier_rate') "
        f"and {where} order by 1, 2",
    )


def _expected_kpis(counts: dict[str, int]) -> dict[str, tuple[int, int]]:
    """KPIS.md's definitions, by hand."""
    return {
        "on_time_rate": (
            counts["resolved_early"] + counts["resolved_on_time"],
            counts["resolved_total"],
        ),
        "overdue_open_rate": (counts["in_progress_overdue"], counts["in_progress_total"]),
        "online_dossier_rate": (
            counts["received_online"],
            counts["received_online"] + counts["received_direct_postal"],
        ),
    }


def test_the_official_form_reaches_the_marts_with_the_hand_computed_counts(
    data_dir: DataPaths,
) -> None:
    write_official_form(data_dir.landing_for("portal_report") / "bieu06_phu_tho_2026-09.xlsx")
    assert run_pipeline_job().success
    assert query_serving(
        data_dir, "select outcome, rows_loaded, rows_quarantined, message from audit.loads"
    ) == [("loaded", 4, 0, None)]
    assert query_serving(data_dir, "select count(*) from audit.quarantine") == [(0,)]
    # Agency grain: the flow mart's report rows, one per agency, as on the sheet.
    flow = query_serving(
        data_dir,
        f"select agency_name, {', '.join(COUNT_COLUMNS)} from marts.fct_dossier_flow "
        "where count_source = 'portal_report' and province_code = '25' order by agency_name",
    )
    assert {row[0]: dict(zip(COUNT_COLUMNS, row[1:], strict=True)) for row in flow} == (
        PHU_THO_AGENCY_COUNTS
    )
    agency_codes = dict(
        query_serving(
            data_dir,
            "select agency_name, agency_code from marts.fct_dossier_flow "
            "where count_source = 'portal_report'",
        )
    )
    by_agency = _kpi(data_dir, "agency_code is not null")
    expected_agency = sorted(
        (agency_codes[name], kpi, *value)
        for name, counts in PHU_THO_AGENCY_COUNTS.items()
        for kpi, value in _expected_kpis(counts).items()
    )
    assert by_agency == expected_agency
    # Level and province grain: the subtotal rows of the sheet are not counted again.
    rollups = _kpi(data_dir, "agency_code is null")
    assert rollups == sorted(
        (level, kpi, *value)
        for level, counts in PHU_THO_LEVEL_COUNTS.items()
        for kpi, value in _expected_kpis(counts).items()
    )


# --- the generator's prints of the same figures ---------------------------------------------------

VARIANT_LAYOUTS = {"bieu06_official_form", "grouped_by_field_subtotals"}
DOSSIER_TO_CONTRACT = {
    "carried": "carried_over", "online": "received_online",
    "direct_postal": "received_direct_postal", "early": "resolved_early",
    "on_time": "resolved_on_time", "late": "resolved_late",
    "within_due": "in_progress_within_due", "overdue": "in_progress_overdue",
    "returned_withdrawn": "returned_withdrawn",
}  # fmt: skip
_LEVEL_BY_NAME = (
    ("district", r"^UBND (huyện|thị xã|thành phố|quận) "),
    ("commune", r"^UBND (xã|phường|thị trấn|đặc khu) "),
)


def _level_of(name: pl.Expr) -> pl.Expr:
    """The agency's level from its name (departments and boards are province level)."""
    level = pl.lit("province")
    for value, pattern in reversed(_LEVEL_BY_NAME):
        level = pl.when(name.str.contains(pattern)).then(pl.lit(value)).otherwise(level)
    return level


def test_generated_official_and_field_reports_load_plainly_with_the_right_level_counts(
    tmp_path: Path,
) -> None:
    """The generator's official form (with its footer) and its field-grouped report load as
    plainly `loaded`, and their rows per level equal the dossier records counted in polars
    (plus the manifest's documented report-minus-dossier differences)."""
    from pipelines.sample_data.generate import GeneratorConfig, generate
    from tests.test_sample_data import clean_files, dossier_counts, layout_of, load_dossiers

    sample = tmp_path / "sample"
    generate(
        GeneratorConfig(
            out=sample, seed=7, start=(2025, 5), end=(2025, 6), dossiers=3_000, provinces="2"
        ),
        report_workers=0,
    )
    manifest = json.loads((sample / "_manifest.json").read_text(encoding="utf-8"))
    files = [
        f for f in clean_files(manifest, "portal_report") if layout_of(f).name in VARIANT_LAYOUTS
    ]
    assert {layout_of(f).name for f in files} == VARIANT_LAYOUTS
    landing = tmp_path / "landing"
    landing.mkdir()
    for file in files:
        shutil.copy(sample / file["path"], landing / Path(file["path"]).name)
    con = _load(landing, tmp_path)
    outcomes = con.execute(
        "select outcome, rows_quarantined, message is null from audit.loads"
    ).fetchall()
    assert outcomes == [("loaded", 0, True)] * len(files)
    assert con.execute("select count(*) from audit.quarantine").fetchone() == (0,)

    dossiers = load_dossiers(sample, manifest)
    count_columns = list(DOSSIER_TO_CONTRACT.values())
    for file in files:
        start = date.fromisoformat(file["first_month"] + "-01")
        end = con.execute(
            "select period_end from audit.loads where file_name = ?", [Path(file["path"]).name]
        ).fetchone()[0]
        scope = dossiers.filter(
            (pl.col("province_code") == file["province_code"]) & (pl.col("era") == file["era"])
        )
        expected = (
            dossier_counts(scope, start, end)
            .rename(DOSSIER_TO_CONTRACT)
            .with_columns(level=_level_of(pl.col("agency_name")))
            .group_by("level")
            .agg(pl.col(c).sum().cast(pl.Int64) for c in count_columns)
        )
        by_level = {row.pop("level"): row for row in expected.to_dicts()}
        for mismatch in manifest["deliberate_mismatches"]:
            if mismatch["report_file"] == file["path"] and mismatch["present"]:
                level = by_level[mismatch["agency_level"]]
                for column, delta in mismatch["report_minus_dossiers"].items():
                    if column in level:
                        level[column] += delta
        loaded = {
            level: dict(zip(count_columns, values, strict=True))
            for level, *values in con.execute(
                "select level, "
                + ", ".join(f"sum({c})::bigint" for c in count_columns)
                + " from raw.portal_report where source_file = ? group by level",
                [Path(file["path"]).name],
            ).fetchall()
        }
        for level in loaded.keys() - by_level.keys():  # a level without any dossier
            by_level[level] = dict.fromkeys(count_columns, 0)
        assert loaded == by_level, file["path"]


def test_the_variant_prints_carry_the_same_figures_as_their_base_layouts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same run with the variants switched off: every non-report file is byte-identical and
    every report the variants re-laid out parses to the same agency rows and total."""
    from pipelines.sample_data import generate as generate_module
    from pipelines.sample_data.generate import GeneratorConfig, generate
    from pipelines.sample_data.portal_report import LAYOUTS

    arguments = dict(seed=7, start=(2025, 6), end=(2025, 7), dossiers=3_000, provinces="2")
    generate(GeneratorConfig(out=tmp_path / "variants", **arguments), report_workers=0)
    monkeypatch.setattr(
        generate_module, "layout_for", lambda position: LAYOUTS[position % len(LAYOUTS)]
    )
    generate(GeneratorConfig(out=tmp_path / "bases", **arguments), report_workers=0)

    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and p.name != "_manifest.json"
        }

    variants, bases = tree(tmp_path / "variants"), tree(tmp_path / "bases")
    assert variants.keys() == bases.keys()
    relaid = [name for name in variants if variants[name] != bases[name]]
    assert relaid and all(name.startswith("portal_report/") for name in relaid)
    for name in relaid:
        ours, theirs = (parse_report(tmp_path / run / name) for run in ("variants", "bases"))
        assert ours.warnings == []
        assert ours.total_row == theirs.total_row
        key = ["agency_name", "level", *COUNT_COLUMNS]
        assert (
            ours.rows.select(key)
            .sort("agency_name")
            .equals(theirs.rows.select(key).sort("agency_name"))
        ), name
