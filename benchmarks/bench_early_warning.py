"""Early warning, measured: recall and precision of marts.fct_anomalies against the anomalies the
generator injected (and its deliberate report mismatches), and the year-end forecast's back-test
error (marts.fct_forecast_backtest).

    python -m benchmarks.bench_early_warning [--landing data/landing]
        [--db data/warehouse/serving.duckdb] [--json benchmarks/out/early_warning.json]

Run it after `make sample && make pipeline` (the default sample injects 8 anomalies, see
docs/sample_data.md). A province-month is *known* when the manifest lists an injected anomaly or
a deliberate mismatch there; it is *flagged* when fct_anomalies has a flag of at least the given
severity for the province (any agency) that month. restructuring_jump flags are about the
1 July 2025 event itself, not a submission, and are counted apart (they are neither hits nor
false alarms). recall = known and flagged / known; precision = known and flagged / flagged.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from pipelines.settings import data_paths

SEVERITIES = {"low": ("low", "medium", "high"), "medium": ("medium", "high"), "high": ("high",)}
EVENT_RULES = ("restructuring_jump",)


@dataclass(frozen=True)
class FlagScore:
    min_severity: str
    known: int
    flagged: int
    hits: int
    recall: float
    precision: float
    missed: list[str]
    false_alarms: list[str]


def known_province_months(manifest: dict) -> set[tuple[str, str, str]]:
    """(province_code, era, first day of month) of every injected anomaly and mismatch."""
    known = {
        (a["province_code"], a["era"], a["period_start"])
        for a in manifest.get("injected_anomalies", [])
    }
    known |= {
        (m["province_code"], m["era"], m["period_start"])
        for m in manifest.get("deliberate_mismatches", [])
        if m.get("present")
    }
    return known


def flagged_province_months(
    con: duckdb.DuckDBPyConnection, severities: tuple[str, ...]
) -> set[tuple[str, str, str]]:
    rows = con.execute(
        "select distinct province_code, era, month_start::varchar from marts.fct_anomalies "
        "where list_contains(?, severity) and not list_contains(?, rule)",
        [list(severities), list(EVENT_RULES)],
    ).fetchall()
    return {(p, e, m) for p, e, m in rows}


def score_flags(con: duckdb.DuckDBPyConnection, manifest: dict) -> list[FlagScore]:
    known = known_province_months(manifest)
    scores = []
    for name, severities in SEVERITIES.items():
        flagged = flagged_province_months(con, severities)
        hits = known & flagged
        scores.append(
            FlagScore(
                min_severity=name,
                known=len(known),
                flagged=len(flagged),
                hits=len(hits),
                recall=len(hits) / len(known) if known else 0.0,
                precision=len(hits) / len(flagged) if flagged else 0.0,
                missed=sorted("/".join(k) for k in known - flagged),
                false_alarms=sorted("/".join(f) for f in flagged - known),
            )
        )
    return scores


def flags_by_rule(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    return con.execute(
        "select rule, severity, count(*) from marts.fct_anomalies group by all order by 1, 2"
    ).fetchall()


def expected_rule_recall(con: duckdb.DuckDBPyConnection, manifest: dict) -> dict[str, str]:
    """For each injected anomaly: did the rule meant to catch it fire there?"""
    result = {}
    for anomaly in manifest.get("injected_anomalies", []):
        (count,) = con.execute(
            "select count(*) from marts.fct_anomalies where province_code = ? and era = ? "
            "and month_start = ?::date and rule = ?",
            [
                anomaly["province_code"],
                anomaly["era"],
                anomaly["period_start"],
                anomaly["expected_rule"],
            ],
        ).fetchone()  # type: ignore[misc]
        result[f"{anomaly['id']} {anomaly['kind']}"] = "found" if count else "MISSED"
    return result


def backtest_errors(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, object]]]:
    """Mean absolute error (percentage points) and interval coverage, by cutoff month and by
    method case, over the provinces (current basis) and over every unit."""
    by_cutoff = con.execute(
        """
        select cutoff_month, count(*) as forecasts,
               round(avg(abs_error_pp), 2) as mae_pp,
               round(quantile_cont(abs_error_pp, 0.9), 2) as p90_pp,
               round(avg(within_interval::int) filter (where within_interval is not null), 3)
                   as coverage
        from marts.fct_forecast_backtest
        where unit_basis = 'current'
        group by all order by cutoff_month
        """
    ).df()
    by_case = con.execute(
        """
        select method_case, forecast_year, count(*) as forecasts,
               round(avg(abs_error_pp), 2) as mae_pp,
               round(quantile_cont(abs_error_pp, 0.9), 2) as p90_pp,
               round(avg(within_interval::int) filter (where within_interval is not null), 3)
                   as coverage
        from marts.fct_forecast_backtest
        group by all order by method_case, forecast_year
        """
    ).df()
    by_kpi = con.execute(
        """
        select kpi_code, count(*) as forecasts, round(avg(abs_error_pp), 2) as mae_pp,
               round(avg(within_interval::int) filter (where within_interval is not null), 3)
                   as coverage
        from marts.fct_forecast_backtest
        where unit_basis = 'current'
        group by all order by mae_pp desc
        """
    ).df()
    return {
        "by_cutoff_month": by_cutoff.to_dict("records"),
        "by_method_case": by_case.to_dict("records"),
        "by_kpi": by_kpi.to_dict("records"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    paths = data_paths()
    parser.add_argument("--landing", type=Path, default=paths.landing)
    parser.add_argument("--db", type=Path, default=paths.serving_db)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    manifest = json.loads((args.landing / "_manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(args.db), read_only=True) as con:
        scores = score_flags(con, manifest)
        rules = flags_by_rule(con)
        expected = expected_rule_recall(con, manifest)
        backtest = backtest_errors(con)
    print(f"known anomalous province-months: {scores[0].known}")
    print("| min severity | flagged | hits | recall | precision |")
    print("|---|---|---|---|---|")
    for s in scores:
        print(f"| {s.min_severity} | {s.flagged} | {s.hits} | {s.recall:.3f} | {s.precision:.3f} |")
    for s in scores:
        if s.missed or s.false_alarms:
            print(f"{s.min_severity}: missed {s.missed}; false alarms {s.false_alarms[:20]}")
    print("injected anomaly -> its expected rule:", expected)
    print("flags by rule and severity:", rules)
    print("back-test (current basis, provinces) by cutoff month:")
    for row in backtest["by_cutoff_month"]:
        print("  ", row)
    print("back-test by method case and year (every unit):")
    for row in backtest["by_method_case"]:
        print("  ", row)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "flags": [asdict(s) for s in scores],
                    "by_rule": rules,
                    "expected_rule": expected,
                    "backtest": backtest,
                },
                indent=2,
                default=str,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
