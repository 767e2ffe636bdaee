"""Figures of the district page, each drawn from one answer's rows: a unit against the city and its group.

They are plain dicts ({"data": [...], "layout": {...}}), the JSON the browser receives, built without plotly's
figure objects: a never-asked district page draws thirteen figures, and validating each property through
`go.Figure` cost more than computing the answers (docs/benchmarks.md).
"""

from __future__ import annotations

import pandas as pd

from dashboard.figures import column, figure
from dashboard.figures.balance import ACCENT, light

SERIES_STYLE = {
    "unit": {"color": ACCENT, "width": 3, "dash": "solid"},
    "city": {"color": "#7f8c8d", "width": 2, "dash": "dash"},
    "group_median": {"color": "#e09f3e", "width": 2, "dash": "dot"},
}
CHANNEL_COLOURS = {"web": "#1f5fa8", "app": "#2a9d8f", "window": "#e09f3e", "self_service": "#8e44ad",
                   "hotline": "#c0392b"}


def line_trace(x, y, label: str, style: dict, value_format: str) -> dict:
    """One line with markers."""
    return {"type": "scatter", "x": column(x), "y": column(y), "mode": "lines+markers", "name": label,
            "line": style, "marker": {"size": 4},
            "hovertemplate": f"{label} %{{x}}: %{{y:{value_format}}}<extra></extra>"}


def comparison_lines(rows: pd.DataFrame, metric: str, series_labels: dict[str, str], value_format: str,
                     title: str) -> dict:
    """One metric over time: a line per series (the unit, the city, the group median), from long rows
    (period, metric, series, value)."""
    part = rows[rows["metric"] == metric]
    traces = []
    for series, label in series_labels.items():
        line = part[part["series"] == series].sort_values("period")
        traces.append(line_trace(line["period"], line["value"], label, SERIES_STYLE[series], value_format))
    return figure(traces, light(title={"text": title, "font": {"size": 14}, "y": 0.97},
                                xaxis={"type": "category", "nticks": 8},
                                yaxis={"tickformat": value_format, "rangemode": "tozero"},
                                margin={"l": 8, "r": 8, "t": 36, "b": 8},
                                legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0,
                                        "font": {"size": 11}}))


def dimension_bars(rows: pd.DataFrame, dimension_labels: dict[str, str], series_labels: dict[str, str],
                   title: str = "") -> dict:
    """Composite scores by dimension (0-100): grouped bars for the unit, its group's median and the city."""
    x = [dimension_labels[d] for d in rows["dimension"]]
    traces = [{"type": "bar", "x": x, "y": column(rows[series]), "name": label,
               "marker": {"color": SERIES_STYLE[series]["color"]},
               "hovertemplate": f"{label} %{{x}}: %{{y:.1f}}<extra></extra>"}
              for series, label in series_labels.items()]
    return figure(traces, light(barmode="group", yaxis={"range": [0, 100], "title": {"text": "0–100"}},
                                title={"text": title, "font": {"size": 13}}))


def pareto_figure(rows: pd.DataFrame, labels: dict[str, str]) -> dict:
    """Items by count, largest first, with the cumulative share on a second axis."""
    traces = [
        {"type": "bar", "x": column(rows["name"]), "y": column(rows["count"]), "name": labels["count"],
         "marker": {"color": ACCENT}, "hovertemplate": "%{x}: %{y:,}<extra></extra>"},
        {"type": "scatter", "x": column(rows["name"]), "y": column(rows["cumulative_share"]),
         "name": labels["cumulative"], "yaxis": "y2", "mode": "lines+markers", "line": {"color": "#c0392b"},
         "hovertemplate": "%{x}: %{y:.0%}<extra></extra>"},
    ]
    return figure(traces, light(
        xaxis={"type": "category", "tickangle": -35},
        yaxis={"title": {"text": labels["count"]}},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.02], "tickformat": ".0%", "showgrid": False},
    ))


def channel_mix_figure(rows: pd.DataFrame, channel_labels: dict[str, str], y_title: str) -> dict:
    """Each channel's share of the unit's requests per period, stacked to 100%."""
    traces = []
    for channel, label in channel_labels.items():
        part = rows[rows["channel"] == channel].sort_values("period")
        traces.append({"type": "scatter", "x": column(part["period"]), "y": column(part["share"]), "name": label,
                       "mode": "lines", "stackgroup": "mix", "line": {"color": CHANNEL_COLOURS.get(channel)},
                       "customdata": [[v] for v in column(part["requests"])],
                       "hovertemplate": f"{label} %{{x}}: %{{y:.1%}} (%{{customdata[0]:,}})<extra></extra>"})
    return figure(traces, light(xaxis={"type": "category", "nticks": 8},
                                yaxis={"tickformat": ".0%", "range": [0, 1], "title": {"text": y_title}}))


def channel_score_figure(rows: pd.DataFrame, channel_labels: dict[str, str], series_labels: dict[str, str],
                         y_title: str) -> dict:
    """Each channel's mean review score: the unit beside the city."""
    traces = []
    for series, label in series_labels.items():
        part = rows[rows["series"] == series].set_index("channel").reindex(list(channel_labels))
        traces.append({"type": "bar", "x": list(channel_labels.values()), "y": column(part["mean_score"]),
                       "name": label, "marker": {"color": SERIES_STYLE[series]["color"]},
                       "customdata": [[v] for v in column(part["reviews"])],
                       "hovertemplate": f"{label} %{{x}}: %{{y:.2f}} (%{{customdata[0]:,}})<extra></extra>"})
    return figure(traces, light(barmode="group", yaxis={"range": [1, 5], "title": {"text": y_title}}))


def rectification_figure(rect: pd.DataFrame, series_labels: dict[str, str], rate_label: str,
                         on_time_label: str) -> dict:
    """Rectification rate (solid) and on-time rectification rate (dotted) over time, the unit beside the city."""
    fig = comparison_lines(rect[rect["metric"] == "rectification_rate"], "rectification_rate", series_labels, ".0%",
                           rate_label)
    timely = rect[rect["metric"] == "rectification_on_time_rate"]
    for series, label in series_labels.items():
        line = timely[timely["series"] == series].sort_values("period")
        fig["data"].append(line_trace(line["period"], line["value"], f"{label} · {on_time_label}", {"dash": "dot"},
                                      ".0%"))
    return fig
