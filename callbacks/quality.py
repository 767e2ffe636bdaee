"""Data-quality callbacks: filter the snapshot's bad-row counts and listing."""

from __future__ import annotations

from dash import Input, Output, State

from callbacks.context import clear_error, current_view, page_lang
from callbacks.registry import page_callback
from dashboard.answers import quality as answers
from dashboard.errors import BadInput
from dashboard.figures.quality import reasons_by_month, reasons_by_table
from dashboard.i18n import t
from dashboard.quality import REASONS, all_reasons
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
    """Charts and listing of bad rows for the chosen table and reason: parse, view, answer, render."""
    params = answers.parse(table, reason)
    lang = page_lang(search)
    view = current_view()
    if view is None:
        raise BadInput(t("error.no_data", lang))
    counts = answers.counts(view, params).rows
    tables = {k: t(f"table.{k}", lang) for k in REASONS}
    reasons = {r: t(f"reason.{r}", lang) for r in all_reasons()}
    rows_label = t("quality.rows", lang)
    by_reason = reasons_by_table(counts, tables, reasons, rows_label)
    by_month = reasons_by_month(counts, reasons, rows_label, t("quality.no_date", lang))
    listing = answers.listing(view, params).rows.copy()
    listing["table"] = listing["table"].map(tables)
    listing["reason"] = listing["reason"].map(reasons)
    clear_error()
    return by_reason, by_month, listing.to_dict("records")
