"""The Spark suite (`make test-spark`): the dbt project built on a local pyspark session.

Everything under tests/spark/ is marked ``spark``; `make test` leaves it out (`-m "not spark"`),
`make test-spark` installs pyspark (uv.lock's ``spark`` group) and Java (scripts/install_java.sh)
and runs it with ``CCHC_REQUIRE_SPARK=1``: there a missing pyspark or java fails the run
instead of skipping it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

REQUIRED = os.environ.get("CCHC_REQUIRE_SPARK") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.spark)


def spark_available() -> str | None:
    """Why Spark cannot run here, or None when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (make install-spark)"
    if importlib.util.find_spec("dbt.adapters.spark") is None:
        return "dbt-spark is not installed (make install-spark)"
    if shutil.which("java") is None:
        return "no java on PATH (scripts/install_java.sh)"
    return None


@pytest.fixture(scope="session")
def spark_ready() -> None:
    missing = spark_available()
    if missing is None:
        return
    if REQUIRED:
        pytest.fail(f"make test-spark: {missing}")
    pytest.skip(missing)
