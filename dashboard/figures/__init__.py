"""Plotly figure builders: pure functions of small frames.

Most build plain dicts ({"data": [...], "layout": {...}}), the JSON the browser receives, with the helpers here:
validating every property through plotly's figure objects cost more than computing the answers they draw
(docs/benchmarks.md).
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import plotly.graph_objects as go

GROUP_COLOURS = {"core": "#1f5fa8", "outer": "#2a9d8f", "county": "#e09f3e"}
FONT_FAMILY = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif'

# A small template of our own: plotly's default one is about 7 KB in every figure sent to the browser.
TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT_FAMILY, "color": "#1d2733"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "colorway": ["#1f5fa8", "#e09f3e", "#2a9d8f", "#c0392b", "#8e44ad", "#7f8c8d"],
        "xaxis": {"gridcolor": "#e8ecf1", "zerolinecolor": "#c9d1da", "linecolor": "#c9d1da"},
        "yaxis": {"gridcolor": "#e8ecf1", "zerolinecolor": "#c9d1da", "linecolor": "#c9d1da"},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }
)
TEMPLATE_JSON = TEMPLATE.to_plotly_json()


def column(values) -> list:
    """A column as JSON values: Python numbers and strings, missing values as null."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    out = series.tolist()
    if series.dtype == object:
        out = [v.item() if hasattr(v, "item") else v for v in out]
    missing = series.isna()
    return [None if m else v for v, m in zip(out, missing.tolist())] if missing.any() else out


def scalar(value):
    """A number as a JSON value: a Python number, missing as null."""
    return column([value])[0]


def figure(traces: list[dict], layout: dict) -> dict:
    """A figure as the browser receives it."""
    return {"data": traces, "layout": layout}


@cache
def named_scale(name: str) -> tuple:
    """A plotly colour scale's name (e.g. "Blues", "Reds_r") as plotly.py spells it out for the browser, whose own
    scales of the same names differ."""
    return go.Choroplethmap(colorscale=name).colorscale


def colour_scale(scale) -> list:
    """A colour scale as JSON: [stop, colour] pairs, a name spelled out as plotly.py does."""
    return [list(stop) for stop in (named_scale(scale) if isinstance(scale, str) else scale)]
