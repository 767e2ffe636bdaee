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
            "appeal_status": "none",
        }
    ).reindex(columns=open_bad.columns).astype(open_bad.dtypes.to_dict())  # not visited
    return {**frames, "open_bad": pd.concat([open_bad, extra], ignore_index=True)}


# Tables a snapshot takes from the sources' reference data rather than from facts.
REFERENCE_TABLES = ("units", "departments", "items")


def hand_made(frames: dict, **tables: list[dict]) -> dict:
    """The frames with every fact table replaced by explicit rows (no rows where none are given), in each table's own
    columns and dtypes, so the schema is the snapshot's whatever it holds; a number a row leaves out is 0. The
    reference tables (units, departments, items) stay."""
    out = {}
    for name, frame in frames.items():
        if name in REFERENCE_TABLES:
            out[name] = frame
            continue
        rows = pd.DataFrame(tables.get(name, []), columns=frame.columns)
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        rows[numeric] = rows[numeric].fillna(0)
        out[name] = rows.astype(frame.dtypes.to_dict())
    unknown = set(tables) - set(frames)
    assert not unknown, f"no such snapshot tables: {sorted(unknown)}"
    return out
