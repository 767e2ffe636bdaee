"""Answers of the data-quality page: bad-row counts (by reason and by month), the listing and the summary."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import quality
from dashboard.answers import Answer, provenance
from dashboard.errors import BadInput
from dashboard.view import View


@dataclass(frozen=True)
class QualityParams:
    """A validated filter: a fact table and a reason, each a known value or 'all'."""

    table: str
    reason: str


def parse(table, reason) -> QualityParams:
    """Validate the page's filters once."""
    if not (isinstance(table, str) and isinstance(reason, str) and quality.valid_filter(table, reason)):
        raise BadInput(f"unknown table or reason: {str(table)[:40]!r}, {str(reason)[:40]!r}")
    return QualityParams(table, reason)


def counts(view: View, p: QualityParams) -> Answer:
    """Bad rows per table, reason and month (both charts draw these rows)."""
    view.require_whole_city("the data-quality page")
    rows = quality.filtered(view.frames["quality_counts"], p.table, p.reason).reset_index(drop=True)
    return Answer(rows, provenance(view, "quality_counts", filters={"table": p.table, "reason": p.reason}))


def listing(view: View, p: QualityParams) -> Answer:
    """The kept bad rows (a bounded sample per reason), for inspection."""
    view.require_whole_city("the data-quality page")
    rows = quality.filtered(view.frames["quality_rows"], p.table, p.reason).reset_index(drop=True)
    return Answer(rows, provenance(view, "quality_rows", filters={"table": p.table, "reason": p.reason}))


def summary(view: View) -> Answer:
    """Per fact table: all rows, bad rows and the bad share, as of the last check."""
    view.require_whole_city("the data-quality page")
    rows = quality.summary(view.frames["quality_counts"], view.meta.get("source_rows", {}))
    return Answer(rows, provenance(view, "quality_summary", notes={"checked_at": view.meta.get("checked_at", "")}))
