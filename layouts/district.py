"""The district page at `/district/<code>`: one unit against the city and its group; panels are filled by
callbacks.district from the answers of dashboard/answers/district.py."""

from __future__ import annotations

from urllib.parse import urlencode

import dash_ag_grid as dag
from dash import dcc, html

from dashboard.aggregation import CHANNELS
from dashboard.i18n import t
from dashboard.regions import City, Unit
from layouts import ids
from layouts.export import export_links, page_export
from layouts.overview import GRAPH_CONFIG
from layouts.shell import footer, header

TREND_STYLE = {"height": "260px"}
PANEL_STYLE = {"height": "340px"}
GRID_STYLE = {"height": "420px"}
GRID_DEFAULTS = {"sortable": True, "filter": True, "resizable": True, "minWidth": 90}
NUMBER = {"type": "numericColumn", "filter": "agNumberColumnFilter"}


def _fmt(spec: str) -> dict:
    """An AG Grid value formatter for a d3 format (the grid's own d3 helpers, no code from the server)."""
    return {"function": f"params.value == null ? '—' : d3.format('{spec}')(params.value)"}


def item_columns(lang: str, key: str) -> list[dict]:
    """Columns of the departments and items grids: each measure beside the city's value and the gap."""
    cols = [
        {"field": key, "headerName": t("col.code", lang), "pinned": "left", "width": 110},
        {"field": f"name_{lang}", "headerName": t("col.name", lang), "pinned": "left", "minWidth": 180, "flex": 2},
    ]
    for col, spec in (("requests", ",.0f"), ("on_time_rate", ".1%"), ("median_hours", ",.1f"),
                      ("mean_score", ".2f"), ("bad_rate", ".1%")):
        cols.append({
            "headerName": t(f"col.{col}", lang),
            "children": [
                {"field": col, "headerName": t("district.value", lang), "valueFormatter": _fmt(spec), **NUMBER},
                {"field": f"city_{col}", "headerName": t("col.city", lang), "valueFormatter": _fmt(spec), **NUMBER},
                {"field": f"gap_{col}", "headerName": t("col.gap", lang), "valueFormatter": _fmt("+" + spec),
                 **NUMBER},
            ],
        })
    return cols


def open_bad_columns(lang: str) -> list[dict]:
    """Columns of the open bad reviews grid; overdue rows are marked by rowClassRules."""
    return [
        {"field": "review_id", "headerName": t("col.review_id", lang), "minWidth": 120},
        {"field": f"item_{lang}", "headerName": t("col.item", lang), "flex": 2, "minWidth": 160},
        {"field": "channel", "headerName": t("col.channel", lang)},
        {"field": "score", "headerName": t("col.score", lang), **NUMBER, "width": 90},
        {"field": "created_at", "headerName": t("col.created_at", lang), "minWidth": 150},
        {"field": "due_at", "headerName": t("col.due_at", lang), "minWidth": 150},
        {"field": "days_left", "headerName": t("col.days_left", lang), **NUMBER, "sort": "asc"},
        {"field": "visited_at", "headerName": t("col.visited_at", lang), "minWidth": 150},
        {"field": "appeal_status", "headerName": t("col.appeal_status", lang), "width": 110},
    ]


def rect_department_columns(lang: str) -> list[dict]:
    """Columns of the rectification-by-department grid."""
    return [
        {"field": "department_code", "headerName": t("col.code", lang), "width": 110},
        {"field": f"name_{lang}", "headerName": t("col.name", lang), "flex": 2, "minWidth": 160},
        {"field": "bad", "headerName": t("col.bad", lang), **NUMBER},
        {"field": "open", "headerName": t("col.open", lang), **NUMBER},
        {"field": "rectification_rate", "headerName": t("col.rectification_rate", lang), **NUMBER,
         "valueFormatter": _fmt(".1%")},
        {"field": "rectification_on_time_rate", "headerName": t("col.rectification_on_time_rate", lang), **NUMBER,
         "valueFormatter": _fmt(".1%")},
    ]


def grid(grid_id: str, columns: list[dict], **kwargs) -> dag.AgGrid:
    """A sortable, filterable AG Grid filled by a callback."""
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=[],
        defaultColDef=GRID_DEFAULTS,
        dashGridOptions={"pagination": True, "paginationPageSize": 20, "animateRows": False},
        style=GRID_STYLE,
        className="ag-theme-alpine",
        **kwargs,
    )


def section(title, *children, wide: bool = False, note_id: str | None = None, links=None) -> html.Section:
    """A titled panel with its export links."""
    head = [html.H3([title, *links] if links else title)]
    if note_id is not None:
        head.append(html.P(id=note_id, className="explain"))
    return html.Section([*head, *children], className="panel wide" if wide else "panel")


def graph(graph_id: str, style: dict = PANEL_STYLE) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style=style)


