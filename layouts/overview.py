"""The city overview at `/`: choose a metric and period; map, ranking, Lorenz curve, balance over time,
its between/within decomposition, a unit's composite profile against the city, and the quarterly ranking of the
composite index."""

from __future__ import annotations

import dash_ag_grid as dag
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
NUMBER = {"type": "numericColumn", "filter": "agNumberColumnFilter"}
# A rank change as the screen shows it: ↑ moved up, ↓ moved down, ＝ the same, — no previous quarter to compare.
RANK_CHANGE = ("params.value == null ? '—' : params.value > 0 ? '↑' + params.value : params.value < 0 ? "
               "'↓' + (-params.value) : '＝'")


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


def quarter_options(quarters, lang: str) -> list[dict]:
    """Quarters ('YYYY-Qn') newest first, labelled in the page's language."""
    return [{"label": t("ranking.quarter_label", lang, year=q[:4], n=q[-1]), "value": q}
            for q in sorted(quarters, reverse=True)]


def _fmt(spec: str) -> dict:
    """An AG Grid value formatter for a d3 format ('—' for no value)."""
    return {"function": f"params.value == null ? '—' : d3.format('{spec}')(params.value)"}


def ranking_columns(lang: str) -> list[dict]:
    """Columns of the quarterly ranking grid (the answer's columns, and `name` and `group_label` in the page's
    language)."""
    return [
        {"field": "rank", "headerName": t("overview.rank", lang), **NUMBER, "width": 90, "valueFormatter": _fmt("d")},
        {"field": "name", "headerName": t("overview.unit", lang), "minWidth": 110, "flex": 1},
        {"field": "group_label", "headerName": t("ranking.group", lang), "minWidth": 100, "flex": 1},
        {"field": "composite", "headerName": t("ranking.index", lang), **NUMBER, "valueFormatter": _fmt(".1f")},
        {"field": "rank_change", "headerName": t("ranking.rank_change", lang), **NUMBER,
         "valueFormatter": {"function": RANK_CHANGE},
         "cellClassRules": {"rank-up": "params.value > 0", "rank-down": "params.value < 0"}},
        {"field": "previous_rank", "headerName": t("ranking.previous_rank", lang), **NUMBER,
         "valueFormatter": _fmt("d")},
        {"field": "previous_composite", "headerName": t("ranking.previous_index", lang), **NUMBER,
         "valueFormatter": _fmt(".1f")},
        {"field": "composite_change", "headerName": t("ranking.index_change", lang), **NUMBER,
         "valueFormatter": _fmt("+.1f")},
    ]


def ranking_panel(lang: str, prefix: str, quarters, quarter: str | None, export_query: str) -> html.Section:
    """The quarterly ranking (季度综合排名): its quarter, a note on what is compared, and the grid that
    callbacks.overview.update_quarterly_ranking fills."""
    return html.Section(
        [
            html.H3([t("ranking.title", lang),
                     export_links(prefix, "overview", "quarterly_ranking", lang, export_query)]),
            html.P(t("ranking.explain", lang), className="explain"),
            html.Div(
                [
                    html.Label(t("ranking.quarter", lang), htmlFor=ids.OVERVIEW_QUARTER),
                    dcc.Dropdown(id=ids.OVERVIEW_QUARTER, options=quarter_options(quarters, lang), value=quarter,
                                 clearable=False, className="period-select"),
                    html.Span(id=ids.OVERVIEW_QUARTERLY_NOTE, className="hint"),
                ],
                className="controls",
            ),
            dag.AgGrid(
                id=ids.OVERVIEW_QUARTERLY,
                columnDefs=ranking_columns(lang),
                rowData=[],
                getRowId="params.data.code",
                defaultColDef={"sortable": True, "resizable": True, "minWidth": 80, "flex": 1},
                dashGridOptions={"animateRows": False},
                style={"height": "560px"},
                className="ag-theme-alpine",
            ),
        ],
        className="panel quarterly-ranking",
    )


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
    quarters: tuple[str, ...] = (),
    quarter: str | None = None,
) -> list:
    """The overview page for a state (metric, period and unit, from the URL's query or the defaults) and the
    quarterly ranking's quarter (of `quarters`); every figure is filled by callbacks.overview. `ignored` names
    query values the page does not offer."""
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
                ranking_panel(lang, prefix, quarters, quarter, export_query),
            ],
            className="content",
        ),
        footer(city, lang, as_of, demo),
    ]
