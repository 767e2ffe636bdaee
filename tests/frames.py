"""Snapshot frames changed on purpose by tests, built from explicit rows rather than from whatever the demo holds."""

from __future__ import annotations

import pandas as pd


def with_overdue(frames: dict, unit: str, n: int, now) -> dict:
    """The frames with `n` more open bad reviews in a unit, created 60 days before `now` (so all overdue)."""
    open_bad = frames["open_bad"]
    extra = pd.DataFrame(
        {
            "review_id": [f"TEST{i:05d}" for i in range(n)],
            "unit": unit,
            "department_code": "GAJ",
            "item_code": "GAJ-01",
            "channel": "window",
            "score": 1,
            "created_at": pd.Timestamp(now) - pd.Timedelta(days=60),
        }
    ).astype(open_bad.dtypes.to_dict())
    return {**frames, "open_bad": pd.concat([open_bad, extra], ignore_index=True)}
