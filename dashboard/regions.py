"""Units of the city, their balance groups, and the boundary asset that draws them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

GROUPS = ("core", "outer", "county")
KINDS = ("district", "county", "county_city")
BUILTIN_CITIES = Path(__file__).parent / "cities"
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


class CityError(Exception):
    """The city definition or its boundaries are unusable; the message says what is wrong."""


@dataclass(frozen=True)
class Unit:
    """One county-level unit of the city."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    group: str
    population: int

    def name(self, lang: str) -> str:
        """Display name in a language."""
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class City:
    """A city: its units, where its boundaries are, and which feature property holds the unit code."""

    code: str
    name_zh: str
    name_en: str
    units: tuple[Unit, ...]
    boundaries_path: Path
    code_property: str = "code"
    population_year: int | None = None

    def name(self, lang: str) -> str:
        """Display name in a language."""
        return self.name_en if lang == "en" else self.name_zh

    @property
    def codes(self) -> tuple[str, ...]:
        """Unit codes in definition order."""
        return tuple(u.code for u in self.units)

    def unit(self, code: str) -> Unit | None:
        """The unit with this code, or None for a code that is not one of the city's."""
        return next((u for u in self.units if u.code == code), None)

    def units_frame(self) -> pd.DataFrame:
        """Units as a frame: code, name_zh, name_en, kind, group, population."""
        return pd.DataFrame([u.__dict__ for u in self.units])


def city_file(ref: str) -> Path:
    """Resolve a built-in city name or a path to its JSON file."""
    builtin = BUILTIN_CITIES / f"{ref}.json"
    path = builtin if builtin.is_file() else Path(ref)
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in BUILTIN_CITIES.glob("*.json")))
        raise CityError(f"ONESCREEN_CITY={ref!r}: no such built-in city ({names}) and no such file")
    return path


def load_city(ref: str) -> City:
    """Read and check a city definition (built-in name or JSON path)."""
    path = city_file(ref)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        units = tuple(
            Unit(str(u["code"]), u["name_zh"], u["name_en"], u["kind"], u["group"], int(u["population"]))
            for u in raw["units"]
        )
        boundaries = Path(raw["boundaries"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CityError(f"{path}: malformed city definition ({exc!r})") from exc
    codes = [u.code for u in units]
    if len(set(codes)) != len(codes):
        raise CityError(f"{path}: duplicate unit codes")
    for u in units:
        if u.group not in GROUPS or u.kind not in KINDS or u.population <= 0:
            raise CityError(f"{path}: unit {u.code} needs group in {GROUPS}, kind in {KINDS}, population > 0")
    if not boundaries.is_absolute():
        boundaries = ASSETS_DIR / boundaries
    return City(
        code=str(raw["code"]),
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        units=units,
        boundaries_path=boundaries,
        code_property=raw.get("code_property", "code"),
        population_year=raw.get("population_year"),
    )


def load_boundaries(city: City) -> dict:
    """Read the boundary GeoJSON and check it carries exactly the city's unit codes."""
    try:
        geojson = json.loads(city.boundaries_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CityError(f"boundaries {city.boundaries_path}: {exc}") from exc
    found = {str(f["properties"].get(city.code_property)) for f in geojson.get("features", [])}
    missing, extra = set(city.codes) - found, found - set(city.codes)
    if missing or extra:
        raise CityError(
            f"boundaries {city.boundaries_path}: property {city.code_property!r} lacks {sorted(missing)}"
            f" and has unknown {sorted(extra)}"
        )
    return geojson


def _coordinates(geometry: dict):
    """Every (lon, lat) pair of a Polygon or MultiPolygon."""
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    for poly in polys:
        for ring in poly:
            yield from ring


def bounds(geojson: dict) -> tuple[float, float, float, float]:
    """(lon_min, lat_min, lon_max, lat_max) of all features."""
    lons, lats = zip(*(pt[:2] for f in geojson["features"] for pt in _coordinates(f["geometry"])))
    return min(lons), min(lats), max(lons), max(lats)


def areas(geojson: dict, code_property: str) -> dict[str, float]:
    """Area in km² per unit code, from the asset's area_km2 property where present."""
    return {
        str(f["properties"][code_property]): float(f["properties"]["area_km2"])
        for f in geojson["features"]
        if f["properties"].get("area_km2") is not None
    }


def map_view(box: tuple[float, float, float, float], width_px: int, height_px: int) -> dict:
    """Center and zoom of a web-mercator map that fits a bounding box into a plot area."""
    lon_min, lat_min, lon_max, lat_max = box

    def merc_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    x_frac = (lon_max - lon_min) / 360.0
    y_frac = (merc_y(lat_max) - merc_y(lat_min)) / (2 * math.pi)
    zoom = min(math.log2(width_px / 512 / x_frac), math.log2(height_px / 512 / y_frac))
    center_lat = math.degrees(2 * math.atan(math.exp((merc_y(lat_min) + merc_y(lat_max)) / 2)) - math.pi / 2)
    return {"center": {"lon": (lon_min + lon_max) / 2, "lat": center_lat}, "zoom": round(zoom - 0.1, 2)}
