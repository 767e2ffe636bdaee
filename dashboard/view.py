"""The pinned view: one snapshot version, seen by one request through one scope.

Every page, export and API route reads the snapshot through a View made once per request
(`Runtime.view()`): whatever it computes during the request comes from that one version, even when a refresh
publishes a newer one meanwhile. Results are shared between requests in an `AnswerCache` keyed by the version,
the scope and validated parameters only (docs/development.md, "Answers").
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import pandas as pd

from dashboard.access import AccessDenied
from dashboard.composite import composite_by_period
from dashboard.metrics import metric_table
from dashboard.regions import City
from dashboard.snapshot import Snapshot
from dashboard.workdays import Deadlines, Rule


@dataclass(frozen=True)
class Scope:
    """The units a viewer may see (every unit of the city until roles arrive)."""

    units: frozenset[str]

    @property
    def key(self) -> str:
        """A short stable digest of the scope's contents, part of every cache key."""
        return hashlib.sha256(",".join(sorted(self.units)).encode()).hexdigest()[:16]


BUILD_WAIT_SECONDS = 30.0


class AnswerCache:
    """A bounded LRU of answers keyed by (version, scope, key...); entries of older versions are dropped when a
    newer version is first stored, and a request still pinned to an older version computes without storing. One
    build per missing key at a time (see get_or_build)."""

    def __init__(self, entries: int):
        self.entries = entries
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._newest = -1
        self._building: dict[tuple, threading.Event] = {}

    def get_or_build(self, key: tuple, build):
        """The cached value of `key`, else `build()` (stored unless its version is no longer the newest). When
        several requests want the same missing key at once (every wall after a refresh), one builds and the others
        wait for its value instead of each building it again on the same cores."""
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
                pending = self._building.get(key)
                if pending is None:
                    self._building[key] = threading.Event()
                    break
            # Stored by the builder (found above), or not stored (failed, or an older version): build it here. A
            # builder that hangs holds a waiter at most BUILD_WAIT_SECONDS.
            pending.wait(BUILD_WAIT_SECONDS)
        try:
            value = build()
            self._store(key, value)
            return value
        finally:
            with self._lock:
                done = self._building.pop(key, None)
            if done is not None:
                done.set()

    def _store(self, key: tuple, value) -> None:
        version = key[0]
        with self._lock:
            if version > self._newest:
                self._newest = version
                for stale in [k for k in self._items if k[0] < version]:
                    del self._items[stale]
            if version == self._newest:
                self._items[key] = value
                while len(self._items) > self.entries:
                    self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def as_of_time(snapshot: Snapshot) -> datetime:
    """The snapshot's local as-of time: the refresh watermark, else its as_of stamp."""
    return datetime.fromisoformat(snapshot.meta.get("watermark") or snapshot.as_of)


@dataclass(frozen=True)
class View:
    """One snapshot version for one request, with the viewer's scope and the settings the answers need."""

    snapshot: Snapshot
    city: City
    scope: Scope
    cache: AnswerCache
    deadlines: Deadlines
    weights: dict
    timezone: str

    @property
    def rectify(self) -> Rule:
        """The rectification deadline's rule (N working or calendar days)."""
        return self.deadlines.rectify

    @property
    def version(self) -> int:
        return self.snapshot.version

    @property
    def whole_city(self) -> bool:
        """True when the viewer may see every unit (so rows of every unit, and of unknown codes, may show)."""
        return self.scope.units >= frozenset(self.city.codes)

    def require_whole_city(self, what: str) -> None:
        """Refuse a panel whose rows cannot be cut to the viewer's units."""
        if not self.whole_city:
            raise AccessDenied(f"{what} shows every unit's rows")

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        return self.snapshot.frames

    @property
    def meta(self) -> dict:
        return self.snapshot.meta

    @cached_property
    def as_of(self) -> datetime:
        """The data's local as-of time (parsed once, here)."""
        return as_of_time(self.snapshot)

    @property
    def units(self) -> pd.DataFrame:
        """The units in scope: code, name_zh, name_en, group, population, …"""
        units = self.frames["units"]
        return units[units["code"].isin(self.scope.units)].reset_index(drop=True)

    def memo(self, key: tuple, build):
        """`build(self)`, computed once per version, scope and key across requests."""
        return self.cache.get_or_build((self.version, self.scope.key, *key), lambda: build(self))

    def metric_table(self, granularity: str) -> pd.DataFrame:
        """metrics.metric_table of this version for 'month', 'quarter' or 'year'."""
        return self.memo(
            ("metric_table", granularity),
            lambda v: metric_table(v.frames, granularity, v.as_of, v.rectify, v.deadlines.visit),
        )

    def composite_table(self, granularity: str) -> pd.DataFrame:
        """The composite index of every period of metric_table(granularity), with this view's weights."""
        return self.memo(("composite_table", granularity),
                         lambda v: composite_by_period(v.metric_table(granularity), v.weights))
