# The two commands: `make demo` and `make test`. Everything installs from project files.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CCHC_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(CCHC_DATA_DIR)/dagster_home
export CCHC_WAREHOUSE_DB ?= $(CCHC_DATA_DIR)/warehouse/warehouse.duckdb
# Streamlit and Dagster phone home by default; this machine has no network beyond registries.
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false
export DAGSTER_DISABLE_TELEMETRY := true
# The Spark engine (CCHC_ENGINE=spark) runs a local session: it binds to the loopback address.
export SPARK_LOCAL_IP ?= 127.0.0.1

# uv from PATH, else run as a module of python3: the one installed for python3, or else one that
# pip installs into .tools/uv (`--target`: the system's packages untouched, which Debian's and
# Ubuntu's externally managed Python allows, PEP 668, where a plain `pip install` is refused).
UV_TOOLS := .tools/uv
UV := $(shell command -v uv 2>/dev/null || echo "PYTHONPATH=$(UV_TOOLS) python3 -m uv")
PY := .venv/bin/python
VENV_STAMP := .venv/.synced
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml
SAMPLE_ARGS ?=
PORT ?= 8501
# How people sign in to `make dashboard` / `make demo`: the demo accounts unless CCHC_AUTH says
# otherwise (oidc for a deployment, off for development; docs/dashboards.md).
DASHBOARD_AUTH := $(or $(CCHC_AUTH),demo)
DAGSTER_PORT ?= 3000
DAGSTER_HOST ?= 127.0.0.1

.PHONY: help install demo test pipeline backfill dashboard dagster sample manifest lint docs clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# --inexact: keep the Spark group's packages (pyspark, dbt-spark) when `make install-spark` added
# them; a plain sync would uninstall them, and the next `make test-spark` reinstall them.
$(VENV_STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || PYTHONPATH=$(UV_TOOLS) python3 -c "import uv" 2>/dev/null \
		|| python3 -m pip install --quiet --target $(UV_TOOLS) uv
	$(UV) sync --frozen --compile-bytecode --inexact
	@touch $@

install: $(VENV_STAMP) $(MANIFEST) ## install the Python environment and build the dbt manifest

$(MANIFEST): $(VENV_STAMP) $(DBT_SOURCES)
	cd dbt_project && ../.venv/bin/dbt parse --profiles-dir . --quiet
	@touch $@

manifest: $(MANIFEST)

sample: install ## write the bundled sample data into the landing folder (SAMPLE_ARGS=...)
	$(PY) -m pipelines.sample_data --out "$(CCHC_DATA_DIR)/landing" $(SAMPLE_ARGS)

pipeline: install ## headless: load the landing folder, build, publish; non-zero exit on failure
	$(PY) -m pipelines.cli pipeline

backfill: install ## reload the files of some months, build, publish: make backfill FROM=2024-01 TO=2024-02
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=YYYY-MM TO=YYYY-MM"; exit 2; }
	$(PY) -m pipelines.cli backfill --from $(FROM) --to $(TO)

dashboard: install ## serve Streamlit on the last published data (sign-in: CCHC_AUTH, default demo)
	@CCHC_AUTH=$(DASHBOARD_AUTH) $(PY) -m dashboards.lib.access
	CCHC_AUTH=$(DASHBOARD_AUTH) $(PY) -m streamlit run dashboards/app.py --server.port $(PORT) --server.headless true

dagster: install ## the Dagster UI on http://localhost:3000 (landing sensor and schedules on)
	$(PY) -m pipelines.cli paths >/dev/null
	.venv/bin/dagster dev -m pipelines.definitions -h $(DAGSTER_HOST) -p $(DAGSTER_PORT)

demo: install ## sample data → pipeline → dashboard on http://localhost:$(PORT)
	$(MAKE) --no-print-directory sample
	$(MAKE) --no-print-directory pipeline
	@echo ""
	@echo "Dashboard: http://localhost:$(PORT)   (Ctrl-C stops it)"
	@echo "Dagster UI: run 'make dagster' in another terminal, then open http://localhost:3000"
	@echo ""
	$(MAKE) --no-print-directory dashboard

# Two workers, a test module whole on one of them (tests/conftest.py, tests/README.md): most of a
# test's time is one core of dbt or Dagster, so two modules run at once. TEST_WORKERS=0: serial.
TEST_WORKERS ?= 2

test: install ## install and run the whole test suite
	bash scripts/install_browser.sh
	CCHC_REQUIRE_BROWSER=1 $(PY) -m pytest -m "not reliability and not spark" --durations=25 \
		$(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup) $(PYTEST_ARGS)

.PHONY: browser
browser: ## install Debian's chromium for the browser smoke test (only when missing)
	bash scripts/install_browser.sh

lint: install ## ruff and sqlfluff
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
	.venv/bin/sqlfluff lint dbt_project/models

docs: install ## dbt docs on http://localhost:8080
	cd dbt_project && ../.venv/bin/dbt docs generate --profiles-dir . && ../.venv/bin/dbt docs serve --profiles-dir . --port 8080

clean: ## remove the data folder and build outputs (landed files included)
	rm -rf "$(CCHC_DATA_DIR)" dbt_project/target .pytest_cache

# --- benchmarks and the reliability suite (benchmarks/, tests/reliability/) ---------------------
SCALE ?= reference

SIZES ?= 1M,10M,30M,100M

.PHONY: bench bench-growth test-reliability test-reliability-quick

bench: install ## benchmarks at national scale (SCALE=reference|national|small): table + benchmarks/out/*.json
	$(PY) -m benchmarks.run --scale $(SCALE) $(BENCH_ARGS)

bench-growth: install ## the growth curve: full pipeline at SIZES=1M,10M,30M,100M rows, time/memory/disk, exponent
	$(PY) -m benchmarks.growth --sizes $(SIZES) $(BENCH_ARGS)

test-reliability: install ## the full reliability suite: dirty corpus, SIGKILL, readers during loads, properties
	$(PY) -m pytest -m reliability tests/reliability $(PYTEST_ARGS)

test-reliability-quick: install ## its quick form (CI): fewer kill points and examples
	RELIABILITY_QUICK=1 $(PY) -m pytest -m reliability tests/reliability $(PYTEST_ARGS)

# --- the Spark engine (issue 15, docs/scale_out.md) -------------------------------------------
# The same dbt project on a local pyspark session (profile target `spark`), reading the same lake.
SPARK_STAMP := .venv/.spark-synced
# dbt's artifacts of the Spark target apart from the DuckDB manifest that Dagster reads.
SPARK_TARGET_PATH := target/spark
ARGS ?= build

.PHONY: install-spark dbt-spark test-spark

$(SPARK_STAMP): $(VENV_STAMP) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --inexact --group spark
	@touch $@

install-spark: install $(SPARK_STAMP) ## add pyspark + dbt-spark (uv.lock) and Java (Debian) for Spark
	bash scripts/install_java.sh

dbt-spark: install-spark ## dbt on Spark over $(CCHC_DATA_DIR)'s lake: make dbt-spark ARGS="build -s stg_dossiers"
	cd dbt_project && ../.venv/bin/dbt $(ARGS) --profiles-dir . --target spark \
		--target-path $(SPARK_TARGET_PATH)

# Serial: one Spark session (a JVM of a few GB) at a time, and Derby's metastore is one process's.
test-spark: install-spark ## the project on Spark: marts equal DuckDB's, incremental = whole build
	CCHC_REQUIRE_SPARK=1 $(PY) -m pytest -m spark tests/spark -p no:xdist --durations=10 \
		$(PYTEST_ARGS)
