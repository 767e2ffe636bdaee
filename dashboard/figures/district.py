"""Figures of the district page, each drawn from one answer's rows: a unit against the city and its group."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.balance import ACCENT, style

SERIES_STYLE = {
    "unit": {"color": ACCENT, "width": 3, "dash": "solid"},
    "city": {"color": "#7f8c8d", "width": 2, "dash": "dash"},
    "group_median": {"color": "#e09f3e", "width": 2, "dash": "dot"},
}
CHANNEL_COLOURS = {"web": "#1f5fa8", "app": "#2a9d8f", "window": "#e09f3e", "self_service": "#8e44ad",
                   "hotline": "#c0392b"}


def comparison_lines(rows: pd.DataFrame, metric: str, series_labels: dict[str, str], value_format: str,
                     title: str) -> go.Figure:
    """One metric over time: a line per series (the unit, the city, the group median), from long rows
    (period, metric, series, value)."""
    part = rows[rows["metric"] == metric]
    fig = go.Figure()
    for series, label in series_labels.items():
        line = part[part["series"] == series].sort_values("period")
        fig.add_scatter(
            x=line["period"], y=line["value"], mode="lines+markers", name=label, line=SERIES_STYLE[series],
            marker={"size": 4}, hovertemplate=f"{label} %{{x}}: %{{y:{value_format}}}<extra></extra>",
        )
    return style(fig, title={"text": title, "font": {"size": 14}, "y": 0.97}, xaxis={"type": "category", "nticks": 8},
                  yaxis={"tickformat": value_format, "rangemode": "tozero"}, margin={"l": 8, "r": 8, "t": 36, "b": 8},
                  legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0, "font": {"size": 11}})


def dimension_bars(rows: pd.DataFrame, dimension_labels: dict[str, str], series_labels: dict[str, str]) -> go.Figure:
    """Composite scores by dimension (0-100): grouped bars for the unit, its group's median and the city."""
    fig = go.Figure()
    for series, label in series_labels.items():
        fig.add_bar(x=[dimension_labels[d] for d in rows["dimension"]], y=rows[series], name=label,
                    marker_color=SERIES_STYLE[series]["color"],
                    hovertemplate=f"{label} %{{x}}: %{{y:.1f}}<extra></extra>")
    return style(fig, barmode="group", yaxis={"range": [0, 100], "title": {"text": "0–100"}})


def pareto_figure(rows: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Items by count, largest first, with the cumulative share on a second axis."""
    fig = go.Figure()
    fig.add_bar(x=rows["name"], y=rows["count"], name=labels["count"], marker_color=ACCENT,
                hovertemplate="%{x}: %{y:,}<extra></extra>")
    fig.add_scatter(x=rows["name"], y=rows["cumulative_share"], name=labels["cumulative"], yaxis="y2",
                    mode="lines+markers", line={"color": "#c0392b"}, hovertemplate="%{x}: %{y:.0%}<extra></extra>")
    return style(
        fig,
        xaxis={"type": "category", "tickangle": -35},
        yaxis={"title": {"text": labels["count"]}},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.02], "tickformat": ".0%", "showgrid": False},
    )


def channel_mix_figure(rows: pd.DataFrame, channel_labels: dict[str, str], y_title: str) -> go.Figure:
    """Each channel's share of the unit's requests per period, stacked to 100%."""
    fig = go.Figure()
    for channel, label in channel_labels.items():
        part = rows[rows["channel"] == channel].sort_values("period")
        fig.add_scatter(x=part["period"], y=part["share"], name=label, mode="lines", stackgroup="mix",
                        line={"color": CHANNEL_COLOURS.get(channel)}, customdata=part[["requests"]].to_numpy(),
                        hovertemplate=f"{label} %{{x}}: %{{y:.1%}} (%{{customdata[0]:,}})<extra></extra>")
    return style(fig, xaxis={"type": "category", "nticks": 8}, yaxis={"tickformat": ".0%", "range": [0, 1],
                                                                       "title": {"text": y_title}})


def channel_score_figure(rows: pd.DataFrame, channel_labels: dict[str, str], series_labels: dict[str, str],
                         y_title: str) -> go.Figure:
    """Each channel's mean review score: the unit beside the city."""
    fig = go.Figure()
    for series, label in series_labels.items():
        part = rows[rows["series"] == series].set_index("channel").reindex(list(channel_labels))
        fig.add_bar(x=list(channel_labels.values()), y=part["mean_score"], name=label,
                    marker_color=SERIES_STYLE[series]["color"], customdata=part[["reviews"]].to_numpy(),
                    hovertemplate=f"{label} %{{x}}: %{{y:.2f}} (%{{customdata[0]:,}})<extra></extra>")
    return style(fig, barmode="group", yaxis={"range": [1, 5], "title": {"text": y_title}})
