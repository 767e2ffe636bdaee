"""Figures of the data-quality page: bad rows by reason, and by month."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import FONT_FAMILY, TEMPLATE

REASON_COLOURS = {
    "unknown_unit": "#c0392b",
    "unknown_code": "#e67e22",
    "bad_score": "#8e44ad",
    "bad_value": "#8e44ad",
    "null_time": "#7f8c8d",
    "future_time": "#2980b9",
    "completed_before_submitted": "#16a085",
    "rectified_before_created": "#16a085",
    "duplicate_id": "#d4ac0d",
}


def _layout(fig: go.Figure, y_title: str) -> go.Figure:
    fig.update_layout(
        barmode="stack",
        font={"family": FONT_FAMILY},
        template=TEMPLATE,
        margin={"l": 8, "r": 8, "t": 30, "b": 8},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        yaxis={"title": {"text": y_title}, "automargin": True, "rangemode": "tozero"},
        xaxis={"automargin": True},
        plot_bgcolor="#ffffff",
    )
    return fig


def reasons_by_table(counts: pd.DataFrame, table_labels: dict, reason_labels: dict, y_title: str) -> go.Figure:
    """Stacked bars: one bar per table, one segment per reason."""
    totals = counts.groupby(["table", "reason"], as_index=False)["rows"].sum()
    fig = go.Figure()
    for reason, label in reason_labels.items():
        part = totals[totals["reason"] == reason]
        if part.empty:
            continue
        fig.add_bar(
            x=[table_labels[t] for t in part["table"]],
            y=part["rows"],
            name=label,
            marker_color=REASON_COLOURS.get(reason),
            hovertemplate=f"{label}: %{{y:,}}<extra>%{{x}}</extra>",
        )
    return _layout(fig, y_title)


def reasons_by_month(counts: pd.DataFrame, reason_labels: dict, y_title: str, no_date: str) -> go.Figure:
    """Stacked bars over months; rows with no usable date in a bar of their own at the end."""
    monthly = counts.groupby(["month", "reason"], as_index=False)["rows"].sum()
    months = sorted(m for m in monthly["month"].unique() if m)
    order = months + ([no_date] if (monthly["month"] == "").any() else [])
    fig = go.Figure()
    for reason, label in reason_labels.items():
        part = monthly[monthly["reason"] == reason]
        if part.empty:
            continue
        fig.add_bar(
            x=[m or no_date for m in part["month"]],
            y=part["rows"],
            name=label,
            marker_color=REASON_COLOURS.get(reason),
            hovertemplate=f"{label}: %{{y:,}}<extra>%{{x}}</extra>",
        )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    return _layout(fig, y_title)
