"""Everything a running app holds: settings, city, boundaries, sources and the snapshot reader."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from dashboard.clock import local_now
from dashboard.metrics import metric_table
from dashboard.refresh import refresh
from dashboard.regions import City, areas, bounds, map_view
from dashboard.settings import Settings
from dashboard.snapshot import SnapshotReader
from dashboard.sources import Sources

log = logging.getLogger(__name__)


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
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _tables: dict = field(default_factory=dict, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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

    def metric_table(self, granularity: str):
        """metrics.metric_table of the current snapshot for 'month' or 'year', computed once per version."""
        snap = self.reader.get()
        if snap is None:
            return None, None
        key = (snap.version, granularity)
        with self._cache_lock:
            if key not in self._tables:
                as_of = datetime.fromisoformat(snap.meta.get("watermark") or snap.as_of)
                table = metric_table(snap.frames, granularity, as_of, self.settings.rectification_days)
                self._tables = {k: v for k, v in self._tables.items() if k[0] == snap.version} | {key: table}
            return snap, self._tables[key]

    def refresh_now(self, full: bool = False) -> int | None:
        """Refresh the snapshot from the sources with this runtime's settings."""
        return refresh(
            self.sources,
            self.store,
            self.city,
            local_now(self.settings.timezone),
            rectification_days=self.settings.rectification_days,
            late_hours=self.settings.late_window_hours,
            full=full,
        )

    def start_scheduler(self) -> threading.Thread:
        """Refresh every `refresh_seconds` in a daemon thread until stop_scheduler()."""

        def loop() -> None:
            while not self._stop.wait(self.settings.refresh_seconds):
                try:
                    self.refresh_now()
                except Exception:
                    log.exception("scheduled refresh failed")

        thread = threading.Thread(target=loop, name="onescreen-refresh", daemon=True)
        thread.start()
        return thread

    def stop_scheduler(self) -> None:
        """Stop the refresh thread after its current refresh."""
        self._stop.set()
