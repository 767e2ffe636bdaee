"""District figure builders: each series' points by period (or each channel's, in the labels' order) from the
answers' rows, as pandas' filters, sort_values("period") and reindex give them, as plain JSON (missing as null)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import column
from dashboard.figures.district import (
    CHANNEL_COLOURS,
    SERIES_STYLE,
    channel_mix_figure,
    channel_score_figure,
    comparison_lines,
    rectification_figure,
)

SERIES = {"unit": "Unit", "city": "City", "group_median": "Group"}
CHANNELS = {"web": "Web", "app": "App", "window": "Window"}


def plain(fig: dict) -> dict:
    """The figure, checked to be strict JSON of Python values that plotly validates."""
    text = json.dumps(fig, allow_nan=False)
    go.Figure(fig)
    return json.loads(text)


def strings(values):
    return pd.array(values, dtype="str")


def long_rows(period, metric, series, value, index=None) -> pd.DataFrame:
    return pd.DataFrame({"period": strings(period), "metric": strings(metric), "series": strings(series),
                         "value": value}, index=index)


def sorted_part(rows: pd.DataFrame, **match) -> pd.DataFrame:
    """The rows matching every column=value, sorted by period: what the builders draw, the pandas way."""
    for name, value in match.items():
        rows = rows[rows[name] == value]
    return rows.sort_values("period")


def test_comparison_lines_draws_each_series_by_period():
    rows = long_rows(["2025-03", "2025-01", "2025-02", "2025-02", "2025-01", "2025-01", "2025-01"],
                     ["m", "m", "m", "m", "m", "m", "other"],
                     ["unit", "unit", "unit", "city", "city", "elsewhere", "unit"],
                     [0.3, np.nan, 0.2, 2.0, 1.0, 9.0, 5.0], index=[7, 3, 5, 1, 0, 2, 4])
    shown = rows.copy()
    fig = plain(comparison_lines(rows, "m", SERIES, ".1f", "Title"))
    unit, city, group = fig["data"]
    assert unit["x"] == ["2025-01", "2025-02", "2025-03"] and unit["y"] == [None, 0.2, 0.3]
    assert city["x"] == ["2025-01", "2025-02"] and city["y"] == [1.0, 2.0]
    assert group["x"] == group["y"] == []  # no rows of the series: an empty line
    assert [tr["name"] for tr in fig["data"]] == ["Unit", "City", "Group"]
    assert unit["line"] == SERIES_STYLE["unit"] and unit["mode"] == "lines+markers"
    assert unit["hovertemplate"] == "Unit %{x}: %{y:.1f}<extra></extra>"
    assert fig["layout"]["title"]["text"] == "Title" and fig["layout"]["yaxis"]["tickformat"] == ".1f"
    assert rows.equals(shown)  # the rows are left alone
    empty = plain(comparison_lines(pd.DataFrame(columns=["period", "metric", "series", "value"]), "m", SERIES,
                                   ".0f", "T"))
    assert [(tr["x"], tr["y"]) for tr in empty["data"]] == [([], [])] * 3


def test_repeated_or_missing_periods_are_ordered_as_pandas_sorts_them():
    rng = np.random.default_rng(7)
    for n in (5, 40):  # pandas' quicksort is an insertion sort up to 16 rows, not stable beyond
        periods = rng.choice(["a", "b", "c", None], n).tolist()
        rows = pd.DataFrame({"period": periods, "metric": ["m"] * n, "series": rng.choice(["unit", "city"], n),
                             "value": rng.integers(0, 9, n)})
        fig = comparison_lines(rows, "m", {"unit": "U", "city": "C"}, ".0f", "T")
        for trace, series in zip(fig["data"], ("unit", "city"), strict=True):
            expected = sorted_part(rows, series=series)
            assert trace["x"] == column(expected["period"]) and trace["y"] == column(expected["value"])
            assert all(type(v) is int for v in trace["y"])


def test_channel_mix_draws_each_channel_by_period():
    rows = pd.DataFrame({"period": strings(["2025-02", "2025-01", "2025-01", "2025-02", "2025-01"]),
                         "channel": strings(["web", "web", "app", "app", "hotline"]),
                         "requests": np.array([3, 4, 5, 6, 7], dtype="int64"),
                         "share": [0.5, np.nan, 0.2, 1.0, 0.1]})
    fig = plain(channel_mix_figure(rows, CHANNELS, "Share"))
    web, app, window = fig["data"]
    assert web["x"] == ["2025-01", "2025-02"] and web["y"] == [None, 0.5] and web["customdata"] == [[4], [3]]
    assert app["y"] == [0.2, 1.0] and app["customdata"] == [[5], [6]] and app["line"]["color"] == CHANNEL_COLOURS["app"]
    assert window["x"] == window["y"] == window["customdata"] == []
    assert web["stackgroup"] == "mix" and fig["layout"]["yaxis"]["title"] == {"text": "Share"}


def test_channel_score_follows_the_channel_labels_and_shows_missing_channels_as_null():
    rows = pd.DataFrame({"channel": strings(["window", "app", "web", "web", "app"]),
                         "series": strings(["unit", "unit", "unit", "city", "city"]),
                         "reviews": np.array([1, 2, 3, 4, 5], dtype="int64"),
                         "mean_score": [4.5, np.nan, 3.0, 2.0, 1.0]})
    fig = plain(channel_score_figure(rows, CHANNELS, {"unit": "U", "city": "C"}, "Score"))
    unit, city = fig["data"]
    assert unit["x"] == city["x"] == ["Web", "App", "Window"]
    assert unit["y"] == [3.0, None, 4.5] and unit["customdata"] == [[3], [2], [1]]
    assert all(type(v[0]) is int for v in unit["customdata"])
    assert city["y"] == [2.0, 1.0, None] and city["customdata"] == [[4.0], [5.0], [None]]  # as pandas' reindex
    assert unit["marker"]["color"] == SERIES_STYLE["unit"]["color"] and fig["layout"]["barmode"] == "group"


def test_rectification_draws_the_rate_and_the_on_time_rate_of_each_series():
    rows = long_rows(["2025-02", "2025-01", "2025-01", "2025-02", "2025-01", "2025-01"],
                     ["rectification_rate", "rectification_rate", "rectification_on_time_rate",
                      "rectification_on_time_rate", "rectification_rate", "rectification_on_time_rate"],
                     ["unit", "unit", "unit", "unit", "city", "city"], [0.5, np.nan, 1.0, 0.25, 0.9, np.nan])
    fig = plain(rectification_figure(rows, {"unit": "U", "city": "C"}, "Rate", "on time"))
    assert [tr["name"] for tr in fig["data"]] == ["U", "C", "U · on time", "C · on time"]
    unit, city, unit_on_time, city_on_time = fig["data"]
    assert unit["x"] == ["2025-01", "2025-02"] and unit["y"] == [None, 0.5] and city["y"] == [0.9]
    assert unit_on_time["x"] == ["2025-01", "2025-02"] and unit_on_time["y"] == [1.0, 0.25]
    assert city_on_time["y"] == [None] and city_on_time["line"] == {"dash": "dot"}
    assert fig["layout"]["title"]["text"] == "Rate" and fig["layout"]["yaxis"]["tickformat"] == ".0%"
