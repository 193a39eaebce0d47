"""The dirty corpus through one real pipeline run: a clear error for each, and no row lost.

One data folder holds a small clean month from the generator, the generator's ``--dirty`` faults
(F1-F9) and every case of ``dirty_corpus.CORPUS``; one `make pipeline` run loads it. Then, from
the serving DB's audit tables (docs/marts.md) and the warehouse's raw tables:
- each bad input is rejected whole or has exactly its bad rows quarantined, and its message names
  the file, the place (header rows / row number) and the rule;
- every landed file of an ingested source has its audit row, and for every file
  ``rows_in = rows_loaded + rows_quarantined`` and the raw tables hold exactly the loaded rows;
- the landing folder is byte-for-byte untouched, and the clean data still publishes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.conftest import CorpusRun, landing_digests, query_db
from tests.reliability.dirty_corpus import CORPUS, BadInput

pytestmark = pytest.mark.reliability


def test_the_run_with_every_bad_input_completes(corpus_run: CorpusRun) -> None:
    assert corpus_run.returncode == 0, corpus_run.output[-4000:]
    assert corpus_run.serving.exists()


def _check_message(case: BadInput, message: str) -> None:
    assert case.file_name in message, f"{case.id}: the message does not name the file: {message}"
    assert any(rule in message for rule in case.rules), (
        f"{case.id}: the message names none of the rules {case.rules}: {message}"
    )
    for word in case.mentions:
        assert word.lower() in message.lower(), f"{case.id}: {word!r} not in: {message}"


@pytest.mark.parametrize("case", CORPUS, ids=[f"{c.id}-{c.fault}" for c in CORPUS])
def test_a_bad_input_gives_a_clear_error_and_loses_no_row(
    corpus_run: CorpusRun, case: BadInput
) -> None:
    load = corpus_run.loads.get((case.source, case.file_name))
    assert load is not None, f"{case.id}: {case.file_name} has no row in audit.loads"
    if case.expect == "reject":
        assert load["outcome"] == "rejected", load
        assert load["rows_loaded"] == 0
        _check_message(case, load["message"] or "")
        return
    assert load["outcome"] == "loaded_with_quarantine", load
    assert load["rows_in"] == case.data_rows, load
    assert load["rows_loaded"] + load["rows_quarantined"] == load["rows_in"], load
    assert load["rows_quarantined"] == case.bad_rows, load
    held = [q for q in corpus_run.quarantine if q["file_name"] == case.file_name]
    assert len({q["row_number"] for q in held}) == case.bad_rows
    for q in held:
        assert q["original_values"], q
        assert f"row {q['row_number']}" in q["message"], q
        assert case.file_name in q["message"], q
    rules = {q["rule"] for q in held}
    assert any(expected in rule for rule in rules for expected in case.rules), (case.rules, rules)


GENERATOR_FAULTS = [f"F{n}" for n in range(1, 10)]


@pytest.mark.parametrize("fault_id", GENERATOR_FAULTS)
def test_a_generator_fault_is_refused_with_a_message(corpus_run: CorpusRun, fault_id: str) -> None:
    faults = {f["id"]: f for f in corpus_run.manifest.get("dirty_faults", [])}
    assert fault_id in faults, f"the generator wrote no fault {fault_id}"
    fault = faults[fault_id]
    source, name = fault["file"].split("/", 1)
    load = corpus_run.loads.get((source, name))
    assert load is not None, f"{fault['file']} has no row in audit.loads"
    assert load["outcome"] in {"rejected", "loaded_with_quarantine"}, (fault, load)
    assert load["message"], load
    if load["outcome"] == "rejected":
        assert name in load["message"], load
    else:
        held = [q for q in corpus_run.quarantine if q["file_name"] == name]
        assert held and all(name in q["message"] for q in held), held
        assert load["rows_loaded"] + load["rows_quarantined"] == load["rows_in"], load


def test_every_landed_file_is_accounted_for_and_no_row_is_lost(corpus_run: CorpusRun) -> None:
    ingested = {source for source, _ in corpus_run.loads}
    landed = {
        tuple(relative.split("/", 1))
        for relative in corpus_run.landed_before
        if "/" in relative and not Path(relative).name.startswith(("_", "."))
    }
    missing = sorted(f for f in landed if f[0] in ingested and f not in corpus_run.loads)
    assert missing == [], f"landed files with no audit row: {missing}"
    for load in corpus_run.loads.values():
        if load["outcome"] in {"rejected", "duplicate"}:
            assert load["rows_loaded"] == 0, load
            continue
        assert load["rows_loaded"] + load["rows_quarantined"] == load["rows_in"], load
    if not corpus_run.warehouse.exists():
        pytest.fail("no warehouse")
    for source in ingested:
        loaded = sum(r["rows_loaded"] for (s, _), r in corpus_run.loads.items() if s == source)
        ((in_raw,),) = query_db(corpus_run.warehouse, f"select count(*) from raw.{source}")
        assert in_raw == loaded, f"raw.{source} holds {in_raw} rows, audit says {loaded}"
    quarantined = sum(r["rows_quarantined"] for r in corpus_run.loads.values())
    distinct_held = {(q["source"], q["file_name"], q["row_number"]) for q in corpus_run.quarantine}
    assert len(distinct_held) == quarantined


def test_the_landing_folder_is_untouched(corpus_run: CorpusRun) -> None:
    assert landing_digests(corpus_run.landing) == corpus_run.landed_before


def test_the_clean_data_still_publishes(corpus_run: CorpusRun) -> None:
    assert corpus_run.serving.exists(), corpus_run.output[-2000:]
    rows = query_db(
        corpus_run.serving,
        "select numerator, denominator from marts.fct_kpi where kpi_code = 'online_dossier_rate' "
        "and province_code = '17' and level = 'all' and period_grain = 'quarter' "
        "and period_start = date '2023-01-01' and agency_code is null",
    )
    assert (72_901, 77_354) in rows, rows
