"""The sample generator's `--dirty` faults (its manifest lists each with the rule that must catch
it): each is rejected or quarantined exactly as listed, and everything else in the run loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs.ingestion import landing_specs, raw_key, raw_sources
from pipelines.defs.resources import WarehouseResource
from pipelines.lib.ingest import ingest_source
from pipelines.settings import SOURCES

# The manifest names a fault's rule; where the contract is finer-grained the rules it maps to.
CONTRACT_RULES = {
    "row_identity": {"received_identity", "balance_identity"},
    "non_negative_counts": {"counts_non_negative"},
}
FILE_LEVEL = {
    "header_unmappable",
    "unknown_province",
    "single_sheet",
    "utf8_encoding",
    "non_empty_file",
}


@pytest.fixture(scope="module")
def dirty_landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("dirty") / "landing"
    subprocess.run(
        [sys.executable, "-m", "pipelines.sample_data", "--out", str(landing), "--quiet",
         "--provinces", "1", "--dossiers", "600", "--start", "2024-01", "--end", "2024-02",
         "--dirty"],
        check=True,
    )  # fmt: skip
    return landing, json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def loaded(dirty_landing, tmp_path_factory) -> duckdb.DuckDBPyConnection:
    landing, _ = dirty_landing
    con = duckdb.connect(str(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"))
    for source in SOURCES:
        ingest_source(con, source, landing / source, load_id="dirty-run")
    return con


def _faults(manifest: dict) -> list[dict]:
    return manifest["dirty_faults"]


def test_the_manifest_lists_the_nine_faults(dirty_landing) -> None:
    _, manifest = dirty_landing
    assert [f["id"] for f in _faults(manifest)] == [f"F{n}" for n in range(1, 10)]


@pytest.mark.parametrize("fault_id", [f"F{n}" for n in range(1, 10)])
def test_each_dirty_fault_is_caught_by_its_rule(dirty_landing, loaded, fault_id: str) -> None:
    _, manifest = dirty_landing
    fault = next(f for f in _faults(manifest) if f["id"] == fault_id)
    source, file_name = fault["file"].split("/")
    expected_rules = CONTRACT_RULES.get(fault["rule"], {fault["rule"]})
    ((outcome, message, rows_in, rows_loaded, held),) = loaded.execute(
        "select outcome, message, rows_in, rows_loaded, rows_quarantined from audit.loads "
        "where source = ? and file_name = ?",
        [source, file_name],
    ).fetchall()
    quarantined = loaded.execute(
        "select row_number, rule, message from audit.quarantine "
        "where source = ? and file_name = ? order by row_number, rule",
        [source, file_name],
    ).fetchall()
    if fault["rule"] in FILE_LEVEL:
        assert outcome == "rejected"
        assert message.startswith(f"[{fault['rule']}] ") and file_name in message
        assert (rows_in, rows_loaded, held, quarantined) == (0, 0, 0, [])
        return
    assert outcome == "loaded_with_quarantine"
    assert {rule for _, rule, _ in quarantined} == expected_rules
    lines = fault["location"].get("lines") or [fault["location"].get("line")]
    if lines != [None]:
        assert sorted({n for n, _, _ in quarantined}) == lines
    assert all(m.startswith(f"{file_name} row ") for _, _, m in quarantined)
    assert rows_in == rows_loaded + held and held == len({n for n, _, _ in quarantined})
    assert rows_loaded > 0  # the file's other rows still loaded


def test_everything_else_in_the_run_loaded(dirty_landing, loaded) -> None:
    landing, manifest = dirty_landing
    dirty = {f["file"] for f in _faults(manifest)}
    expected = {
        entry["path"]: entry["rows"]
        for entry in manifest["files"]
        if entry["path"] not in dirty and entry["source"] != "portal_report"
    }
    loads = loaded.execute(
        "select source || '/' || file_name, outcome, rows_in, rows_loaded from audit.loads"
    ).fetchall()
    clean = [row for row in loads if row[0] not in dirty]
    landed = sum(1 for s in SOURCES for p in (landing / s).iterdir()) - len(dirty)
    assert len(clean) == landed
    assert {outcome for _, outcome, _, _ in clean} == {"loaded"}
    assert {path: rows_in for path, _, rows_in, _ in clean if path in expected} == expected
    assert all(rows_in == rows_loaded for _, _, rows_in, rows_loaded in clean)


def test_the_dagster_contract_checks_name_rule_file_and_rows(dirty_landing, tmp_path) -> None:
    landing, manifest = dirty_landing
    data = tmp_path / "data"
    for source in ("portal_report", "dossiers"):
        (data / "landing" / source).mkdir(parents=True)
        for path in (landing / source).iterdir():
            if "2023-12" in path.name:  # the dirty month only, to keep the run small
                (data / "landing" / source / path.name).write_bytes(path.read_bytes())
    result = dg.materialize(
        [*landing_specs, raw_sources],
        selection=[raw_key("portal_report"), raw_key("dossiers")],
        resources={"warehouse": WarehouseResource(data_dir=str(data))},
    )

    assert result.success
    checks = {
        e.asset_check_evaluation_data.asset_key.path[1]: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert set(checks) == {"portal_report", "dossiers"}
    for source, check in checks.items():
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        failures = check.metadata["failures"].value
        rules = set(check.metadata["failing_rules"].value)
        for fault in _faults(manifest):
            if fault["source"] != source:
                continue
            assert rules & CONTRACT_RULES.get(fault["rule"], {fault["rule"]})
            assert fault["file"].split("/")[1] in failures
    assert (
        "17_hoa_binh_2023-12_2023-12_v2.csv: rule **unique_dossier_id** — 2 row(s): rows 2, 3"
        in (checks["dossiers"].metadata["failures"].value)
    )
