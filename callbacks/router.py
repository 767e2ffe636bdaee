"""Fill the page slot from the URL."""

from __future__ import annotations

from datetime import datetime

from dash import Input, Output

from callbacks.context import page_lang, prefix, runtime
from callbacks.overview import plain
from callbacks.registry import page_callback
from callbacks.wall import wall_page
from dashboard.i18n import t
from dashboard.metrics import latest_complete_period, periods
from dashboard.quality import summary
from dashboard.routes import parse_route
from layouts import ids
from layouts.district import district_layout
from layouts.overview import overview_layout
from layouts.quality import quality_layout
from layouts.shell import message_page


def overview_periods(rt, snap) -> tuple[list[str], str | None]:
    """Periods the overview offers (years and months) and the default: the latest complete month."""
    if snap is None:
        return [], None
    _, months = rt.metric_table("month")
    _, years = rt.metric_table("year")
    month_list = periods(months)
    as_of = datetime.fromisoformat(snap.meta.get("watermark") or snap.as_of).date()
    return periods(years) + month_list, latest_complete_period(months, as_of) or (
        month_list[-1] if month_list else None
    )


@page_callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), Input(ids.URL, "search"))
def render_page(pathname, search):
    """The layout of the page a URL names, or a message saying why there is none (built once per snapshot
    version, page and language)."""
    rt, lang, base = runtime(), page_lang(search), prefix()
    pathname = pathname if isinstance(pathname, str) and pathname else base
    if parse_route(pathname, base).page == "wall":
        return wall_page(search)  # full screen, no light header; its query (playlist, dwell) shapes it
    snap, page = rt.memo(("page", pathname, lang), lambda snap: plain(build_page(rt, snap, pathname, lang, base)))
    return page if snap is not None else build_page(rt, None, pathname, lang, base)


def build_page(rt, snap, pathname: str, lang: str, base: str):
    """The layout of one page for a snapshot (None before the first one)."""
    route = parse_route(pathname, base)
    as_of = snap.as_of if snap else None
    demo = rt.settings.embedded
    if route.page == "overview":
        periods, default = overview_periods(rt, snap)
        return overview_layout(rt.city, lang, pathname, base, as_of, periods, default, demo=demo)
    if route.page == "district":
        unit = rt.city.unit(route.code)
        if unit is None:
            return message_page(rt.city, lang, pathname, base, t("error.unknown_unit", lang, code=route.code))
        return district_layout(rt.city, unit, lang, pathname, base, rt.areas.get(unit.code), as_of, demo=demo)
    if route.page == "quality":
        if snap is None:
            return message_page(rt.city, lang, pathname, base, t("error.no_data", lang))
        table = summary(snap.frames["quality_counts"], snap.meta.get("source_rows", {}))
        return quality_layout(rt.city, lang, pathname, base, as_of, table, snap.meta.get("checked_at", ""), demo=demo)
    return message_page(rt.city, lang, pathname, base, t("error.not_found", lang, path=pathname))
