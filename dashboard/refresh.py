"""Refresh: read aggregates from the sources and publish them as one snapshot."""

from __future__ import annotations

import logging
import time

from dashboard.snapshot import now_iso
from dashboard.sources import SourceError, Sources

log = logging.getLogger(__name__)


def refresh(sources: Sources, store) -> int | None:
    """Publish a new snapshot; on a source failure keep the last good one and return None."""
    started = time.perf_counter()
    try:
        frames = {"units": sources.read_units()}
    except SourceError as exc:
        log.warning("refresh failed, keeping the last good snapshot: %s", exc)
        return None
    meta = {"duration_s": round(time.perf_counter() - started, 3)}
    return store.publish(frames, as_of=now_iso(), meta=meta)
