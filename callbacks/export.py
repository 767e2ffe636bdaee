"""Export links follow the page's filters: each link's href is the export route with the page's current query
(the route validates it again; a link never carries anything the page would not accept)."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import ALL, Input, Output, State, ctx

from callbacks.context import prefix
from callbacks.district import unit_code
from callbacks.registry import page_callback
from dashboard.answers.overview import query_values
from dashboard.errors import BadInput
from dashboard.routes import query_string
from layouts import ids
from layouts.export import slot_href

PAGE_PARAMS = {"overview": ("metric", "period", "unit", "quarter"),
               "district": ("from", "to", "by", "department", "channel")}


def links(page: str, query: str, code: str | None = None) -> list[str]:
    """The href of every export link of a page that is in this callback's outputs."""
    return [slot_href(prefix(), page, o["id"]["panel"], o["id"]["fmt"], query, code) for o in ctx.outputs_list]


def page_query(page: str, search) -> str:
    """The page's own parameters of a URL query (others, like lang, are left out of exports)."""
    values = query_values(query_string(search))
    kept = {k: values[k] for k in PAGE_PARAMS[page] if k in values}
    return "?" + urlencode(kept) if kept else ""


def link_ids(page: str) -> dict:
    return {"type": ids.EXPORT, "page": page, "panel": ALL, "fmt": ALL}


@page_callback(Output(link_ids("overview"), "href"), Input(ids.OVERVIEW_URL, "search"), prevent_initial_call=True)
def overview_export_links(search):
    """The overview's export links for its current metric, period and unit."""
    return links("overview", page_query("overview", search))


@page_callback(
    Output(link_ids("district"), "href"),
    Input(ids.DISTRICT_URL, "search"),
    State(ids.URL, "pathname"),
    prevent_initial_call=True,
)
def district_export_links(search, pathname):
    """The district page's export links for its current filters."""
    return links("district", page_query("district", search), unit_code(pathname))


@page_callback(
    Output(link_ids("quality"), "href"),
    Input(ids.QUALITY_TABLE, "value"),
    Input(ids.QUALITY_REASON, "value"),
    prevent_initial_call=True,
)
def quality_export_links(table, reason):
    """The data-quality page's export links for its current filters."""
    if not (isinstance(table, str) and isinstance(reason, str)):
        raise BadInput("unknown table or reason")
    return links("quality", "?" + urlencode({"table": table[:40], "reason": reason[:40]}))
