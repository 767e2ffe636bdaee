"""Figure builders: the map references the boundary asset by URL and colours every unit; the ranking is sorted.
Every builder gives the plain JSON the browser receives (Python values, missing as null), which plotly accepts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import FONT_FAMILY, GROUP_COLOURS, TEMPLATE, TEMPLATE_JSON, colour_scale, column
from dashboard.figures.balance import ACCENT, decomposition_figure, lorenz_figure, profile_figure, trend_figure
from dashboard.figures.map import NO_DATA, unit_map
from dashboard.figures.ranking import ranking_bar
from dashboard.figures.wall import (
    DARK_MAP_STYLE,
    EDGE,
    GRID,
    INK,
    MUTED,
    REFERENCE,
    TREND_COLOURS,
    dark,
    wall_map,
    wall_ranking,
    wall_trend,
)

FRAME = pd.DataFrame(
    {"code": ["a", "b", "c"], "name": ["A", "B", "C"], "group": ["core", "county", "core"], "value": [5.0, 9.0, 1.0]}
)
GAPPY = FRAME.assign(value=[5.0, np.nan, 1.0])
MAP = {"geojson_url": "/boundaries.geojson", "featureidkey": "properties.code",
       "view": {"center": {"lon": 1, "lat": 2}, "zoom": 6}, "value_label": "x"}
TREND = pd.DataFrame({"period": ["2025-01", "2025-02", "2025-03"], "gini": [0.2, np.nan, 0.3],
                      "theil": [0.1, 0.15, 0.12], "between": [0.05, np.nan, 0.04], "within": [0.05, 0.1, 0.08]})


def plain(fig: dict) -> dict:
    """The figure, checked to be what the browser receives: strict JSON of Python values that plotly validates."""
    text = json.dumps(fig, allow_nan=False)  # raises on NaN; numpy values are not JSON serialisable
    go.Figure(fig)  # raises on a property plotly does not know or a value it does not accept
    return json.loads(text)


def test_column_is_python_values_with_missing_as_null():
    out = column(pd.Series([1.5, np.nan, 3.0]))
    assert out == [1.5, None, 3.0] and all(type(v) is float for v in (out[0], out[2]))
    assert column(np.array([1, 2])) == [1, 2] and type(column(np.array([1]))[0]) is int
    assert column(pd.Series(["a", None], dtype="str")) == ["a", None]


def test_map_uses_the_asset_url_and_no_tiles():
    fig = plain(unit_map(FRAME, **MAP))
    trace = fig["data"][1]
    assert trace["type"] == "choroplethmap" and trace["geojson"] == "/boundaries.geojson"
    assert trace["locations"] == ["a", "b", "c"] and trace["z"] == [5.0, 9.0, 1.0]
    assert fig["layout"]["map"]["style"] == "white-bg"
    assert "http" not in json.dumps(fig)


def test_map_draws_units_without_a_value_grey_and_spells_out_the_colour_scale():
    fig = plain(unit_map(GAPPY, **MAP, colorscale="Reds", no_data_label="none"))
    missing, known = fig["data"]
    assert missing["locations"] == ["b"] and missing["z"] == [0] and missing["customdata"] == [["B"]]
    assert missing["colorscale"] == [[0, NO_DATA], [1, NO_DATA]] and missing["showscale"] is False
    assert "none" in missing["hovertemplate"]
    assert known["locations"] == ["a", "c"] and known["z"] == [5.0, 1.0] and known["customdata"] == [["A"], ["C"]]
    # plotly.js's own "Reds" differs: the browser gets plotly.py's scale spelled out
    assert known["colorscale"] == colour_scale("Reds") == go.Choroplethmap(colorscale="Reds").to_plotly_json()[
        "colorscale"]
    assert fig["layout"]["map"] == {"style": "white-bg", "center": {"lon": 1, "lat": 2}, "zoom": 6}
    assert fig["layout"]["template"] == TEMPLATE_JSON and fig["layout"]["uirevision"] == "unit-map"


def test_ranking_puts_the_largest_on_top():
    fig = plain(ranking_bar(FRAME, value_label="x", group_labels={"core": "Core", "county": "County"}))
    assert fig["layout"]["yaxis"]["categoryarray"] == ["C", "A", "B"]  # plotly draws the last category on top
    core = next(tr for tr in fig["data"] if tr["name"] == "Core")
    assert [row[0] for row in core["customdata"]] == ["c", "a"]
    assert core["type"] == "bar" and core["x"] == [1.0, 5.0] and core["marker"]["color"] == GROUP_COLOURS["core"]
    assert "shapes" not in fig["layout"] and "annotations" not in fig["layout"]


def test_ranking_reference_line_is_plotlys_vline():
    kwargs = {"value_label": "x", "group_labels": {"core": "Core", "county": "County"}, "value_format": ".1f",
              "reference": np.float64(4.25), "reference_label": "City"}
    fig = plain(ranking_bar(FRAME, **kwargs))
    expected = go.Figure().add_vline(x=4.25, line={"dash": "dash", "color": "#34495e", "width": 1.5},
                                     annotation_text="City 4.2", annotation_position="top")
    expected = json.loads(expected.to_json())["layout"]
    assert fig["layout"]["shapes"] == expected["shapes"] and fig["layout"]["annotations"] == expected["annotations"]
    assert fig["layout"]["shapes"][0]["x0"] == 4.25 and fig["layout"]["annotations"][0]["text"] == "City 4.2"
    assert "shapes" not in plain(ranking_bar(FRAME, **(kwargs | {"reference": np.nan})))["layout"]


def test_lorenz_figure():
    points = pd.DataFrame({"population_share": [0.0, 0.4, 1.0], "value_share": [0.0, 0.1, 1.0]})
    fig = plain(lorenz_figure(points, {"equality": "Eq", "curve": "Curve", "x": "X", "y": "Y"}))
    equality, curve = fig["data"]
    assert equality["x"] == [0, 1] and equality["name"] == "Eq"
    assert curve["x"] == [0.0, 0.4, 1.0] and curve["y"] == [0.0, 0.1, 1.0] and curve["fill"] == "tonexty"
    assert curve["line"]["color"] == ACCENT
    layout = fig["layout"]
    assert layout["xaxis"] == {"title": {"text": "X"}, "tickformat": ".0%", "range": [0, 1], "automargin": True,
                               "gridcolor": "#e8ecf1"}
    assert layout["template"] == TEMPLATE_JSON and layout["font"] == {"family": FONT_FAMILY}


def test_trend_figure():
    fig = plain(trend_figure(TREND, {"gini": "Gini", "theil": "Theil"}, "Index"))
    assert [tr["type"] for tr in fig["data"]] == ["scatter", "scatter"]
    assert fig["data"][0]["x"] == ["2025-01", "2025-02", "2025-03"] and fig["data"][0]["y"] == [0.2, None, 0.3]
    assert fig["data"][1]["name"] == "Theil" and fig["data"][1]["mode"] == "lines+markers"
    assert fig["layout"]["xaxis"]["type"] == "category" and fig["layout"]["yaxis"]["title"] == {"text": "Index"}


def test_decomposition_figure():
    fig = plain(decomposition_figure(TREND, "between", "within", {"between": "B", "within": "W", "y": "T"}))
    between, within = fig["data"]
    assert between["type"] == within["type"] == "bar" and fig["layout"]["barmode"] == "stack"
    assert between["y"] == [0.05, None, 0.04] and within["x"] == ["2025-01", "2025-02", "2025-03"]
    assert between["marker"]["color"] == "#e09f3e" and within["marker"]["color"] == "#2a9d8f"


def test_profile_figure():
    unit = pd.Series({"speed": 60.0, "quality": np.nan, "online": 80.5})
    city = pd.Series({"speed": 55.0, "quality": 70.0})
    labels = {"speed": "Speed", "quality": "Quality", "online": "Online", "other": "Other"}
    fig = plain(profile_figure(unit, city, labels, "Daoli", "City"))
    assert [tr["name"] for tr in fig["data"]] == ["Daoli", "City"]
    assert fig["data"][0]["x"] == ["Speed", "Quality", "Online"] and fig["data"][0]["y"] == [60.0, None, 80.5]
    assert fig["data"][1]["y"] == [55.0, 70.0, None] and fig["layout"]["yaxis"]["range"] == [0, 100]


def test_wall_map_is_the_map_in_the_dark():
    fig = plain(wall_map(GAPPY, font_size=18, **MAP, colorscale=[[0.0, "#000000"], [1.0, "#ffffff"]]))
    missing, known = fig["data"]
    assert missing["colorscale"] == [[0, "#2c3b4d"], [1, "#2c3b4d"]] and missing["z"] == [0]
    assert missing["marker"]["line"] == known["marker"]["line"] == {"color": EDGE, "width": 1.5}
    assert known["marker"]["opacity"] == 0.9 and known["colorscale"] == [[0.0, "#000000"], [1.0, "#ffffff"]]
    assert known["colorbar"] == {"title": {"text": "x", "font": {"color": INK, "size": 18}, "side": "right"},
                                 "thickness": 14.4, "len": 0.8, "tickformat": ",.0f",
                                 "tickfont": {"color": INK, "size": 18}}
    layout = fig["layout"]
    assert layout["map"] == {"style": DARK_MAP_STYLE, "center": {"lon": 1, "lat": 2}, "zoom": 6}
    assert layout["font"] == {"family": FONT_FAMILY, "color": INK, "size": 18}
    assert layout["paper_bgcolor"] == "rgba(0,0,0,0)" and layout["uirevision"] == "wall-map"
    assert "http" not in json.dumps(fig)


def test_wall_ranking_is_the_ranking_in_the_dark():
    fig = plain(wall_ranking(FRAME, font_size=18, value_label="x", group_labels={"core": "Core", "county": "County"},
                             reference=4.0, reference_label="City"))
    layout = fig["layout"]
    assert layout["shapes"][0]["line"] == {"color": REFERENCE, "width": 2.0, "dash": "dash"}
    assert layout["shapes"][0]["x0"] == 4.0 and layout["annotations"][0]["text"] == "City 4"
    assert layout["annotations"][0]["font"] == {"color": REFERENCE, "size": 18}
    assert layout["font"] == {"family": FONT_FAMILY, "color": INK, "size": 18}
    assert layout["legend"]["font"] == {"color": INK, "size": 18} and layout["legend"]["orientation"] == "h"
    assert layout["margin"] == {"l": 9.0, "r": 27.0, "t": 39.6, "b": 9.0} and layout["bargap"] == 0.25
    assert layout["xaxis"]["title"] == {"text": "x", "font": {"color": MUTED, "size": 18}}
    for axis in ("xaxis", "yaxis"):
        assert {k: layout[axis][k] for k in ("gridcolor", "zerolinecolor", "linecolor")} == dict.fromkeys(
            ("gridcolor", "zerolinecolor", "linecolor"), GRID)
        assert layout[axis]["tickfont"] == {"color": INK} and layout[axis]["automargin"] is True
    assert layout["plot_bgcolor"] == layout["paper_bgcolor"] == "rgba(0,0,0,0)"
    assert layout["uirevision"] == "wall-ranking" and layout["transition"] == {"duration": 0}
    assert layout["yaxis"]["categoryarray"] == ["C", "A", "B"]


def test_wall_trend_is_the_trend_in_the_dark():
    columns = {"gini": "Gini", "theil": "Theil", "within": "Within"}
    fig = plain(wall_trend(TREND, columns, "Index", font_size=12))
    for trace, colour in zip(fig["data"], TREND_COLOURS):
        assert trace["line"] == {"color": colour, "width": 2.0} and trace["marker"] == {"color": colour, "size": 6.0}
    assert "line" not in fig["data"][2] and fig["data"][0]["y"] == [0.2, None, 0.3]
    layout = fig["layout"]
    assert {k: layout["xaxis"][k] for k in ("nticks", "tickangle", "type")} == {"nticks": 8, "tickangle": 0,
                                                                               "type": "category"}
    assert "nticks" not in layout["yaxis"]
    assert layout["yaxis"]["title"] == {"text": "Index", "font": {"color": MUTED, "size": 12}}
    assert layout["yaxis"]["gridcolor"] == GRID and layout["uirevision"] == "wall-trend"


def test_the_dark_style_leaves_the_figure_it_is_given_alone():
    fig = ranking_bar(FRAME, value_label="x", group_labels={"core": "Core"}, reference=3.0)
    shown = json.dumps(fig)
    dark(fig, 18, "wall-ranking")
    wall_ranking(FRAME, font_size=18, value_label="x", group_labels={"core": "Core"}, reference=3.0)
    assert json.dumps(fig) == shown and TEMPLATE_JSON == TEMPLATE.to_plotly_json()
