"""Command line: `python -m pipelines.sample_data --out DIR [--seed 7] [--start 2024-01]
[--end 2026-10] [--dossiers N] [--provinces N_or_codes] [--dirty] [--anomalies N]`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipelines.sample_data.anomalies import DEFAULT_ANOMALIES
from pipelines.sample_data.generate import DEFAULT_DOSSIERS, GeneratorConfig, generate


def parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from error
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}")
    return year, month


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.sample_data",
        description="Write deterministic sample source files into DIR/<source>/.",
    )
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write into")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=parse_month, default=(2024, 1), help="first month YYYY-MM")
    parser.add_argument("--end", type=parse_month, default=(2026, 10), help="last month YYYY-MM")
    parser.add_argument(
        "--dossiers",
        type=lambda s: int(s.replace("_", "")),
        default=DEFAULT_DOSSIERS,
        help=f"dossier rows in the clean files (default {DEFAULT_DOSSIERS:_}); streams to disk",
    )
    parser.add_argument(
        "--provinces",
        default="all",
        help="'all', a count N (first N current provinces, curated order: 25, 80, 04, ...), "
        "or comma-separated current province codes ('25,80', '04'); each brings its legacy "
        "predecessors",
    )
    parser.add_argument("--dirty", action="store_true", help="add the documented faulty files")
    parser.add_argument(
        "--communes-per-province",
        type=int,
        default=None,
        help="communes acting as agencies per province (default: 6 legacy, 12 current)",
    )
    parser.add_argument(
        "--anomalies",
        type=int,
        default=DEFAULT_ANOMALIES,
        help=f"province-months with an injected anomaly (default {DEFAULT_ANOMALIES}; 0 = none), "
        "listed in the manifest's injected_anomalies",
    )
    parser.add_argument("--quiet", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.end < args.start:
        print("--end is before --start", file=sys.stderr)
        return 2
    config = GeneratorConfig(
        out=args.out,
        seed=args.seed,
        start=args.start,
        end=args.end,
        dossiers=args.dossiers,
        provinces=args.provinces,
        dirty=args.dirty,
        legacy_communes=args.communes_per_province or 6,
        current_communes=args.communes_per_province or 12,
        anomalies=args.anomalies,
    )
    began = time.perf_counter()
    summary = generate(config)
    if not args.quiet:
        elapsed = time.perf_counter() - began
        for source, count in sorted(summary.files_by_source.items()):
            print(f"{source:15s} {count:6d} files")
        print(f"{summary.dossier_rows:_} dossier rows in {elapsed:.1f} s -> {args.out}")
    return 0
