"""Bad-row reasons of the data contract, and the pure transforms the data-quality page needs."""

from __future__ import annotations

import pandas as pd

# Reasons per fact table, in order of precedence: a row breaking several rules counts under the first.
REASONS = {
    "service_request": (
        "unknown_unit",
        "unknown_code",
        "null_time",
        "future_time",
        "completed_before_submitted",
        "duplicate_id",
    ),
    "review": (
        "unknown_unit",
        "unknown_code",
        "bad_score",
        "null_time",
        "future_time",
        "rectified_before_created",
        "duplicate_id",
    ),
    "district_indicator": (
        "unknown_unit",
        "unknown_code",
        "bad_value",
        "null_time",
        "future_time",
        "duplicate_id",
    ),
}
ALL = "all"


def all_reasons() -> list[str]:
    """Every reason once, in first-seen order."""
    return list(dict.fromkeys(r for reasons in REASONS.values() for r in reasons))


def valid_filter(table: str | None, reason: str | None) -> bool:
    """True when a (table, reason) filter names known values (or 'all')."""
    return (table == ALL or table in REASONS) and (reason == ALL or reason in all_reasons())


def filtered(frame: pd.DataFrame, table: str, reason: str) -> pd.DataFrame:
    """Rows of a counts or listing frame for one table and reason ('all' keeps every value)."""
    keep = pd.Series(True, index=frame.index)
    if table != ALL:
        keep &= frame["table"] == table
    if reason != ALL:
        keep &= frame["reason"] == reason
    return frame[keep]


def summary(counts: pd.DataFrame, source_rows: dict[str, int]) -> pd.DataFrame:
    """Per fact table: all rows, bad rows and the bad share (0 where a table is empty)."""
    bad = counts.groupby("table")["rows"].sum() if not counts.empty else pd.Series(dtype="int64")
    rows = [
        {
            "table": table,
            "rows": int(source_rows.get(table, 0)),
            "bad": int(bad.get(table, 0)),
        }
        for table in REASONS
    ]
    out = pd.DataFrame(rows)
    out["share"] = (out["bad"] / out["rows"].where(out["rows"] > 0)).fillna(0.0)
    return out
