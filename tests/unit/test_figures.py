"""Figure builders: the map references the boundary asset by URL and colours every unit; the ranking is sorted."""

from __future__ import annotations

import pandas as pd

from dashboard.figures.map import unit_map
from dashboard.figures.ranking import ranking_bar

FRAME = pd.DataFrame(
    {"code": ["a", "b", "c"], "name": ["A", "B", "C"], "group": ["core", "county", "core"], "value": [5.0, 9.0, 1.0]}
)


def test_map_uses_the_asset_url_and_no_tiles():
    fig = unit_map(
        FRAME,
        geojson_url="/boundaries.geojson",
        featureidkey="properties.code",
        view={"center": {"lon": 1, "lat": 2}, "zoom": 6},
        value_label="x",
    )
    trace = fig.data[1]
    assert trace.type == "choroplethmap" and trace.geojson == "/boundaries.geojson"
    assert list(trace.locations) == ["a", "b", "c"] and list(trace.z) == [5.0, 9.0, 1.0]
    assert fig.layout.map.style == "white-bg"
    assert "http" not in fig.to_json()


def test_ranking_puts_the_largest_on_top():
    fig = ranking_bar(FRAME, value_label="x", group_labels={"core": "Core", "county": "County"})
    assert list(fig.layout.yaxis.categoryarray) == ["C", "A", "B"]  # plotly draws the last category on top
    core = next(tr for tr in fig.data if tr.name == "Core")
    assert list(core.customdata[:, 0]) == ["c", "a"]
