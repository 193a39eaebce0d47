"""The rest of the project still works once `make install-spark` has added pyspark to the one
environment (`uv sync --inexact` keeps it there for the next `make test`)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.usefixtures("spark_ready")
def test_great_expectations_imports_in_a_process_without_a_main_file() -> None:
    # Great Expectations imports pyspark.sql.connect when pyspark is installed; without its
    # `connect` extra (grpc-status, googleapis-common-protos, zstandard) that module calls
    # sys.exit(0) in any process whose __main__ has no file: `python -c`, and every pytest-xdist
    # worker, which is how `make test` failed after `make test-spark`. Exit 0 either way, so
    # the test reads what the process printed after the import.
    ran = subprocess.run(
        [sys.executable, "-c", "import great_expectations; print('imported')"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.stdout.strip() == "imported", ran.stderr[-2000:]
