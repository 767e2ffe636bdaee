"""Refresh: read aggregates from the sources and publish them as one snapshot."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from dashboard.regions import City
from dashboard.snapshot import now_iso
from dashboard.sources import SourceError, Sources

log = logging.getLogger(__name__)

# Bad rows kept in a snapshot for the data-quality listing, per table and reason.
QUALITY_SAMPLE_PER_REASON = 100


def refresh(sources: Sources, store, city: City, now: datetime) -> int | None:
    """Publish a new snapshot; on a source failure keep the last good one and return None."""
    started = time.perf_counter()
    try:
        frames = {
            "units": sources.read_units(),
            "quality_counts": sources.bad_row_counts(city.codes, now),
            "quality_rows": sources.bad_row_sample(city.codes, now, QUALITY_SAMPLE_PER_REASON),
        }
        source_rows = sources.row_counts()
    except SourceError as exc:
        log.warning("refresh failed, keeping the last good snapshot: %s", exc)
        return None
    meta = {
        "duration_s": round(time.perf_counter() - started, 3),
        "source_rows": source_rows,
        "bad_rows": int(frames["quality_counts"]["rows"].sum()),
        "checked_at": now.isoformat(),
    }
    return store.publish(frames, as_of=now_iso(), meta=meta)
