"""The wall screen's figures: the overview's map, ranking and balance trend in a dark style for distance viewing.

Font sizes are given in pixels by the caller (from the screen's height), so a 4K wall reads like a 1080p one.
"""

from __future__ import annotations

from dashboard.figures import figure
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


def merged(base: dict, update: dict) -> dict:
    """`base` with `update` merged in as plotly's update does: dicts merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in update.items():
        old = out.get(key)
        out[key] = merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def axes(layout: dict, update: dict, kinds: tuple[str, ...] = ("xaxis", "yaxis")) -> dict:
    """`layout` with `update` merged into each of its axes of `kinds` (as plotly's update_xaxes, update_yaxes)."""
    return {k: merged(v, update) if k.startswith(kinds) else v for k, v in layout.items()}


def dark(fig: dict, font_size: float, revision: str) -> dict:
    """Transparent background, light ink, grid lines that recede, and a stable uirevision."""
    layout = merged(fig["layout"], {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": INK, "size": font_size},
        "legend": {"font": {"color": INK, "size": font_size}},
        "margin": {"l": font_size * 0.5, "r": font_size * 1.5, "t": font_size * 2.2, "b": font_size * 0.5},
        "uirevision": revision,
        "transition": {"duration": 0},
    })
    return figure(fig["data"], axes(layout, {"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": GRID,
                                             "tickfont": {"color": INK}}))


def wall_map(frame, *, font_size: float, **kwargs) -> dict:
    """unit_map (frame: code, name, value) with dark edges, a dark no-data fill and a light colour bar."""
    fig = unit_map(frame, **kwargs)
    by_name = {
        "no-data": {"colorscale": [[0, NO_DATA], [1, NO_DATA]]},
        "values": {
            "colorbar": {
                "thickness": font_size * 0.8,
                "len": 0.8,
                "tickfont": {"color": INK, "size": font_size},
                "title": {"font": {"color": INK, "size": font_size}, "side": "right"},
            }
        },
    }
    edge = {"marker": {"line": {"color": EDGE, "width": font_size / 12}}}
    traces = [merged(merged(trace, edge), by_name.get(trace.get("name"), {})) for trace in fig["data"]]
    return figure(traces, merged(fig["layout"], {
        "map": {"style": DARK_MAP_STYLE},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": INK, "size": font_size},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "uirevision": "wall-map",
    }))


def wall_ranking(frame, *, font_size: float, **kwargs) -> dict:
    """ranking_bar (frame: code, name, group, value) in the dark style, the city's line in a bright colour."""
    fig = dark(ranking_bar(frame, **kwargs), font_size, "wall-ranking")
    layout = merged(fig["layout"], {"bargap": 0.25, "xaxis": {"title": {"font": {"color": MUTED, "size": font_size}}}})
    for key, update in (("shapes", {"line": {"color": REFERENCE, "width": font_size / 9}}),
                        ("annotations", {"font": {"color": REFERENCE, "size": font_size}})):
        if key in layout:
            layout[key] = [merged(item, update) for item in layout[key]]
    return figure(fig["data"], layout)


def wall_trend(trend, columns: dict[str, str], y_title: str, *, font_size: float) -> dict:
    """trend_figure in the dark style: thick lines, level tick labels."""
    fig = dark(trend_figure(trend, columns, y_title), font_size, "wall-trend")
    traces = [merged(trace, {"line": {"color": colour, "width": font_size / 6},
                             "marker": {"color": colour, "size": font_size / 2}})
              for trace, colour in zip(fig["data"], TREND_COLOURS)]
    layout = merged(fig["layout"], {"yaxis": {"title": {"font": {"color": MUTED, "size": font_size}}}})
    return figure([*traces, *fig["data"][len(traces):]], axes(layout, {"nticks": 8, "tickangle": 0}, ("xaxis",)))
