"""Real official figures in the sample landing folder (pipelines/sample_data/reference_figures/).

The portal's 2026-10-10 table is landed in the shape its service-results API answers (one object
per province with code, name, total and groupScores), the figures unchanged; the governance index
tables are landed as the CSV they are. Every file is labelled with its source in the manifest.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from pipelines.sample_data.sinks import WrittenFile

REFERENCE_DIR = Path(__file__).parent / "reference_figures"
PORTAL_TABLE = "published_766_2026-10-10.csv"
# Read time and period in the name, as the contract reads them.
PORTAL_LANDED = "published_766_2026-ytd_2026-10-10T06-00.json"
PORTAL_SOURCE = (
    "National Public Service Portal service-results API, 2026 year to date read 2026-10-10 06:00 "
    "(public crawl hauphanquoc/766-Analyze data/provinces/2026-10-10.json)"
)
GROUP_MAXIMA = {"CKMB": 18, "TDGQ": 20, "CLGQ": 12, "MDSH": 22, "MDHL": 18, "TTTT": 10}
INDEX_TABLES = {
    "papi_2021_2024.csv": "PAPI 2021-2024 (CECODES/RTA/UNDP), totals of 8 dimensions summed in "
    "hnks-gh/ml-mcdm",
    "dti_2022.csv": "DTI 2022, Ministry of Information and Communications release 2023-07-12",
}


def portal_json(table: Path) -> list[dict[str, object]]:
    """The portal table as the API's records; scores as the numbers the table prints."""
    with table.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            "rank": int(row["rank"]),
            "code": row["dvcqg_code"],
            "name": row["province_name"],
            "total": float(row["total"]),
            "groupScores": [
                {"code": code, "score": float(row[code]), "maxScore": maximum}
                for code, maximum in GROUP_MAXIMA.items()
            ],
        }
        for row in rows
    ]


def write_official_figures(out: Path) -> list[WrittenFile]:
    portal = out / "published_index" / PORTAL_LANDED
    portal.parent.mkdir(parents=True, exist_ok=True)
    records = portal_json(REFERENCE_DIR / PORTAL_TABLE)
    portal.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    written = [
        WrittenFile(
            "published_index",
            portal,
            "json",
            len(records),
            first_month="2026-01",
            last_month="2026-10",
            notes=["real figures", f"source={PORTAL_SOURCE}"],
        )
    ]
    folder = out / "governance_indices"
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in INDEX_TABLES.items():
        target = folder / name
        shutil.copyfile(REFERENCE_DIR / name, target)
        with target.open(encoding="utf-8") as handle:
            rows = sum(1 for _ in handle) - 1
        written.append(
            WrittenFile(
                "governance_indices",
                target,
                "csv",
                rows,
                notes=["real figures", f"source={source}"],
            )
        )
    return written
