"""Fill the page slot from the URL."""

from __future__ import annotations

from dash import Input, Output

from callbacks.context import page_lang, prefix, runtime
from callbacks.overview import plain
from callbacks.registry import page_callback
from callbacks.wall import wall_page
from dashboard.answers import quality as quality_answers
from dashboard.answers.overview import offered_periods
from dashboard.i18n import t
from dashboard.metrics import latest_complete_period
from dashboard.routes import parse_route
from dashboard.wall import shorten
from layouts import ids
from layouts.district import district_layout
from layouts.overview import overview_layout
from layouts.quality import quality_layout
from layouts.shell import message_page


def overview_periods(view) -> tuple[list[str], str | None]:
    """Periods the overview offers (years and months) and the default: the latest complete month."""
    if view is None:
        return [], None
    offered = offered_periods(view)
    months = [p for p in offered if len(p) == 7]
    return offered, latest_complete_period(view.metric_table("month"), view.as_of.date()) or (
        months[-1] if months else None
    )


@page_callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), Input(ids.URL, "search"))
def render_page(pathname, search):
    """The layout of the page a URL names, or a message saying why there is none (built once per snapshot
    version, page and language; only a parsed route, never the raw path, reaches the cache)."""
    rt, lang, base = runtime(), page_lang(search), prefix()
    route = parse_route(pathname if isinstance(pathname, str) and pathname else base, base)
    if route.page == "wall":
        return wall_page(search)  # full screen, no light header; its query (playlist, dwell) shapes it
    view = rt.view()
    known = route.page != "not_found" and (route.page != "district" or rt.city.unit(route.code) is not None)
    if view is None or not known:
        return plain(build_page(rt, view, route, lang, base, shown=shorten(str(pathname), 80)))
    return view.memo(("page", route, lang), lambda v: plain(build_page(rt, v, route, lang, base)))


def build_page(rt, view, route, lang: str, base: str, shown: str = ""):
    """The layout of one page for a pinned view (None before the first snapshot); `shown` is the (shortened)
    path a not-found message names."""
    pathname = route.path(base)
    as_of = view.snapshot.as_of if view else None
    demo = rt.settings.embedded
    if route.page == "overview":
        periods, default = overview_periods(view)
        return overview_layout(rt.city, lang, pathname, base, as_of, periods, default, demo=demo)
    if route.page == "district":
        unit = rt.city.unit(route.code)
        if unit is None:
            return message_page(rt.city, lang, pathname, base, t("error.unknown_unit", lang, code=route.code))
        return district_layout(rt.city, unit, lang, pathname, base, rt.areas.get(unit.code), as_of, demo=demo)
    if route.page == "quality":
        if view is None:
            return message_page(rt.city, lang, pathname, base, t("error.no_data", lang))
        table = quality_answers.summary(view).rows
        checked = view.meta.get("checked_at", "")
        return quality_layout(rt.city, lang, pathname, base, as_of, table, checked, demo=demo)
    return message_page(rt.city, lang, pathname, base, t("error.not_found", lang, path=shown))
