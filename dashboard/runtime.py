"""Everything a running app holds: settings, city, boundaries, sources and the snapshot reader."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from dashboard.regions import City, areas, bounds, map_view
from dashboard.settings import Settings
from dashboard.snapshot import SnapshotReader
from dashboard.sources import Sources


@dataclass
class Runtime:
    """State of one app instance, created by the app factory and shared by its callbacks."""

    settings: Settings
    city: City
    geojson: dict
    sources: Sources
    store: object
    reader: SnapshotReader
    geojson_url: str = "/boundaries.geojson"

    @cached_property
    def areas(self) -> dict[str, float]:
        """Area in km² per unit code."""
        return areas(self.geojson, self.city.code_property)

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """Bounding box of the city's boundaries."""
        return bounds(self.geojson)

    def map_view(self, width_px: int = 720, height_px: int = 580) -> dict:
        """Center and zoom that fit the city in a map of this size."""
        return map_view(self.bounds, width_px, height_px)
