"""Everything a running app holds: settings, city, boundaries, sources and the snapshot reader."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property

from dashboard.access import Decision, Viewer, decide, require
from dashboard.clock import Clock
from dashboard.refresh import refresh, run_every
from dashboard.regions import City, areas, bounds, map_view
from dashboard.settings import Settings
from dashboard.snapshot import SnapshotReader
from dashboard.sources import Sources
from dashboard.view import AnswerCache, Scope, View
from dashboard.workdays import Deadlines

log = logging.getLogger(__name__)

# /health pings the sources at most this often (a load balancer may ask every second).
SOURCE_PING_SECONDS = 5.0

# Answers kept per snapshot version (models, metric tables, rendered panels): enough for every page a team views.
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
    users: object = None  # dashboard.users.UserStore
    geojson_url: str = "/boundaries.geojson"
    alert_sink: object = None  # called with (events, version) after a refresh publishes; set for a refresher only
    feed_step: object = None  # the live demo feed (called with "now"); only on demo data, never in a web worker
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _pinged: tuple | None = field(default=None, repr=False)
    _ping_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    answers: AnswerCache = field(default_factory=lambda: AnswerCache(MEMO_ENTRIES), repr=False)
    _deadlines_checked: set = field(default_factory=set, repr=False)

    def __post_init__(self):
        if self.clock is None:
            self.clock = self.settings.clock()

    @cached_property
    def deadlines(self) -> Deadlines:
        """The review rules' deadlines on the configured calendar (the official one is built once per process)."""
        return self.settings.deadlines()

    def deadlines_for(self, judged: str | None) -> Deadlines:
        """This process's deadlines, re-read from the settings when a snapshot was judged on others (the calendar
        file changed after this process started, and the refresher read the new one): a page then counts what is
        due with the calendar the rectifications were judged on. Read again once per unknown fingerprint."""
        rules = self.deadlines
        if judged is None or judged == rules.fingerprint() or judged in self._deadlines_checked:
            return rules
        self._deadlines_checked.add(judged)
        try:
            fresh = self.settings.deadlines()
        except Exception as exc:  # noqa: BLE001 - a file broken since start: keep serving with the rules held
            log.error("cannot re-read the review deadlines: %s", exc)
            return rules
        if fresh.fingerprint() == judged:
            self.__dict__["deadlines"] = fresh  # the cached property, replaced
            return fresh
        log.warning("the snapshot was judged on other review deadlines than this process's settings")
        return rules

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

    def decide(self, viewer: Viewer | None) -> Decision:
        """What a viewer may see and do (dashboard.access.decide over this city's units)."""
        return decide(viewer, self.city.codes)

    def view(self, decision: Decision) -> View | None:
        """The current snapshot pinned for one request, seen through the decision's scope; None before the first
        snapshot. Deny by default: a decision that may not view raises AccessDenied. Read the reader once per
        request, then only through the view."""
        require(decision, "view")
        snap = self.reader.get()
        if snap is None:
            return None
        return View(
            snapshot=snap,
            city=self.city,
            scope=Scope(decision.units),
            cache=self.answers,
            deadlines=self.deadlines_for(snap.meta.get("deadlines")),
            weights=self.settings.weights,
            timezone=self.settings.timezone,
        )

    def source_status(self) -> dict[str, dict]:
        """Whether each source answers: {name: {ok, error}}, pinged at most every SOURCE_PING_SECONDS by one caller
        at a time (the others get the last answer, or nothing before the first)."""
        cached = self._pinged
        if cached is not None and time.monotonic() - cached[0] < SOURCE_PING_SECONDS:
            return cached[1]
        if not self._ping_lock.acquire(blocking=False):
            return cached[1] if cached is not None else {}
        try:
            status = {name: {"ok": error is None, "error": error} for name, error in self.sources.ping().items()}
            self._pinged = (time.monotonic(), status)
            return status
        finally:
            self._ping_lock.release()

    def refresh_now(self, full: bool = False) -> int | None:
        """Refresh the snapshot from the sources with this runtime's settings."""
        return refresh(
            self.sources,
            self.store,
            self.city,
            self.clock.now(),
            deadlines=self.deadlines,
            late_hours=self.settings.late_window_hours,
            full=full,
            alert_rules=self.settings.alert_rules(),
            on_alert_events=self.alert_sink,
        )

    def start_scheduler(self) -> threading.Thread:
        """Refresh every `refresh_seconds` in a daemon thread until stop_scheduler(); after a failure, retry with
        backoff (dashboard.refresh.run_every)."""

        def step() -> bool:
            return self.refresh_now() is not None or self.store.last_failure() is None

        def loop() -> None:
            if not self._stop.wait(self.settings.refresh_seconds):
                run_every(step, self.settings.refresh_seconds, self._stop.wait)

        thread = threading.Thread(target=loop, name="onescreen-refresh", daemon=True)
        thread.start()
        return thread

    def start_feed(self) -> threading.Thread | None:
        """Step the live demo feed every `demo_feed_seconds` in a daemon thread until stop_scheduler() (nothing
        without a feed). The refresh thread picks its rows up."""
        if self.feed_step is None:
            return None

        def step() -> bool:
            self.feed_step(self.clock.now())
            return True

        thread = threading.Thread(target=run_every, args=(step, self.settings.demo_feed_seconds, self._stop.wait),
                                  name="onescreen-demo-feed", daemon=True)
        thread.start()
        return thread

    def stop_scheduler(self) -> None:
        """Stop the refresh (and demo feed) threads after their current round."""
        self._stop.set()