def filters(lang: str, params, departments) -> html.Div:
    """Date range, granularity, department and channel, set from the URL's query."""
    all_option = [{"label": t("district.all", lang), "value": "all"}]
    deps = all_option + [{"label": f"{r[f'name_{lang}']}", "value": r["code"]} for _, r in departments.iterrows()]
    chans = all_option + [{"label": t(f"channel.{c}", lang), "value": c} for c in CHANNELS]
    return html.Div(
        [
            html.Label(t("district.from_to", lang), htmlFor=ids.DISTRICT_DATES),
            dcc.DatePickerRange(
                id=ids.DISTRICT_DATES,
                start_date=params.start.isoformat(),
                end_date=params.end.isoformat(),
                display_format="YYYY-MM-DD",
                first_day_of_week=1,
                minimum_nights=0,
            ),
            html.Label(t("district.by", lang), htmlFor=ids.DISTRICT_BY),
            dcc.Dropdown(
                id=ids.DISTRICT_BY,
                options=[{"label": t(f"district.by.{g}", lang), "value": g} for g in ("day", "week", "month")],
                value=params.granularity,
                clearable=False,
                className="period-select",
            ),
            html.Label(t("district.department", lang), htmlFor=ids.DISTRICT_DEPARTMENT),
            dcc.Dropdown(id=ids.DISTRICT_DEPARTMENT, options=deps, value=params.department, clearable=False,
                         className="metric-select"),
            html.Label(t("district.channel", lang), htmlFor=ids.DISTRICT_CHANNEL),
            dcc.Dropdown(id=ids.DISTRICT_CHANNEL, options=chans, value=params.channel, clearable=False,
                         className="period-select"),
        ],
        className="controls",
    )


def district_layout(
    city: City,
    unit: Unit,
    lang: str,
    pathname: str,
    prefix: str,
    area_km2: float | None,
    as_of: str | None,
    *,
    params=None,
    departments=None,
    note: str = "",
    demo: bool = True,
) -> list:
    """The unit's facts, its filters and every panel of the page (empty until the callbacks fill them)."""
    facts = [
        (t("district.kind", lang), t(f"kind.{unit.kind}", lang)),
        (t("district.group", lang), t(f"group.{unit.group}", lang)),
        (t("district.population", lang, year=city.population_year or "—"), f"{unit.population:,}"),
    ]
    if area_km2 is not None:
        facts.append((t("district.area", lang), f"{area_km2:,.0f} {t('unit.km2', lang)}"))
    head = [
        dcc.Link("← " + t("district.back", lang), href=f"{prefix}?lang={lang}", className="back-link"),
        html.H2(unit.name(lang), className="district-name", **{"data-code": unit.code}),
        html.Dl([item for label, value in facts for item in (html.Dt(label), html.Dd(value))], className="facts"),
    ]
    if params is None:  # no snapshot yet: the facts only
        return [header(city, lang, pathname, prefix), html.Main(head, className="content"),
                footer(city, lang, as_of, demo)]
    trend_graphs = [graph(ids.district_trend(m), TREND_STYLE) for m in ids.DISTRICT_TREND_METRICS]
    query = "?" + urlencode(params.query())

    def exports(slot: str):
        return export_links(prefix, "district", slot, lang, query, unit.code)

    body = [
        dcc.Location(id=ids.DISTRICT_URL, refresh=False),
        *head,
        filters(lang, params, departments),
        html.Div(page_export(prefix, "district", lang, query, unit.code), className="controls"),
        html.P(note, id=ids.DISTRICT_NOTE, className="note" if note else "note empty"),
        html.Div(
            [
                section(t("district.standing_title", lang), html.Div(id=ids.DISTRICT_STANDING),
                        links=[exports("standing")]),
                section(t("district.composite_title", lang), graph(ids.DISTRICT_COMPOSITE),
                        links=[exports("composite")]),
            ],
            className="grid-2",
        ),
        section(t("district.trends_title", lang), html.Div(trend_graphs, className="grid-trends"), wide=True,
                links=[exports("trends"), exports("processing")]),
        html.P(t("district.processing_note", lang), className="hint"),
        section(t("district.departments_title", lang), grid(ids.DISTRICT_DEPARTMENTS,
                                                            item_columns(lang, "department_code")), wide=True,
                links=[exports("departments")]),
        section(t("district.items_title", lang), grid(ids.DISTRICT_ITEMS, item_columns(lang, "item_code")),
                wide=True, links=[exports("items")]),
        html.Div(
            [
                section(t("district.pareto_bad_title", lang), graph(ids.DISTRICT_PARETO_BAD),
                        links=[exports("pareto_bad")]),
                section(t("district.pareto_late_title", lang), graph(ids.DISTRICT_PARETO_LATE),
                        links=[exports("pareto_late")]),
            ],
            className="grid-2",
        ),
        html.Div(
            [
                section(t("district.channel_mix_title", lang), graph(ids.DISTRICT_CHANNEL_MIX),
                        links=[exports("channel_mix")]),
                section(t("district.channel_score_title", lang), graph(ids.DISTRICT_CHANNEL_SCORE),
                        links=[exports("channel_satisfaction")]),
            ],
            className="grid-2",
        ),
        section(
            t("district.open_bad_title", lang),
            grid(ids.DISTRICT_OPEN_BAD, open_bad_columns(lang),
                 rowClassRules={"overdue": "params.data.overdue"}),
            wide=True,
            note_id=ids.DISTRICT_OPEN_BAD_NOTE,
            links=[exports("open_bad")],
        ),
        html.Div(
            [
                section(t("district.rectification_title", lang), graph(ids.DISTRICT_RECTIFICATION),
                        links=[exports("rectification")]),
                section(t("district.rect_departments_title", lang),
                        grid(ids.DISTRICT_RECT_DEPARTMENTS, rect_department_columns(lang)),
                        links=[exports("rectification_departments")]),
            ],
            className="grid-2",
        ),
    ]
    return [header(city, lang, pathname, prefix), html.Main(body, className="content district"),
            footer(city, lang, as_of, demo)]
