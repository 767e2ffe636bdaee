"""The wall screen's figures: the overview's map, ranking and balance trend in a dark style for distance viewing.

Font sizes are given in pixels by the caller (from the screen's height), so a 4K wall reads like a 1080p one.
"""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.figures.balance import trend_figure
from dashboard.figures.map import unit_map
from dashboard.figures.ranking import ranking_bar

INK = "#e6edf5"
MUTED = "#8fa3b8"
GRID = "#24384f"
EDGE = "#0b1622"
NO_DATA = "#2c3b4d"
REFERENCE = "#f4d35e"
TREND_COLOURS = ("#4fc3f7", "#f4a261")
# A MapLibre style of one background layer: no tiles, glyphs or sprites, so nothing is fetched.
DARK_MAP_STYLE = {
    "version": 8,
    "sources": {},
    "layers": [{"id": "background", "type": "background", "paint": {"background-color": "#111f2e"}}],
}
# Sequential scales that brighten towards the high end, readable on the dark background.
GOOD_SCALE = [[0.0, "#16324f"], [0.5, "#2f77b4"], [1.0, "#8fd8ff"]]
BAD_SCALE = [[0.0, "#3d1a1a"], [0.5, "#a8322d"], [1.0, "#ff8a7a"]]


def dark(fig: go.Figure, font_size: float, revision: str) -> go.Figure:
    """Transparent background, light ink, grid lines that recede, and a stable uirevision."""
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": INK, "size": font_size},
        legend={"font": {"color": INK, "size": font_size}},
        margin={"l": font_size * 0.5, "r": font_size * 1.5, "t": font_size * 2.2, "b": font_size * 0.5},
        uirevision=revision,
        transition={"duration": 0},
    )
    fig.update_xaxes(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID, tickfont={"color": INK})
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID, tickfont={"color": INK})
    return fig


def wall_map(frame, *, font_size: float, **kwargs) -> go.Figure:
    """unit_map (frame: code, name, value) with dark edges, a dark no-data fill and a light colour bar."""
    fig = unit_map(frame, **kwargs)
    fig.update_traces(marker_line_color=EDGE, marker_line_width=font_size / 12)
    fig.update_traces(colorscale=[[0, NO_DATA], [1, NO_DATA]], selector={"name": "no-data"})
    fig.update_traces(
        colorbar={
            "thickness": font_size * 0.8,
            "len": 0.8,
            "tickfont": {"color": INK, "size": font_size},
            "title": {"font": {"color": INK, "size": font_size}, "side": "right"},
        },
        selector={"name": "values"},
    )
    fig.update_layout(
        map_style=DARK_MAP_STYLE,
        paper_bgcolor="rgba(0,0,0,0)",
        font={"color": INK, "size": font_size},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        uirevision="wall-map",
    )
    return fig


def wall_ranking(frame, *, font_size: float, **kwargs) -> go.Figure:
    """ranking_bar (frame: code, name, group, value) in the dark style, the city's line in a bright colour."""
    fig = dark(ranking_bar(frame, **kwargs), font_size, "wall-ranking")
    fig.update_shapes(line_color=REFERENCE, line_width=font_size / 9)
    fig.update_annotations(font={"color": REFERENCE, "size": font_size})
    fig.update_layout(bargap=0.25, xaxis_title_font={"color": MUTED, "size": font_size})
    return fig


def wall_trend(trend, columns: dict[str, str], y_title: str, *, font_size: float) -> go.Figure:
    """trend_figure in the dark style: thick lines, level tick labels."""
    fig = dark(trend_figure(trend, columns, y_title), font_size, "wall-trend")
    for trace, colour in zip(fig.data, TREND_COLOURS):
        trace.update(line={"color": colour, "width": font_size / 6}, marker={"color": colour, "size": font_size / 2})
    fig.update_layout(yaxis_title_font={"color": MUTED, "size": font_size})
    fig.update_xaxes(nticks=8, tickangle=0)
    return fig
