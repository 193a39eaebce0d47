"""`make bench`: the warehouse at national scale, measured, as one table and one JSON file.

    python -m benchmarks.run [--scale reference|national|small] [--out FILE.json] [--skip demo,...]

Steps (each a fresh subprocess, so imports and start-up are part of what is measured):
  1. generate the landing files (reused when a previous run left the same ones)
  2. full pipeline on an empty warehouse (`python -m pipelines.cli pipeline`): wall time and the
     peak memory of its whole process tree (Dagster + dbt)
  3. the floor: DuckDB alone reading the same landing files and computing the same monthly
     counts (benchmarks/floor.py); pipeline / floor is the headline figure
  4. a second run with nothing new (must change nothing)
  5. an incremental load: one new province-month landed, the pipeline run again
  6. contract validation rows/s (benchmarks/bench_contracts.py)
  7. every dashboard page's query p50 / p95 on the serving DB (benchmarks/bench_pages.py)
  8. generator throughput (benchmarks/bench_generator.py)
  9. `make demo` after install: `make sample`, `make pipeline`, then the dashboard answering
Everything lands under benchmarks/out/ (git-ignored) unless --data-dir says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benchmarks.measure import Measured, run_measured

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
PY = sys.executable

# Reference scale (issue #7): all 34 current provinces (with their 63 legacy predecessors before
# July 2025) × 36 months × 10 M dossier rows.
SCALES: dict[str, dict[str, str]] = {
    "reference": {"provinces": "all", "dossiers": "10000000", "start": "2023-11", "end": "2026-10"},
    # Real national volume (issue #13): about ten times the reference, 100 M dossier rows over the
    # same 36 months (35-40 M dossiers a year nationally); `benchmarks/growth.py` runs the curve.
    "national": {"provinces": "all", "dossiers": "100000000", "start": "2023-11", "end": "2026-10"},
    "small": {"provinces": "3", "dossiers": "200000", "start": "2023-11", "end": "2026-10"},
    # for the harness's own test: seconds, not minutes
    "tiny": {"provinces": "1", "dossiers": "20000", "start": "2026-01", "end": "2026-06"},
}
TARGETS = {
    "pipeline_over_floor": 2.0,
    "peak_memory_gb": 4.0,
    "incremental_share_pct": 5.0,
    "page_p95_ms": 100.0,
}
STEPS = ("generate", "full", "floor", "noop", "incremental", "contracts", "pages", "generator",
         "demo")  # fmt: skip


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    detail: str = ""


@dataclass
class Bench:
    scale: str
    data_dir: Path
    skip: set[str]
    figures: list[Figure] = field(default_factory=list)
    raw: dict[str, object] = field(default_factory=dict)

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing"

    def env(self, data_dir: Path | None = None) -> dict[str, str]:
        root = data_dir or self.data_dir
        env = dict(os.environ)
        env.update(
            CCHC_DATA_DIR=str(root),
            DAGSTER_HOME=str(root / "dagster_home"),
            CCHC_WAREHOUSE_DB=str(root / "warehouse" / "warehouse.duckdb"),
            DAGSTER_DISABLE_TELEMETRY="true",
            STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        )
        return env

    def log(self, message: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")
        print(f"[bench {stamp}] {message}", flush=True)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        value = "n/a" if figure.value is None else f"{figure.value:,.3f}".rstrip("0").rstrip(".")
        self.log(f"{figure.name}: {value} {figure.unit} {figure.detail}")


# --- steps ------------------------------------------------------------------------------------


def generator_args(scale: str, out: Path) -> list[str]:
    params = SCALES[scale]
    return [
        PY, "-m", "pipelines.sample_data", "--out", str(out), "--provinces", params["provinces"],
        "--dossiers", params["dossiers"], "--start", params["start"], "--end", params["end"],
        "--dirty",
    ]  # fmt: skip


def generator_extra_args(scale: str) -> list[str]:
    params = SCALES[scale]
    return [
        "--provinces", params["provinces"], "--start", params["start"], "--end", params["end"],
        "--dirty",
    ]  # fmt: skip


def step_generate(bench: Bench) -> None:
    params = SCALES[bench.scale]
    manifest = bench.landing / "_manifest.json"
    if manifest.exists():
        arguments = json.loads(manifest.read_text(encoding="utf-8")).get("arguments", {})
        if (
            str(arguments.get("provinces")) == params["provinces"]
            and str(arguments.get("dossiers")) == params["dossiers"]
            and arguments.get("start") == params["start"]
            and arguments.get("end") == params["end"]
        ):
            bench.log(f"reusing the landing files in {bench.landing}")
            remove_incremental_files(bench)
            bench.raw["generate"] = {"reused": True}
            return
    shutil.rmtree(bench.data_dir, ignore_errors=True)
    bench.landing.mkdir(parents=True)
    bench.log(f"generating {params} into {bench.landing}")
    rows = int(params["dossiers"])
    bench_generator = load_bench_generator()
    if bench_generator is not None:
        # benchmarks/bench_generator.py (the generator's own benchmark) writes and measures
        result = bench_generator.run_once(rows, generator_extra_args(bench.scale), bench.landing)
        bench.raw["generate"] = {"via": "bench_generator.run_once", **result}
    else:
        measured = run_measured(
            generator_args(bench.scale, bench.landing), env=bench.env(), cwd=ROOT
        )
        check(measured, "generator")
        bench.raw["generate"] = {
            "via": "cli",
            "rows": rows,
            "seconds": measured.seconds,
            "rows_per_second": rows / measured.seconds,
            "peak_rss_tree_mb": measured.peak_tree_rss_mb,
        }
    bench.log(f"generated in {bench.raw['generate']['seconds']:.1f} s")  # type: ignore[index]


def load_bench_generator():
    if optional_script("bench_generator.py") is None:
        return None
    import importlib

    return importlib.import_module("benchmarks.bench_generator")


def landed_summary(landing: Path) -> dict[str, object]:
    manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
    by_source: dict[str, int] = {}
    rows: dict[str, int] = {}
    for entry in manifest["files"]:
        by_source[entry["source"]] = by_source.get(entry["source"], 0) + 1
        rows[entry["source"]] = rows.get(entry["source"], 0) + int(entry.get("rows") or 0)
    size = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    return {
        "files": by_source,
        "rows": rows,
        "bytes": size,
        "dossier_rows": manifest.get("dossier_rows_written"),
        "provinces": len(manifest.get("provinces", [])),
        "arguments": manifest.get("arguments"),
    }


def pipeline_command() -> list[str]:
    return [PY, "-m", "pipelines.cli", "pipeline"]


@dataclass
class StepTime:
    step: str
    start: float  # Unix time
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def last_run_steps(dagster_home: Path) -> list[StepTime]:
    """The steps of the newest run recorded in ``dagster_home``, in start order."""
    import dagster as dg  # the benchmark's own figures do not need Dagster loaded

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return []
        stats = instance.get_run_step_stats(runs[0].run_id)
    steps = [
        StepTime(s.step_key, s.start_time, s.end_time) for s in stats if s.start_time and s.end_time
    ]
    return sorted(steps, key=lambda s: s.start)


def step_at(steps: list[StepTime], epoch: float) -> str | None:
    """The step that was running at ``epoch`` (the last started, when steps overlap)."""
    running = [s.step for s in steps if s.start <= epoch <= s.end]
    return running[-1] if running else None


def serving_counts(serving: Path) -> dict[str, object]:
    if not serving.exists():
        return {}
    with duckdb.connect(str(serving), read_only=True) as con:
        tables = dict(con.execute("select table_name, row_count from meta.tables").fetchall())
        loads = con.execute(
            "select source, count(*), sum(rows_in), sum(rows_loaded), sum(rows_quarantined), "
            "count(*) filter (outcome = 'rejected') from audit.loads group by source order by 1"
        ).fetchall()
        (fingerprint,) = con.execute("select fingerprint from meta.publish").fetchone()  # type: ignore[misc]
    return {
        "tables": tables,
        "loads": {
            s: {"files": f, "rows_in": i, "rows_loaded": ld, "rows_quarantined": q, "rejected": r}
            for s, f, i, ld, q, r in loads
        },
        "fingerprint": fingerprint,
    }


def step_full(bench: Bench) -> None:
    # The lake too: a part left by an earlier (or killed) run on other code would be read as is.
    for leftover in ("warehouse", "dagster_home", "lake"):
        shutil.rmtree(bench.data_dir / leftover, ignore_errors=True)
    bench.log("full pipeline on an empty warehouse ...")
    measured = run_measured(pipeline_command(), env=bench.env(), cwd=ROOT, disk_path=bench.data_dir)
    check(measured, "full pipeline")
    serving = bench.data_dir / "warehouse" / "serving.duckdb"
    bench.raw["full"] = {**measured.as_dict(), "serving": serving_counts(serving)}
    bench.raw["full_seconds"] = measured.seconds
    warehouse = bench.data_dir / "warehouse" / "warehouse.duckdb"
    bench.raw["full"]["warehouse_bytes"] = warehouse.stat().st_size if warehouse.exists() else None  # type: ignore[index]
    bench.raw["full"]["serving_bytes"] = serving.stat().st_size if serving.exists() else None  # type: ignore[index]
    bench.add(Figure("full pipeline", measured.seconds, "s", detail=f"exit {measured.returncode}"))
    steps = last_run_steps(bench.data_dir / "dagster_home")
    peak = measured.peak_process
    peak_step = step_at(steps, peak.at_epoch)
    bench.raw["full"]["steps"] = {s.step: round(s.seconds, 1) for s in steps}  # type: ignore[index]
    bench.raw["full"]["peak_step"] = peak_step  # type: ignore[index]
    bench.log("steps: " + ", ".join(f"{s.step} {s.seconds:.1f} s" for s in steps))
    peak_gb = measured.peak_tree_rss_mb / 1024
    target = TARGETS["peak_memory_gb"]
    bench.add(
        Figure(
            "peak memory (process tree)", peak_gb, "GB", f"< {target:g} GB", peak_gb < target,
            f"largest single process {peak.rss_mb / 1024:.2f} GB at {peak.at_seconds:.0f} s "
            f"(step {peak_step or 'none'}): {peak.command}",
        )
    )  # fmt: skip
    if measured.peak_disk_growth_mb is not None:
        # DuckDB's spill files included: gone by the time the files are measured
        bench.add(
            Figure(
                "peak disk written during the run", measured.peak_disk_growth_mb / 1024, "GiB",
                detail="file system use above its start (lake, warehouse, spill, serving)",
            )
        )  # fmt: skip


# The floor is the median of this many runs: one run moved from 8.3 to 17.5 s on the reference
# machine minutes apart (benchmarks/RESULTS.md), more than any change to the pipeline did.
FLOOR_RUNS = 3


def step_floor(bench: Bench) -> None:
    bench.log(f"floor: DuckDB alone on the same landing files, {FLOOR_RUNS} runs ...")
    runs = []
    for _ in range(FLOOR_RUNS):
        measured = run_measured(
            [PY, "-m", "benchmarks.floor", str(bench.landing), "--json"], env=bench.env(), cwd=ROOT
        )
        check(measured, "floor")
        runs.append(measured)
    median = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    result = json.loads(median.stdout.strip().splitlines()[-1])
    every = ", ".join(f"{run.seconds:.1f}" for run in runs)
    bench.raw["floor"] = {
        **median.as_dict(),
        "result": result,
        "runs_seconds": [run.seconds for run in runs],
    }
    bench.add(
        Figure(
            "floor (DuckDB alone)", median.seconds, "s",
            detail=f"median of {len(runs)} runs ({every} s); {result['dossier_rows']:_} dossier "
            f"rows, in-process {result['seconds']:.1f} s",
        )
    )  # fmt: skip
    full = bench.raw.get("full_seconds")
    if isinstance(full, float):
        ratio = full / median.seconds
        target = TARGETS["pipeline_over_floor"]
        bench.figures.insert(
            0,
            Figure(
                "pipeline / floor", ratio, "×", f"≤ {target:g}", ratio <= target,
                f"{full:.1f} s / {median.seconds:.1f} s",
            ),
        )  # fmt: skip


def step_noop(bench: Bench) -> None:
    serving = bench.data_dir / "warehouse" / "serving.duckdb"
    before = serving.stat().st_mtime_ns if serving.exists() else None
    measured = run_measured(pipeline_command(), env=bench.env(), cwd=ROOT)
    check(measured, "no-op pipeline")
    unchanged = serving.exists() and serving.stat().st_mtime_ns == before
    bench.raw["noop"] = {**measured.as_dict(), "serving_unchanged": unchanged}
    bench.add(
        Figure(
            "re-run, nothing new", measured.seconds, "s", "serving unchanged", unchanged,
            "serving.duckdb untouched" if unchanged else "serving.duckdb was REPLACED",
        )
    )  # fmt: skip


INCREMENTAL_LIST = ".bench_incremental.json"


def next_month(text: str) -> str:
    year, month = (int(p) for p in text.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year}-{month:02d}"


def remove_incremental_files(bench: Bench) -> None:
    listing = bench.landing / INCREMENTAL_LIST
    if listing.exists():
        for relative in json.loads(listing.read_text(encoding="utf-8")):
            (bench.landing / relative).unlink(missing_ok=True)
        listing.unlink()


def step_incremental(bench: Bench) -> None:
    """One new province-month (the month after the window, one province) landed, then a run."""
    params = SCALES[bench.scale]
    month = next_month(params["end"])
    landed = landed_summary(bench.landing)
    months = 36 if bench.scale in {"reference", "national"} else 12
    per_month = max(1000, int(int(params["dossiers"]) / max(1, int(landed["provinces"])) / months))
    with tempfile.TemporaryDirectory(prefix="bench-incr-") as tmp:
        out = Path(tmp) / "landing"
        command = [
            PY, "-m", "pipelines.sample_data", "--out", str(out), "--provinces", "1",
            "--dossiers", str(per_month), "--start", month, "--end", month, "--quiet",
        ]  # fmt: skip
        generated = subprocess.run(command, cwd=ROOT, env=bench.env(), capture_output=True)
        if generated.returncode:
            raise RuntimeError(f"incremental generator failed: {generated.stderr.decode()[-800:]}")
        copied: list[str] = []
        for path in sorted(out.rglob("*")):
            if not path.is_file() or path.name.startswith("_"):
                continue
            source = path.parent.name
            if source == "procedures":
                continue  # a catalog snapshot of one province would not be a province-month
            if source == "satisfaction":  # one file per year: here it holds the one month
                name = f"{path.stem}_{month}{path.suffix}"
            elif month in path.name:
                name = path.name
            else:
                continue  # the Hòa Bình anchor report, written on every run, already landed
            target = bench.landing / source / f"incr_{name}"
            shutil.copyfile(path, target)
            copied.append(f"{source}/{target.name}")
    (bench.landing / INCREMENTAL_LIST).write_text(json.dumps(copied), encoding="utf-8")
    bench.log(f"incremental: landed {len(copied)} file(s) for {month}: {copied}")
    measured = run_measured(pipeline_command(), env=bench.env(), cwd=ROOT)
    check(measured, "incremental pipeline")
    serving = bench.data_dir / "warehouse" / "serving.duckdb"
    bench.raw["incremental"] = {
        **measured.as_dict(),
        "files": copied,
        "dossiers_per_month": per_month,
        "serving": serving_counts(serving),
    }
    full = bench.raw.get("full_seconds")
    share = 100 * measured.seconds / full if isinstance(full, float) else None
    target = TARGETS["incremental_share_pct"]
    bench.add(
        Figure(
            "incremental / full build", share, "%", f"< {target:g} %",
            None if share is None else share < target,
            f"{measured.seconds:.1f} s for one province-month ({len(copied)} files)",
        )
    )  # fmt: skip
    remove_incremental_files(bench)


def optional_script(name: str) -> Path | None:
    path = ROOT / "benchmarks" / name
    return path if path.exists() else None


def run_json_script(bench: Bench, name: str, args: list[str]) -> dict | None:
    """Run one of the other benchmarks (owned elsewhere) and read the JSON it writes."""
    script = optional_script(name)
    if script is None:
        bench.log(f"{name}: not in this checkout; skipped")
        bench.raw[name] = {"skipped": "script missing"}
        return None
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        json_path = Path(tmp) / "result.json"
        measured = run_measured(
            [PY, str(script), *args, "--json", str(json_path)], env=bench.env(), cwd=ROOT
        )
        result = json.loads(json_path.read_text()) if json_path.exists() else None
    bench.raw[name] = {**measured.as_dict(), "result": result}
    if measured.returncode != 0 or result is None:
        bench.log(f"{name} failed (exit {measured.returncode}): {measured.stderr[-600:]}")
        return None
    return result


CONTRACT_SQL_LINE = re.compile(
    r"contract in DuckDB SQL.*?([\d,]+) rows in ([\d.]+) s = ([\d,]+) rows/s"
)
CONTRACT_GX_LINE = re.compile(r"GX suite from the contract.*?([\d,]+) rows in .*?= ([\d,]+) rows/s")


def step_contracts(bench: Bench) -> None:
    """benchmarks/bench_contracts.py (the ingestion's own benchmark) prints its figures."""
    script = optional_script("bench_contracts.py")
    if script is None:
        bench.log("bench_contracts.py: not in this checkout; skipped")
        bench.add(Figure("contract validation", None, "rows/s", detail="not measured"))
        return
    rows = "1_000_000" if bench.scale == "reference" else "200_000"
    measured = run_measured([PY, str(script), "--rows", rows], env=bench.env(), cwd=ROOT)
    bench.raw["bench_contracts.py"] = measured.as_dict()
    sql = CONTRACT_SQL_LINE.search(measured.stdout)
    if measured.returncode != 0 or sql is None:
        bench.log(
            f"bench_contracts.py failed (exit {measured.returncode}): {measured.stderr[-600:]}"
        )
        bench.add(Figure("contract validation", None, "rows/s", detail="failed (see JSON)"))
        return
    rate = float(sql.group(3).replace(",", ""))
    gx = CONTRACT_GX_LINE.search(measured.stdout)
    detail = f"DuckDB SQL rules, {sql.group(1)} rows in {sql.group(2)} s"
    bench.add(Figure("contract validation (SQL rules)", rate, "rows/s", detail=detail))
    if gx:
        bench.add(
            Figure(
                "contract validation (GX oracle)", float(gx.group(2).replace(",", "")), "rows/s",
                detail=f"{gx.group(1)} rows",
            )
        )  # fmt: skip


def step_pages(bench: Bench) -> None:
    serving = bench.data_dir / "warehouse" / "serving.duckdb"
    result = run_json_script(bench, "bench_pages.py", ["--db", str(serving)])
    if result is None:
        bench.add(Figure("page queries p95", None, "ms", detail="not measured (see JSON)"))
        return
    target = TARGETS["page_p95_ms"]
    for page, stats in result.get("pages", {}).items():
        p95 = stats.get("p95_ms")
        bench.add(
            Figure(
                f"page {page} p95", p95, "ms", f"< {target:g} ms",
                None if p95 is None else p95 < target, f"p50 {stats.get('p50_ms', 0):.1f} ms",
            )
        )  # fmt: skip


def step_generator(bench: Bench) -> None:
    """Generator throughput: from step 1, or (landing reused) bench_generator at 1 M rows."""
    generated = bench.raw.get("generate")
    if not (isinstance(generated, dict) and "rows_per_second" in generated):
        bench_generator = load_bench_generator()
        if bench_generator is None:
            return
        rows = min(1_000_000, int(SCALES[bench.scale]["dossiers"]))
        generated = {"via": "bench_generator.run_once", **bench_generator.run_once(
            rows, generator_extra_args(bench.scale), None
        )}  # fmt: skip
        bench.raw["generator"] = generated
    bench.add(
        Figure(
            "generator", generated["rows_per_second"], "dossier rows/s",
            detail=f"{generated['rows']:_} rows in {generated['seconds']:.1f} s, peak "
            f"{generated.get('peak_rss_tree_mb', 0):.0f} MB",
        )
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def step_demo(bench: Bench) -> None:
    """`make demo` after install: sample + pipeline on the default size, then the dashboard up."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        env = bench.env(Path(tmp) / "data")
        began = time.perf_counter()
        sample = run_measured(["make", "--no-print-directory", "sample"], env=env, cwd=ROOT)
        check(sample, "make sample")
        pipeline = run_measured(["make", "--no-print-directory", "pipeline"], env=env, cwd=ROOT)
        check(pipeline, "make pipeline")
        port = free_port()
        dashboard = subprocess.Popen(
            ["make", "--no-print-directory", "dashboard", f"PORT={port}"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        up = None
        try:
            deadline = time.perf_counter() + 120
            while time.perf_counter() < deadline and dashboard.poll() is None:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/_stcore/health", timeout=2
                    ) as response:
                        if response.status == 200:
                            up = time.perf_counter() - began
                            break
                except OSError:
                    time.sleep(0.25)
        finally:
            os.killpg(dashboard.pid, 15)
            dashboard.wait(timeout=30)
    total = up if up is not None else sample.seconds + pipeline.seconds
    bench.raw["demo"] = {
        "sample_seconds": sample.seconds,
        "pipeline_seconds": pipeline.seconds,
        "dashboard_up_seconds": up,
        "peak_pipeline_rss_mb": pipeline.peak_tree_rss_mb,
    }
    bench.add(
        Figure(
            "make demo after install", total, "s",
            detail=f"sample {sample.seconds:.1f} s + pipeline {pipeline.seconds:.1f} s"
            + ("" if up is None else f", dashboard answering at {up:.1f} s"),
        )
    )  # fmt: skip


def check(measured: Measured, what: str) -> None:
    if measured.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {measured.returncode}):\n{measured.stdout[-1500:]}\n"
            f"{measured.stderr[-3000:]}"
        )


# --- report -------------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    import psutil

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }


def format_value(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: list[Figure]) -> str:
    """The first table: one row per figure, the measured number last."""
    lines = [
        "| figure | detail | target | met | value |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        value = format_value(f.value)
        unit = "" if f.unit == "×" else f" {f.unit}"
        lines.append(f"| {f.name} | {f.detail} | {f.target} | {met} | {value}{unit} |")
    # The headline row's last number is the ratio itself, with nothing after it.
    return "\n".join(
        line.replace(" ×", "") if line.startswith("| pipeline / floor") else line for line in lines
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="reference")
    parser.add_argument("--out", type=Path, help="JSON results (default benchmarks/out/...)")
    parser.add_argument("--data-dir", type=Path, help="where the landing files and DBs go")
    parser.add_argument("--skip", default="", help=f"comma-separated steps among {','.join(STEPS)}")
    args = parser.parse_args(argv)
    skip = {s for s in args.skip.split(",") if s}
    unknown = skip - set(STEPS)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}")
    data_dir = (args.data_dir or OUT / f"data-{args.scale}").resolve()
    bench = Bench(args.scale, data_dir, skip)
    started = datetime.now(UTC)
    bench.raw["machine"] = machine()
    bench.log(f"scale {args.scale} {SCALES[args.scale]}; data in {data_dir}")
    step_generate(bench)
    bench.raw["landed"] = landed_summary(bench.landing)
    steps = {
        "full": step_full,
        "floor": step_floor,
        "noop": step_noop,
        "incremental": step_incremental,
        "contracts": step_contracts,
        "pages": step_pages,
        "generator": step_generator,
        "demo": step_demo,
    }
    failures = []
    for name, step in steps.items():
        if name in skip:
            continue
        if name in {"noop", "incremental", "pages"} and "full" in skip:
            serving = data_dir / "warehouse" / "serving.duckdb"
            if not serving.exists():
                continue
        try:
            step(bench)
        except Exception as error:  # one failed step must not hide the others' figures
            failures.append(name)
            bench.log(f"step {name} FAILED: {error}")
            bench.raw[f"{name}_error"] = str(error)
    result = {
        "scale": args.scale,
        "parameters": SCALES[args.scale],
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "git_commit": git_commit(),
        "figures": [f.__dict__ for f in bench.figures],
        "failed_steps": failures,
        "raw": bench.raw,
    }
    out = args.out or OUT / f"bench-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str, ensure_ascii=False), encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(result, bench), encoding="utf-8")
    landed = bench.raw["landed"]
    print()
    print(
        f"## make bench: scale {args.scale} — {landed['dossier_rows']:_} dossier rows, "  # type: ignore[index]
        f"{sum(landed['files'].values())} files, {landed['provinces']} province-eras"  # type: ignore[index]
    )
    print()
    print(table(bench.figures))
    print()
    print(f"JSON: {out}")
    if failures:
        print(f"FAILED steps: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


def markdown(result: dict, bench: Bench) -> str:
    """The run as RESULTS.md wants it: the figures first, then the machine and the data."""
    m = bench.raw["machine"]
    landed = bench.raw["landed"]
    lines = [
        f"## Run of {result['started_at'][:16]} UTC, scale {result['scale']}, "
        f"commit {str(result['git_commit'])[:10]}",
        "",
        table(bench.figures),
        "",
        "| machine | |",
        "|---|---|",
        f"| CPU | {m['cpus']} × {m['cpu_model']} |",  # type: ignore[index]
        f"| memory | {m['memory_gb']} GiB |",  # type: ignore[index]
        f"| load average at start | {', '.join(f'{x:.1f}' for x in m['load_average_at_start'])} |",  # type: ignore[index]
        f"| Python / DuckDB | {m['python']} / {m['duckdb']} |",  # type: ignore[index]
        f"| data | {landed['dossier_rows']:_} dossier rows, {landed['provinces']} province-eras, "  # type: ignore[index]
        f"{sum(landed['files'].values())} files, {landed['bytes'] / 2**30:.2f} GiB |",  # type: ignore[index]
        "",
    ]
    return "\n".join(lines)


def git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


if __name__ == "__main__":
    sys.exit(main())
