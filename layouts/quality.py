"""The data-quality page at `/quality`: bad-row counts by source, reason and month, and the listing."""

from __future__ import annotations

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from dashboard.i18n import t
from dashboard.quality import ALL, REASONS, all_reasons
from dashboard.regions import City
from layouts import ids
from layouts.export import export_links, page_export
from layouts.overview import GRAPH_CONFIG
from layouts.shell import footer, header

CHART_STYLE = {"height": "380px"}
LISTING_COLUMNS = ("source", "table", "reason", "row_id", "district_code", "time", "row")


def summary_table(summary: pd.DataFrame, lang: str) -> html.Table:
    """Rows, bad rows and bad share per fact table."""
    head = html.Tr([html.Th(t(k, lang)) for k in ("col.table", "quality.rows")] + [html.Th("✗"), html.Th("%")])
    body = [
        html.Tr(
            [
                html.Td(t(f"table.{r.table}", lang)),
                html.Td(f"{r.rows:,}", className="num"),
                html.Td(f"{r.bad:,}", className="num", **{"data-table": r.table}),
                html.Td(f"{r.share:.3%}", className="num"),
            ]
        )
        for r in summary.itertuples()
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="summary-table", id=ids.QUALITY_SUMMARY)


QUERY = "?table=all&reason=all"  # the filters' first values; callbacks.export follows the dropdowns


def column_defs(lang: str) -> list[dict]:
    """AG Grid columns of the listing, titled in the page language."""
    return [
        {"field": c, "headerName": t(f"col.{c}", lang), "flex": 4 if c == "row" else 1, "minWidth": 110}
        for c in LISTING_COLUMNS
    ]


def quality_layout(
    city: City,
    lang: str,
    pathname: str,
    prefix: str,
    as_of: str | None,
    summary: pd.DataFrame,
    checked_at: str,
    *,
    demo: bool = True,
) -> list:
    """The page; figures and the listing are filled by callbacks.quality."""
    tables = [{"label": t("quality.all", lang), "value": ALL}] + [
        {"label": t(f"table.{k}", lang), "value": k} for k in REASONS
    ]
    reasons = [{"label": t("quality.all", lang), "value": ALL}] + [
        {"label": t(f"reason.{r}", lang), "value": r} for r in all_reasons()
    ]
    return [
        header(city, lang, pathname, prefix),
        html.Main(
            [
                html.H2(t("quality.title", lang)),
                html.P(t("quality.explain", lang), className="hint"),
                html.P(t("quality.checked_at", lang, at=checked_at), className="hint"),
                html.Div([export_links(prefix, "quality", "summary", lang), page_export(prefix, "quality", lang)],
                         className="controls"),
                summary_table(summary, lang),
                html.Div(
                    [
                        html.Label(t("quality.filter_table", lang), htmlFor=ids.QUALITY_TABLE),
                        dcc.Dropdown(
                            id=ids.QUALITY_TABLE, options=tables, value=ALL, clearable=False, className="metric-select"
                        ),
                        html.Label(t("quality.filter_reason", lang), htmlFor=ids.QUALITY_REASON),
                        dcc.Dropdown(
                            id=ids.QUALITY_REASON,
                            options=reasons,
                            value=ALL,
                            clearable=False,
                            className="metric-select",
                        ),
                    ],
                    className="controls",
                ),
                html.Div(
                    [
                        html.Section(
                            [
                                html.H3([t("quality.by_reason", lang),
                                         export_links(prefix, "quality", "by_reason", lang, QUERY)]),
                                dcc.Graph(id=ids.QUALITY_BY_REASON, config=GRAPH_CONFIG, style=CHART_STYLE),
                            ],
                            className="panel",
                        ),
                        html.Section(
                            [
                                html.H3([t("quality.over_time", lang),
                                         export_links(prefix, "quality", "by_month", lang, QUERY)]),
                                dcc.Graph(id=ids.QUALITY_BY_MONTH, config=GRAPH_CONFIG, style=CHART_STYLE),
                            ],
                            className="panel",
                        ),
                    ],
                    className="grid-2",
                ),
                html.Section(
                    [
                        html.H3([t("quality.listing", lang, n=100),
                                 export_links(prefix, "quality", "listing", lang, QUERY)]),
                        dag.AgGrid(
                            id=ids.QUALITY_GRID,
                            columnDefs=column_defs(lang),
                            rowData=[],
                            defaultColDef={"sortable": True, "filter": True, "resizable": True},
                            dashGridOptions={"pagination": True, "paginationPageSize": 20},
                            style={"height": "640px"},
                            className="ag-theme-alpine",
                        ),
                    ],
                    className="panel listing",
                ),
            ],
            className="content",
        ),
        footer(city, lang, as_of, demo),
    ]
