"""The city's local time: sources store naive local timestamps (docs/metrics.md)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_now(timezone: str) -> datetime:
    """Now in the city's time zone, naive, to the second."""
    return datetime.now(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
