"""Plotly figure builders: pure functions of small frames."""

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
