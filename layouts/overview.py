"""The city overview at `/`: choose a metric and period; map, ranking, Lorenz curve, balance over time,
its between/within decomposition, and a unit's composite profile against the city."""

from __future__ import annotations

from dash import dcc, html

from dashboard.answers.overview import DEFAULT_METRIC
from dashboard.i18n import t
from dashboard.metrics import CATALOGUE, DIMENSIONS
from dashboard.regions import City
from layouts import ids
from layouts.export import export_links, page_export
from layouts.shell import footer, header

GRAPH_CONFIG = {"displayModeBar": False, "scrollZoom": False, "responsive": True}
GRAPH_STYLE = {"height": "600px"}
SMALL_STYLE = {"height": "340px"}


def metric_options(lang: str) -> list[dict]:
    """Every metric of the catalogue, labelled with its dimension."""
    options = []
    for dim in DIMENSIONS:
        for m in CATALOGUE.values():
            if m.dimension == dim:
                options.append(
                    {"label": f"{t(f'dimension.{dim}', lang)} · {t(f'metric.{m.key}', lang)}", "value": m.key}
                )
    return options


def period_options(periods: list[str]) -> list[dict]:
    """Years first, then months, newest first."""
    years = sorted({p for p in periods if len(p) == 4}, reverse=True)
    months = sorted({p for p in periods if len(p) == 7}, reverse=True)
    return [{"label": p, "value": p} for p in years + months]


def panel(title: str, explain, graph_id: str, style: dict, extra=None, links=None) -> html.Section:
    """A titled chart with its one-sentence explanation (text, or a component a callback fills) and its export
    links."""
    head = html.H3([title, links] if links is not None else title)
    children = [head, explain if isinstance(explain, html.P) else html.P(explain, className="explain")]
    if extra is not None:
        children.append(extra)
    children.append(dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style=style))
    return html.Section(children, className="panel")


def overview_layout(
    city: City,
    lang: str,
    pathname: str,
    prefix: str,
    as_of: str | None,
    periods: list[str],
    state,
    *,
    ignored: tuple[str, ...] = (),
    export_query: str = "",
    scope: frozenset[str] | None = None,
    demo: bool = True,
) -> list:
    """The overview page for a state (metric, period and unit, from the URL's query or the defaults); every
    figure is filled by callbacks.overview. `ignored` names query values the page does not offer."""
    units = [{"label": u.name(lang), "value": u.code} for u in city.units if scope is None or u.code in scope]
    note = t("overview.note_query", lang, names=", ".join(ignored)) if ignored else ""
    return [
        dcc.Location(id=ids.OVERVIEW_URL, refresh=False),
        header(city, lang, pathname, prefix),
        html.Main(
            [
                html.P(note, id=ids.OVERVIEW_NOTE, className="note" if note else "note empty"),
                html.Div(
                    [
                        html.Label(t("overview.metric", lang), htmlFor=ids.OVERVIEW_METRIC),
                        dcc.Dropdown(
                            id=ids.OVERVIEW_METRIC,
                            options=metric_options(lang),
                            value=state.metric if state else DEFAULT_METRIC,
                            clearable=False,
                            className="metric-select wide",
                        ),
                        html.Label(t("overview.period", lang), htmlFor=ids.OVERVIEW_PERIOD),
                        dcc.Dropdown(
                            id=ids.OVERVIEW_PERIOD,
                            options=period_options(periods),
                            value=state.period if state else None,
                            clearable=False,
                            className="period-select",
                        ),
                        html.Strong(id=ids.OVERVIEW_CITY_VALUE, className="city-value"),
                        export_links(prefix, "overview", "city_value", lang, export_query),
                        page_export(prefix, "overview", lang, export_query),
                    ],
                    className="controls",
                ),
                html.Div(
                    [
                        panel(
                            t("overview.map_title", lang, metric=""),
                            t("overview.explain_map", lang),
                            ids.OVERVIEW_MAP,
                            GRAPH_STYLE,
                            links=export_links(prefix, "overview", "map", lang, export_query),
                        ),
                        panel(
                            t("overview.ranking_title", lang, metric=""),
                            t("overview.explain_ranking", lang),
                            ids.OVERVIEW_RANKING,
                            GRAPH_STYLE,
                            links=export_links(prefix, "overview", "ranking", lang, export_query),
                        ),
                    ],
                    className="grid-2",
                ),
                html.Div(
                    [
                        panel(
                            t("overview.lorenz_title", lang),
                            html.P(id=ids.OVERVIEW_LORENZ_EXPLAIN, className="explain"),
                            ids.OVERVIEW_LORENZ,
                            SMALL_STYLE,
                            links=export_links(prefix, "overview", "lorenz", lang, export_query),
                        ),
                        panel(
                            t("overview.trend_title", lang),
                            t("overview.explain_trend", lang),
                            ids.OVERVIEW_TREND,
                            SMALL_STYLE,
                            html.P(id=ids.OVERVIEW_VERDICT, className="verdict"),
                            links=export_links(prefix, "overview", "trend", lang, export_query),
                        ),
                        panel(
                            t("overview.decomposition_title", lang),
                            t("overview.explain_decomposition", lang),
                            ids.OVERVIEW_DECOMPOSITION,
                            SMALL_STYLE,
                            links=export_links(prefix, "overview", "decomposition", lang, export_query),
                        ),
                    ],
                    className="grid-3",
                ),
                html.Div(
                    [
                        panel(
                            t("overview.profile_title", lang),
                            t("overview.explain_profile", lang),
                            ids.OVERVIEW_PROFILE,
                            SMALL_STYLE,
                            dcc.Dropdown(
                                id=ids.OVERVIEW_UNIT,
                                options=units,
                                value=state.unit if state else city.units[0].code,
                                clearable=False,
                                className="metric-select",
                            ),
                            links=export_links(prefix, "overview", "profile", lang, export_query),
                        ),
                        html.Section(
                            [
                                html.H3([t("overview.composite_title", lang),
                                         export_links(prefix, "overview", "composite", lang, export_query)]),
                                html.Div(id=ids.OVERVIEW_COMPOSITE),
                            ],
                            className="panel",
                        ),
                    ],
                    className="grid-2",
                ),
            ],
            className="content",
        ),
        footer(city, lang, as_of, demo),
    ]
