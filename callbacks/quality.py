"""Data-quality callbacks: filter the snapshot's bad-row counts and listing."""

from __future__ import annotations

from dash import Input, Output, State

from callbacks.context import page_lang, runtime
from callbacks.registry import page_callback
from dashboard.errors import BadInput
from dashboard.figures.quality import reasons_by_month, reasons_by_table
from dashboard.i18n import t
from dashboard.quality import REASONS, all_reasons, filtered, valid_filter
from layouts import ids


@page_callback(
    Output(ids.QUALITY_BY_REASON, "figure"),
    Output(ids.QUALITY_BY_MONTH, "figure"),
    Output(ids.QUALITY_GRID, "rowData"),
    Input(ids.QUALITY_TABLE, "value"),
    Input(ids.QUALITY_REASON, "value"),
    State(ids.URL, "search"),
)
def update_quality(table, reason, search):
    """Charts and listing of bad rows for the chosen table and reason."""
    if not valid_filter(table, reason):
        raise BadInput(f"unknown table or reason: {table!r}, {reason!r}")
    lang = page_lang(search)
    snap = runtime().reader.get()
    if snap is None:
        raise BadInput(t("error.no_data", lang))
    counts = filtered(snap.frames["quality_counts"], table, reason)
    tables = {k: t(f"table.{k}", lang) for k in REASONS}
    reasons = {r: t(f"reason.{r}", lang) for r in all_reasons()}
    rows_label = t("quality.rows", lang)
    by_reason = reasons_by_table(counts, tables, reasons, rows_label)
    by_month = reasons_by_month(counts, reasons, rows_label, t("quality.no_date", lang))
    listing = filtered(snap.frames["quality_rows"], table, reason).copy()
    listing["table"] = listing["table"].map(tables)
    listing["reason"] = listing["reason"].map(reasons)
    return by_reason, by_month, listing.to_dict("records")
