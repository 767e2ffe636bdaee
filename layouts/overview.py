"""The city overview at `/`: metric choice, map of the units and their ranking."""

from __future__ import annotations

from dash import dcc, html

from dashboard.i18n import t
from dashboard.metrics import REFERENCE_METRICS
from dashboard.regions import City
from layouts import ids
from layouts.shell import footer, header

GRAPH_CONFIG = {"displayModeBar": False, "scrollZoom": False, "responsive": True}
GRAPH_STYLE = {"height": "600px"}


def overview_layout(city: City, lang: str, pathname: str, prefix: str, as_of: str | None) -> list:
    """The overview page; figures are filled by callbacks.overview."""
    options = [{"label": t(f"metric.{key}", lang), "value": key} for key in REFERENCE_METRICS]
    return [
        header(city, lang, pathname, prefix),
        html.Main(
            [
                html.Div(
                    [
                        html.Label(t("overview.metric", lang), htmlFor=ids.OVERVIEW_METRIC),
                        dcc.Dropdown(
                            id=ids.OVERVIEW_METRIC,
                            options=options,
                            value="population",
                            clearable=False,
                            className="metric-select",
                        ),
                        html.Span(t("overview.click_hint", lang), className="hint"),
                    ],
                    className="controls",
                ),
                html.Div(
                    [
                        html.Section(
                            dcc.Graph(
                                id=ids.OVERVIEW_MAP, config=GRAPH_CONFIG, className="graph map", style=GRAPH_STYLE
                            ),
                            className="panel",
                        ),
                        html.Section(
                            dcc.Graph(
                                id=ids.OVERVIEW_RANKING,
                                config=GRAPH_CONFIG,
                                className="graph ranking",
                                style=GRAPH_STYLE,
                            ),
                            className="panel",
                        ),
                    ],
                    className="grid-2",
                ),
            ],
            className="content",
        ),
        footer(city, lang, as_of),
    ]
