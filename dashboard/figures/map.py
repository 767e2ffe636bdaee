"""Choropleth of the city's units on a tile-less map (no external request)."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.figures import FONT_FAMILY


def unit_map(
    frame,
    *,
    geojson_url: str,
    featureidkey: str,
    view: dict,
    value_label: str,
    value_format: str = ",.0f",
    colorscale: str = "Blues",
) -> go.Figure:
    """Colour each unit by `value`; frame has code, name, value. Click points carry the unit code."""
    fig = go.Figure(
        go.Choroplethmap(
            geojson=geojson_url,
            featureidkey=featureidkey,
            locations=frame["code"],
            z=frame["value"],
            customdata=frame[["name"]].to_numpy(),
            colorscale=colorscale,
            marker={"line": {"color": "#ffffff", "width": 1.2}, "opacity": 0.9},
            colorbar={"title": {"text": value_label}, "thickness": 12, "tickformat": value_format},
            hovertemplate=f"%{{customdata[0]}}<br>{value_label}: %{{z:{value_format}}}<extra></extra>",
        )
    )
    fig.update_layout(
        map={"style": "white-bg", **view},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        font={"family": FONT_FAMILY},
        uirevision="unit-map",
    )
    return fig
