"""Everything a running app holds: settings, city, boundaries, sources and the snapshot reader."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from dashboard.clock import Clock
from dashboard.metrics import metric_table
from dashboard.refresh import refresh
from dashboard.regions import City, areas, bounds, map_view
from dashboard.settings import Settings
from dashboard.snapshot import SnapshotReader
from dashboard.sources import Sources

log = logging.getLogger(__name__)

# Results kept per snapshot version (figures, models, metric tables): enough for every page a team looks at.
MEMO_ENTRIES = 512


@dataclass
class Runtime:
    """State of one app instance, created by the app factory and shared by its callbacks."""

    settings: Settings
    city: City
    geojson: dict
    sources: Sources
    store: object
    reader: SnapshotReader
    clock: Clock | None = None
    geojson_url: str = "/boundaries.geojson"
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _memo: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        if self.clock is None:
            self.clock = self.settings.clock()

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

    def memo(self, key: tuple, build):
        """`build(snapshot)` computed once per snapshot version and key (a bounded LRU emptied when the version
        changes); returns (snapshot, value), or (None, None) before the first snapshot."""
        snap = self.reader.get()
        if snap is None:
            return None, None
        full_key = (snap.version, *key)
        with self._cache_lock:
            if full_key in self._memo:
                self._memo.move_to_end(full_key)
                return snap, self._memo[full_key]
        value = build(snap)
        with self._cache_lock:
            for stale in [k for k in self._memo if k[0] != snap.version]:
                del self._memo[stale]
            self._memo[full_key] = value
            while len(self._memo) > MEMO_ENTRIES:
                self._memo.popitem(last=False)
        return snap, value

    def metric_table(self, granularity: str):
        """metrics.metric_table of the current snapshot for 'month' or 'year', computed once per version."""

        def build(snap):
            as_of = datetime.fromisoformat(snap.meta.get("watermark") or snap.as_of)
            return metric_table(snap.frames, granularity, as_of, self.settings.rectification_days)

        return self.memo(("metric_table", granularity), build)

    def refresh_now(self, full: bool = False) -> int | None:
        """Refresh the snapshot from the sources with this runtime's settings."""
        return refresh(
            self.sources,
            self.store,
            self.city,
            self.clock.now(),
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
