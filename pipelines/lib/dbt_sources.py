"""dbt's raw sources, generated from the data contracts: ``python -m pipelines.lib.dbt_sources``.

The contract is the only description of a raw table: this writes
``dbt_project/models/staging/_sources.yml`` from ``data_contracts/*.yaml`` (every column with its
contract type, then the lineage and partition columns of the lake), and
``tests/test_lake.py`` fails when the committed file differs from what the contracts give. Each
source reads its lake folder (``read_parquet`` over ``<source>/*/*.parquet`` in ``$CCHC_LAKE_DIR``,
hive-partitioned by ``data_month``) and carries the generic test ``matches_contract``, which
fails the build when the lake's columns or types differ from these.
"""

from __future__ import annotations

import sys

import yaml

from pipelines.lib.contracts import load_contract
from pipelines.lib.lake import LINEAGE_COLUMNS, PARTITION_COLUMN
from pipelines.settings import DBT_PROJECT_DIR, SOURCES

SOURCES_YML = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
HEADER = (
    "# GENERATED from data_contracts/*.yaml by `python -m pipelines.lib.dbt_sources`: do not edit\n"
    "# (tests/test_lake.py fails when this file and the contracts differ).\n"
)
# dbt-duckdb formats the location with the source's config (newstyle: {name} is the table).
# The path is relative to the lake: DuckDB's file_search_path, set from CCHC_LAKE_DIR by the
# profile (profiles.yml) at every invocation. hive_types_autocast = false keeps data_month a
# string, as on Spark.
EXTERNAL_LOCATION = (
    "read_parquet('{name}/*/*.parquet', "
    "hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"
)
LINEAGE_DESCRIPTIONS = {
    "load_seq": "audit.loads.load_seq of the file load (a later load is a later version).",
    "load_id": "The Dagster run that loaded the file.",
    "source_file": "The landed file's name.",
    "file_hash": "SHA-256 of the landed file.",
    "source_row_number": "The row's place in the file (docs/ingestion.md).",
    "loaded_at": "When the file was loaded (UTC).",
}


def sources_document() -> dict:
    tables = []
    for source in SOURCES:
        contract = load_contract(source)
        columns = [
            {"name": c.name, "data_type": c.physical_type, "description": c.description}
            for c in contract.columns
        ]
        columns += [
            {"name": name, "data_type": kind, "description": LINEAGE_DESCRIPTIONS[name]}
            for name, kind in LINEAGE_COLUMNS.items()
        ]
        columns.append(
            {
                "name": PARTITION_COLUMN,
                "data_type": "varchar",
                "description": "The month the row belongs to (YYYY-MM), from the lake's path.",
            }
        )
        tables.append(
            {
                "name": source,
                "description": f"data_contracts/{source}.yaml (version {contract.version}): "
                f"{contract.description}",
                "data_tests": [{"matches_contract": {"arguments": {"table": source}}}],
                "columns": columns,
            }
        )
    return {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "description": "Rows landed by the Dagster ingestion assets in the raw lake "
                "(Parquet, docs/ingestion.md), typed and named by the data contracts, every "
                "loaded version with lineage.",
                "config": {"external_location": EXTERNAL_LOCATION},
                "tables": tables,
            }
        ],
    }


def render() -> str:
    body = yaml.safe_dump(sources_document(), sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def main() -> None:
    if "--check" in sys.argv:
        if SOURCES_YML.read_text(encoding="utf-8") != render():
            sys.exit(f"{SOURCES_YML} is stale: run python -m pipelines.lib.dbt_sources")
        return
    SOURCES_YML.write_text(render(), encoding="utf-8")
    print(f"wrote {SOURCES_YML}")


if __name__ == "__main__":
    main()
