"""Extract the official administrative-unit lists from the `vietnam-provinces` wheel into CSV.

The package (GPL-3.0, Python >= 3.12) carries the statistics office lists; we must not import
it, so this one-off tool reads its source files with `ast` and writes only the facts (codes,
names, types, parent codes) to `dbt_project/seeds/reference/`. Run it again only to refresh:

    pip download --no-deps --python-version 3.12 --only-binary=:all: -d /tmp/vnp vietnam-provinces
    python -m pipelines.sample_data.extract_reference /tmp/vnp/vietnam_provinces-*.whl
"""

from __future__ import annotations

import argparse
import ast
import csv
import zipfile
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "reference"
PACKAGE = "vietnam_provinces"


def _read(wheel: zipfile.ZipFile, member: str) -> ast.Module:
    return ast.parse(wheel.read(f"{PACKAGE}/{member}").decode("utf-8"))


def _division_types(module: ast.Module) -> dict[str, str]:
    """Map `VietNamDivisionType` member names to their Vietnamese values ('tỉnh', 'xã', ...)."""
    for node in module.body:
        if isinstance(node, ast.ClassDef) and node.name == "VietNamDivisionType":
            return {
                stmt.targets[0].id: stmt.value.value
                for stmt in node.body
                if isinstance(stmt, ast.Assign)
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Constant)
            }
    raise ValueError("VietNamDivisionType not found")


def _mapping(module: ast.Module, name: str) -> ast.Dict:
    for node in module.body:
        target = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        if target == name and isinstance(value, ast.Dict):
            return value
    raise ValueError(f"{name} not found")


def _code_suffix(node: ast.expr) -> int:
    """`ProvinceCode.P_01` / `DistrictCode.D_001` / `WardCode.W_00004` -> the integer code."""
    assert isinstance(node, ast.Attribute)
    return int(node.attr.split("_", 1)[1])


def _units(mapping: ast.Dict, types: dict[str, str]) -> list[tuple[str, str, int]]:
    """Rows of (name, type, parent code) from Province/District/Ward(...) constructor calls."""
    rows = []
    for value in mapping.values:
        assert isinstance(value, ast.Call)
        args = value.args
        name = args[0].value  # type: ignore[attr-defined]
        division_type = types[args[2].attr]  # type: ignore[attr-defined]
        parent = (
            _code_suffix(args[4]) if len(args) > 4 and isinstance(args[4], ast.Attribute) else 0
        )
        rows.append((name, division_type, parent, _code_suffix(args[1])))
    return rows


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    rows = sorted(rows, key=lambda row: str(row[0]))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"{path.name}: {len(rows)} rows")


def extract(wheel_path: Path, out_dir: Path = REFERENCE_DIR) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel_path) as wheel:
        legacy_types = _division_types(_read(wheel, "legacy/base.py"))
        current_types = _division_types(_read(wheel, "base.py"))
        legacy = _read(wheel, "legacy/_lookup.py")
        current = _read(wheel, "_lookup.py")
        conversion = _read(wheel, "_ward_conversion_2025.py")

    legacy_provinces = _units(_mapping(legacy, "PROVINCE_MAPPING"), legacy_types)
    legacy_districts = _units(_mapping(legacy, "DISTRICT_MAPPING"), legacy_types)
    legacy_wards = _units(_mapping(legacy, "WARD_MAPPING"), legacy_types)
    current_provinces = _units(_mapping(current, "PROVINCE_MAPPING"), current_types)
    current_wards = _units(_mapping(current, "WARD_MAPPING"), current_types)
    district_province = {code: parent for _, _, parent, code in legacy_districts}

    _write(
        out_dir / "ref_legacy_provinces.csv",
        ["code", "name", "type"],
        [[f"{code:02d}", name, kind] for name, kind, _, code in legacy_provinces],
    )
    _write(
        out_dir / "ref_legacy_districts.csv",
        ["code", "name", "type", "province_code"],
        [
            [f"{code:03d}", name, kind, f"{parent:02d}"]
            for name, kind, parent, code in legacy_districts
        ],
    )
    _write(
        out_dir / "ref_legacy_communes.csv",
        ["code", "name", "type", "province_code", "district_code"],
        [
            [f"{code:05d}", name, kind, f"{district_province[parent]:02d}", f"{parent:03d}"]
            for name, kind, parent, code in legacy_wards
        ],
    )
    _write(
        out_dir / "ref_current_provinces.csv",
        ["code", "name", "type"],
        [[f"{code:02d}", name, kind] for name, kind, _, code in current_provinces],
    )
    _write(
        out_dir / "ref_current_communes.csv",
        ["code", "name", "type", "province_code"],
        [
            [f"{code:05d}", name, kind, f"{parent:02d}"]
            for name, kind, parent, code in current_wards
        ],
    )

    # OLD_TO_NEW: {old: OldToNewEntry(OldWardRef(code, district, province, partly),
    #                                 (NewWardRef(code, province), ...))}
    # The package's conversion table copies a province code per old ward, and one of them is
    # wrong (ward 27691, Phường 4 of Tân An, Long An, is tagged Tiền Giang 82; that is why the
    # package lists Tiền Giang among new Tây Ninh's sources). The ward's own legacy record is
    # authoritative, so parent codes come from it and every correction is printed.
    legacy_ward_parents = {
        code: (parent, district_province[parent]) for _, _, parent, code in legacy_wards
    }
    conversion_rows: list[list[object]] = []
    for value in _mapping(conversion, "OLD_TO_NEW").values:
        assert isinstance(value, ast.Call)
        old_ref, new_refs = value.args
        assert isinstance(old_ref, ast.Call) and isinstance(new_refs, ast.Tuple)
        old_code, old_district, old_province, partly = (a.value for a in old_ref.args)  # type: ignore[attr-defined]
        if legacy_ward_parents.get(old_code, (old_district, old_province)) != (
            old_district,
            old_province,
        ):
            print(
                f"corrected ward {old_code:05d}: package says district {old_district:03d} "
                f"province {old_province:02d}, legacy list says "
                f"{legacy_ward_parents[old_code][0]:03d}/{legacy_ward_parents[old_code][1]:02d}"
            )
            old_district, old_province = legacy_ward_parents[old_code]
        for new_ref in new_refs.elts:
            assert isinstance(new_ref, ast.Call)
            new_code, new_province = (a.value for a in new_ref.args)  # type: ignore[attr-defined]
            conversion_rows.append(
                [
                    f"{old_code:05d}",
                    f"{old_district:03d}",
                    f"{old_province:02d}",
                    f"{new_code:05d}",
                    f"{new_province:02d}",
                    str(bool(partly)).lower(),
                ]
            )
    conversion_rows.sort(key=lambda row: (row[0], row[3]))
    _write(
        out_dir / "ref_commune_conversion_2025.csv",
        [
            "legacy_commune_code",
            "legacy_district_code",
            "legacy_province_code",
            "current_commune_code",
            "current_province_code",
            "is_partly_merged",
        ],
        conversion_rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="vietnam_provinces-2026.x-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR)
    args = parser.parse_args()
    extract(args.wheel, args.out)


if __name__ == "__main__":
    main()
