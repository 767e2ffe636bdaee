"""The one clock: every "now" of One Screen comes from here, so that a test (or a screenshot) can set it.

Sources store naive local timestamps (docs/metrics.md), so "now" is the city's local time, naive, to the second.
It is the machine's clock read in the city's time zone, unless `ONESCREEN_NOW` fixes it, or a test sets it.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo


class Clock:
    """Now in one time zone; fixed when given a time, the machine's clock otherwise."""

    def __init__(self, timezone: str, fixed: datetime | None = None):
        self.zone = ZoneInfo(timezone)
        self._lock = threading.Lock()
        self._fixed = fixed

    def now(self) -> datetime:
        """Local time in the city, naive, to the second."""
        with self._lock:
            fixed = self._fixed
        if fixed is not None:
            return fixed.replace(microsecond=0)
        return datetime.now(self.zone).replace(tzinfo=None, microsecond=0)

    def today(self) -> date:
        """The city's local date."""
        return self.now().date()

    def epoch_ms(self) -> int:
        """Now as milliseconds since the epoch (what a browser's Date compares with)."""
        return round(self.now().replace(tzinfo=self.zone).timestamp() * 1000)

    def set(self, when: datetime | None) -> None:
        """Fix the clock at a local time (None: back to the machine's clock). For tests."""
        with self._lock:
            self._fixed = when

    @property
    def fixed(self) -> bool:
        """True when the clock is set rather than read from the machine."""
        return self._fixed is not None


def machine_seconds() -> int:
    """The machine's time in whole seconds since the epoch, whatever the app's clock says. Only for identifiers
    that must keep growing while the app's clock may be fixed (ONESCREEN_NOW, tests): a Redis snapshot counter
    that Redis lost starts again from here. Never for the time of data."""
    return int(time.time())
