"""Bad-row rules of ../shared/DATA.md, run as SQL in the source: counted per reason, listed in pages."""

from __future__ import annotations

# Reasons per fact table, in order of precedence: a row that breaks several rules counts once, under the first.
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
