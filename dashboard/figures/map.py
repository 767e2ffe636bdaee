"""Choropleth of the city's units on a tile-less map (no external request)."""

from __future__ import annotations

from dashboard.figures import FONT_FAMILY, TEMPLATE_JSON, colour_scale, column, figure

NO_DATA = "#e3e7ec"


def unit_map(
    frame,
    *,
    geojson_url: str,
    featureidkey: str,
    view: dict,
    value_label: str,
    value_format: str = ",.0f",
    colorscale: str | list = "Blues",
    no_data_label: str = "—",
) -> dict:
    """Colour each unit by `value` (frame: code, name, value); units without a value are drawn grey and say
    so. Click points carry the unit code."""
    missing = frame[frame["value"].isna()]
    known = frame[frame["value"].notna()]
    traces = [
        {
            "type": "choroplethmap",
            "geojson": geojson_url,
            "featureidkey": featureidkey,
            "locations": column(missing["code"]),
            "z": [0] * len(missing),
            "customdata": [[name] for name in column(missing["name"])],
            "colorscale": [[0, NO_DATA], [1, NO_DATA]],
            "showscale": False,
            "marker": {"line": {"color": "#ffffff", "width": 1.2}},
            "hovertemplate": f"%{{customdata[0]}}<br>{no_data_label}<extra></extra>",
            "name": "no-data",
        },
        {
            "type": "choroplethmap",
            "geojson": geojson_url,
            "featureidkey": featureidkey,
            "locations": column(known["code"]),
            "z": column(known["value"]),
            "customdata": [[name] for name in column(known["name"])],
            "colorscale": colour_scale(colorscale),
            "marker": {"line": {"color": "#ffffff", "width": 1.2}, "opacity": 0.9},
            "colorbar": {"title": {"text": value_label}, "thickness": 12, "tickformat": value_format},
            "hovertemplate": f"%{{customdata[0]}}<br>{value_label}: %{{z:{value_format}}}<extra></extra>",
            "name": "values",
        },
    ]
    return figure(traces, {
        "map": {"style": "white-bg", **view},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "font": {"family": FONT_FAMILY},
        "template": TEMPLATE_JSON,
        "uirevision": "unit-map",
    })
