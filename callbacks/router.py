"""Fill the page slot from the URL."""

from __future__ import annotations

from dash import Input, Output, State

from callbacks.context import current_view, decision, page_lang, prefix, runtime
from callbacks.overview import plain
from callbacks.registry import page_callback
from callbacks.wall import wall_page
from dashboard.access import AccessDenied
from dashboard.answers import district as district_answers
from dashboard.answers import quality as quality_answers
from dashboard.answers import ranking as ranking_answers
from dashboard.answers.overview import (
    default_period,
    offered_periods,
    overview_defaults,
    query_for,
    query_values,
    state_from_query,
)
from dashboard.errors import BadInput
from dashboard.i18n import t
from dashboard.routes import parse_route, query_string
from dashboard.wall import shorten
from layouts import ids
from layouts.district import district_layout
from layouts.overview import overview_layout
from layouts.quality import quality_layout
from layouts.shell import message_page


def overview_state(rt, view, search: str):
    """The overview's state for a URL query (over the defaults), the periods it offers, ignored names, and the
    quarterly ranking's (quarters offered, quarter shown, quarter the query names or None)."""
    periods, default = overview_periods(view)
    if view is None or default is None:
        return None, tuple(periods), (), ((), None, None)
    state, ignored = state_from_query(view, search, overview_defaults(view, default))
    quarter, quarter_ignored = ranking_answers.state_from_query(view, search)
    named = quarter if "quarter" in query_values(search) and not quarter_ignored else None
    ranking = (ranking_answers.offered_quarters(view), quarter, named)
    ignored = (*ignored, "quarter") if quarter_ignored else tuple(ignored)
    return state, tuple(periods), ignored, ranking


def district_state(view, code: str, search: str, lang: str) -> tuple:
    """The district filters of a URL query, or the defaults and a note saying which filter was not valid."""
    try:
        return district_answers.parse_query(view, code, search), ""
    except BadInput as exc:
        return district_answers.default_params(view, code), t("district.bad_filter", lang, reason=str(exc))


def overview_periods(view) -> tuple[tuple[str, ...], str | None]:
    """Periods the overview offers (years and months) and the default: the latest complete month."""
    if view is None:
        return (), None
    return offered_periods(view), default_period(view)


@page_callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), State(ids.URL, "search"))
def render_page(pathname, search):
    """The layout of the page a URL names, or a message saying why there is none (built once per snapshot
    version, page, language and page state; only parsed values, never the raw path or query, reach the cache).
    A change of the query alone re-renders nothing: the page's own callbacks follow it (the overview's state),
    and the language switch loads the page anew."""
    rt, lang, base = runtime(), page_lang(search), prefix()
    search = query_string(search)
    route = parse_route(pathname if isinstance(pathname, str) and pathname else base, base)
    if route.page == "wall":
        return wall_page(search)  # full screen, no light header; its query (playlist, dwell) shapes it
    view = current_view()
    visible = decision().units  # before the first snapshot too: only the viewer's units
    known = route.page != "not_found" and (route.page != "district" or route.code in visible)
    if view is None or not known:
        return plain(build_page(rt, view, route, lang, base, shown=shorten(str(pathname), 80)))
    state = None
    if route.page == "overview":
        state = overview_state(rt, view, search)
    elif route.page == "district":
        state = district_state(view, route.code, search, lang)
    return view.memo(("page", route, lang, state), lambda v: plain(build_page(rt, v, route, lang, base, state=state)))


def build_page(rt, view, route, lang: str, base: str, shown: str = "", state=None):
    """The layout of one page for a pinned view (None before the first snapshot); `shown` is the (shortened)
    path a not-found message names, `state` the overview's (state, periods, ignored names)."""
    pathname = route.path(base)
    as_of = view.snapshot.as_of if view else None
    demo = rt.settings.embedded
    if route.page == "overview":
        params, periods, ignored, (quarters, quarter, named) = state or (None, [], (), ((), None, None))
        query = ranking_answers.query_with(query_for("", params), named) if params is not None else ""
        return overview_layout(rt.city, lang, pathname, base, as_of, periods, params, ignored=ignored,
                               export_query=query, scope=view.scope.units if view else None, demo=demo,
                               quarters=quarters, quarter=quarter)
    if route.page == "district":
        unit = rt.city.unit(route.code)
        if unit is None or (view is not None and unit.code not in view.scope.units):  # out of scope: unknown
            return message_page(rt.city, lang, pathname, base, t("error.unknown_unit", lang, code=route.code))
        params, note = state or (None, "")
        departments = view.frames["departments"] if view is not None else None
        return district_layout(rt.city, unit, lang, pathname, base, rt.areas.get(unit.code), as_of, params=params,
                               departments=departments, note=note, demo=demo)
    if route.page == "quality":
        if view is None:
            return message_page(rt.city, lang, pathname, base, t("error.no_data", lang))
        try:
            table = quality_answers.summary(view).rows
        except AccessDenied as exc:
            return message_page(rt.city, lang, pathname, base, t("error.denied", lang, reason=str(exc)))
        checked = view.meta.get("checked_at", "")
        return quality_layout(rt.city, lang, pathname, base, as_of, table, checked, demo=demo)
    return message_page(rt.city, lang, pathname, base, t("error.not_found", lang, path=shown))
