"""Figures of the district page, each drawn from one answer's rows: a unit against the city and its group.

They are plain dicts ({"data": [...], "layout": {...}}), the JSON the browser receives, built without plotly's
figure objects: a never-asked district page draws thirteen figures, and validating each property through
`go.Figure` cost more than computing the answers (docs/benchmarks.md).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
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
    return _line(column(x), column(y), label, style, value_format)


def _line(x: list, y: list, label: str, style: dict, value_format: str) -> dict:
    """One line with markers, from JSON lists."""
    return {"type": "scatter", "x": x, "y": y, "mode": "lines+markers", "name": label, "line": style,
            "marker": {"size": 4}, "hovertemplate": f"{label} %{{x}}: %{{y:{value_format}}}<extra></extra>"}


def _keys(values: pd.Series) -> np.ndarray:
    """A column as an array of objects to compare with a key, missing values (NaN, NA) as None."""
    return values.to_numpy(dtype=object, na_value=None)


def _at(values: np.ndarray, value, within: np.ndarray | None = None) -> np.ndarray:
    """Positions of the rows whose `values` equal `value` (among the rows where `within` holds)."""
    match = values == value
    return np.flatnonzero(match if within is None else match & within)


def _by_period(rows: pd.DataFrame, at: np.ndarray, periods: list) -> list[int]:
    """The row positions `at` in the order `rows.iloc[at].sort_values("period")` gives them: as they are when
    their periods (JSON values) rise strictly, as the answers give them, else by that sort."""
    shown = [periods[i] for i in at]
    try:
        if all(a < b for a, b in pairwise(shown)):
            return at.tolist()
    except TypeError:  # a missing period, or periods of mixed types
        pass
    return at[rows.iloc[at].reset_index(drop=True).sort_values("period").index.to_numpy()].tolist()


def _pick(values: list, at: list[int]) -> list:
    """The values at the positions."""
    return [values[i] for i in at]


def _long(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Long rows' metric and series as arrays, their periods and values as JSON lists."""
    return _keys(rows["metric"]), _keys(rows["series"]), column(rows["period"]), column(rows["value"])


def _period_lines(rows: pd.DataFrame, long: tuple, metric: str, series_labels: dict[str, str]) -> list[tuple]:
    """Per series of `series_labels`: its key, periods and values (JSON lists) of `metric` by period, from long
    rows (period, metric, series, value) and their `_long`."""
    metrics, series, periods, values = long
    in_metric = metrics == metric
    out = []
    for name in series_labels:
        at = _by_period(rows, _at(series, name, in_metric), periods)
        out.append((name, _pick(periods, at), _pick(values, at)))
    return out


def comparison_lines(rows: pd.DataFrame, metric: str, series_labels: dict[str, str], value_format: str,
                     title: str) -> dict:
    """One metric over time: a line per series (the unit, the city, the group median), from long rows
    (period, metric, series, value)."""
    return _comparison(rows, _long(rows), metric, series_labels, value_format, title)


def _comparison(rows: pd.DataFrame, long: tuple, metric: str, series_labels: dict[str, str], value_format: str,
                title: str) -> dict:
    """comparison_lines, from the rows and their `_long`."""
    traces = [_line(x, y, series_labels[series], SERIES_STYLE[series], value_format)
              for series, x, y in _period_lines(rows, long, metric, series_labels)]
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
    channels = _keys(rows["channel"])
    periods, shares, requests = (column(rows[c]) for c in ("period", "share", "requests"))
    traces = []
    for channel, label in channel_labels.items():
        at = _by_period(rows, _at(channels, channel), periods)
        traces.append({"type": "scatter", "x": _pick(periods, at), "y": _pick(shares, at), "name": label,
                       "mode": "lines", "stackgroup": "mix", "line": {"color": CHANNEL_COLOURS.get(channel)},
                       "customdata": [[requests[i]] for i in at],
                       "hovertemplate": f"{label} %{{x}}: %{{y:.1%}} (%{{customdata[0]:,}})<extra></extra>"})
    return figure(traces, light(xaxis={"type": "category", "nticks": 8},
                                yaxis={"tickformat": ".0%", "range": [0, 1], "title": {"text": y_title}}))


def _by_channel(rows: pd.DataFrame, at: np.ndarray, channels: list, shown: list[str], scores: list,
                reviews: list) -> tuple[list, list]:
    """The `scores` and `reviews` (JSON lists of rows' mean_score and reviews) of the rows `at` for each channel
    of `shown`, as `rows.iloc[at].set_index("channel").reindex(shown)` gives them."""
    position = {channels[i]: i for i in at.tolist()}
    if len(position) == len(at) and all(c in position for c in shown):  # each channel once: nothing to add
        at = [position[c] for c in shown]
        return _pick(scores, at), _pick(reviews, at)
    part = rows.iloc[at].set_index("channel").reindex(shown)  # missing channels: NaN, and int columns as float
    return column(part["mean_score"]), column(part["reviews"])


def channel_score_figure(rows: pd.DataFrame, channel_labels: dict[str, str], series_labels: dict[str, str],
                         y_title: str) -> dict:
    """Each channel's mean review score: the unit beside the city."""
    series, shown = _keys(rows["series"]), list(channel_labels)
    channels, scores, reviews = (column(rows[c]) for c in ("channel", "mean_score", "reviews"))
    traces = []
    for name, label in series_labels.items():
        y, custom = _by_channel(rows, _at(series, name), channels, shown, scores, reviews)
        traces.append({"type": "bar", "x": list(channel_labels.values()), "y": y,
                       "name": label, "marker": {"color": SERIES_STYLE[name]["color"]},
                       "customdata": [[v] for v in custom],
                       "hovertemplate": f"{label} %{{x}}: %{{y:.2f}} (%{{customdata[0]:,}})<extra></extra>"})
    return figure(traces, light(barmode="group", yaxis={"range": [1, 5], "title": {"text": y_title}}))


def rectification_figure(rect: pd.DataFrame, series_labels: dict[str, str], rate_label: str,
                         on_time_label: str) -> dict:
    """Rectification rate (solid) and on-time rectification rate (dotted) over time, the unit beside the city."""
    long = _long(rect)
    fig = _comparison(rect, long, "rectification_rate", series_labels, ".0%", rate_label)
    for series, x, y in _period_lines(rect, long, "rectification_on_time_rate", series_labels):
        fig["data"].append(_line(x, y, f"{series_labels[series]} · {on_time_label}", {"dash": "dot"}, ".0%"))
    return fig
