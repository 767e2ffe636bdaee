"""The wall screen at `/wall`: a dark, full-screen page for distance viewing that refreshes itself, rotates its
panels and says how fresh its data is. callbacks.wall fills the tiles, figures and alert."""

from __future__ import annotations

import math

from dash import dcc, html

from dashboard.i18n import t
from dashboard.metrics import CATALOGUE
from dashboard.regions import City
from dashboard.wall import PANELS, Alert, Change, Stock, Tiles, WallOptions
from layouts import ids

# Nobody touches a wall: static plots attach no hover or drag handlers.
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "staticPlot": True}
GRAPH_STYLE = {"width": "100%", "height": "100%"}
ALERT_LINES = 6
RAIL_ITEMS = 3  # breaches the rail names; it counts the rest
ARROWS = {True: "▲", False: "▼"}


def fmt_metric(metric: str, value: float) -> str:
    """A metric value in its catalogue format, '—' when missing."""
    return "—" if value is None or math.isnan(value) else format(value, CATALOGUE[metric].fmt)


def change_text(change: Change, vs: str, lang: str) -> str:
    """'▲1.2个百分点 较上周同日' and the like; 'nothing to compare' when there is no previous value."""
    if change.delta is None:
        return t("wall.no_comparison", lang)
    arrow = "＝" if change.delta == 0 else ARROWS[change.delta > 0]
    size = abs(change.delta)
    if change.kind == "relative":
        amount = f"{size:.1%}"
    elif change.kind == "pp":
        amount = t("wall.pp", lang, value=f"{size * 100:.1f}")
    else:
        amount = t("wall.points", lang, value=f"{size:.2f}")
    return f"{arrow}{amount} {vs}"


def change_class(change: Change) -> str:
    """CSS class of a change: better, worse or neutral."""
    return {True: "better", False: "worse"}.get(change.better, "neutral")


def tile_row(label: str, value: str, note: str, note_class: str) -> html.Div:
    """One line of a tile: period, value, and its change or note."""
    return html.Div(
        [
            html.Span(label, className="wall-row-label"),
            html.Span(value, className="wall-value"),
            html.Span(note, className=f"wall-change {note_class}"),
        ],
        className="wall-row",
    )


def today_note(change: Change, lang: str) -> tuple[str, str]:
    """The today row's note and class. A count of today so far is not set against last week's whole day as a
    percentage (it would read as a fall every morning): the whole day's count is shown beside it instead."""
    if change.kind == "relative":
        return t("wall.last_week_count", lang, value=fmt_metric(change.metric, change.previous)), "neutral"
    return change_text(change, t("wall.vs_last_week", lang), lang), change_class(change)


def flow_tile(metric: str, today: Change, month: Change, day_label: str, lang: str) -> html.Div:
    """A tile of a flow metric: today and this month, each against its previous period."""
    return html.Div(
        [
            html.Div(t(f"wall.tile_{metric}", lang), className="wall-tile-title"),
            tile_row(day_label, fmt_metric(metric, today.current), *today_note(today, lang)),
            tile_row(
                t("wall.month", lang),
                fmt_metric(metric, month.current),
                change_text(month, t("wall.vs_last_month", lang), lang),
                change_class(month),
            ),
        ],
        className="wall-tile",
        **{"data-metric": metric},
    )


def stock_tile(key: str, stock: Stock, arrivals_key: str, lang: str, provisional: int = 0) -> html.Div:
    """A tile of a stock (open or overdue bad reviews): the count now and how many arrived today and this
    month; `provisional` of them with a deadline the working-day calendar does not know yet (marked ※)."""
    arrivals = t(arrivals_key, lang, today=f"{stock.today:,}", month=f"{stock.month:,}")
    title = t(f"wall.tile_{key}", lang) + (f" ※{provisional:,}" if provisional else "")
    return html.Div(
        [
            html.Div(title, className="wall-tile-title",
                     title=t("deadline.provisional_short", lang) if provisional else None),
            tile_row(t("wall.now", lang), f"{stock.now:,}", "", "neutral"),
            html.Div(arrivals, className="wall-arrivals"),
        ],
        className="wall-tile stock" + (" attention" if stock.now else ""),
        **{"data-metric": key},
    )


def tiles_view(model: Tiles, day_label: str, lang: str, provisional_overdue: int = 0) -> list:
    """Every KPI tile, in reading order."""
    flows = [flow_tile(m, model.today[m], model.month[m], day_label, lang) for m in model.today]
    stocks = [
        stock_tile("open_bad", model.open_bad, "wall.open_arrivals", lang),
        stock_tile("overdue", model.overdue, "wall.overdue_arrivals", lang, provisional_overdue),
    ]
    return flows + stocks


def alert_figures(alert: Alert, names: dict[str, str]) -> dict[str, str]:
    """An alert's unit name, value, threshold and reviews as text, for the takeover's and the rail's messages."""
    spec = ".1%" if alert.kind == "bad_rate" else ",.0f"
    return {"unit": names.get(alert.unit, alert.unit), "value": format(alert.value, spec),
            "threshold": format(alert.threshold, spec), "reviews": f"{alert.reviews:,}"}


def alert_line(alert: Alert, names: dict[str, str], lang: str) -> html.Li:
    """One breached threshold, naming the unit and its figure against the threshold."""
    text = t(f"wall.alert_{alert.kind}", lang, **alert_figures(alert, names))
    return html.Li(text, **{"data-unit": alert.unit, "data-kind": alert.kind})


def alert_view(found: list[Alert], names: dict[str, str], lang: str) -> list:
    """The takeover's content: every breach, worst first. assets/wall.js shows it over the stage for one dwell
    when a breach starts, never for breaches already on when the screen loads."""
    if not found:
        return []
    lines = [alert_line(a, names, lang) for a in found[:ALERT_LINES]]
    if len(found) > ALERT_LINES:
        lines.append(html.Li(t("wall.alert_more", lang, n=len(found) - ALERT_LINES), className="more"))
    return [html.H2(t("wall.alert_title", lang)), html.Ul(lines)]


def since_text(since: str | None, today_iso: str) -> str:
    """When a breach began, short: the time today, else month-day and time."""
    if not since:
        return ""
    return since[11:16] if since[:10] == today_iso else since[5:16]


def rail_item(alert: Alert, names: dict[str, str], lang: str, today_iso: str) -> html.Span:
    """One breach in the rail: unit, figure against threshold, since when."""
    text = t(f"wall.rail_{alert.kind}", lang, **alert_figures(alert, names))
    return html.Span(
        [html.Span(text, className="wall-rail-text"),
         html.Span(t("wall.rail_since", lang, since=since_text(alert.since, today_iso)), className="wall-rail-since")],
        className=f"wall-rail-item {alert.kind}",
        **{"data-unit": alert.unit, "data-kind": alert.kind},
    )


def rail_view(found: list[Alert], names: dict[str, str], lang: str, today_iso: str) -> tuple[list, str]:
    """The alert rail under the stage: every breach, worst first, with since when (as many as fit, then a count
    of the rest); 'No alerts' when calm. It stays while the panels rotate."""
    if not found:
        return [html.Span(t("wall.rail_none", lang), className="wall-rail-title")], "wall-rail calm"
    items = [rail_item(a, names, lang, today_iso) for a in found[:RAIL_ITEMS]]
    more = [html.Span(t("wall.alert_more", lang, n=len(found) - RAIL_ITEMS), className="wall-rail-more")] if len(
        found) > RAIL_ITEMS else []
    title = html.Span(t("wall.rail_title", lang, n=len(found)), className="wall-rail-title")
    return [title, html.Span([*items, *more], className="wall-rail-items")], "wall-rail active"


def panel(name: str, title: str, graph_id: str, active: bool, extra=None) -> html.Section:
    """One rotating panel: a title and a graph filling the rest."""
    head = [html.H2(title, className="wall-panel-title")]
    if extra is not None:
        head.append(extra)
    return html.Section(
        [
            html.Div(head, className="wall-panel-head"),
            html.Div(dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style=GRAPH_STYLE), className="wall-graph"),
        ],
        id=ids.wall_panel(name),
        className="wall-panel active" if active else "wall-panel",
    )


def badge_class(text: str) -> str:
    """The badge is shown only when it has something to say."""
    return "wall-badge stale" if text else "wall-badge"


def wall_layout(
    city: City,
    lang: str,
    options: WallOptions,
    notes: list[str],
    *,
    version: int | None,
    badge: str,
    timezone: str,
    stale_minutes: int,
    demo: bool = True,
) -> html.Div:
    """The wall page: header (title, freshness badge, data time, clock), KPI tiles, the rotating stage with the
    alert over it, and a footer line. The root's data-* attributes configure assets/wall.js (rotation, clock,
    screen size, and the stale check that still works when the server is unreachable)."""
    metric = t(f"metric.{options.metric}", lang)
    first = options.panels[0]
    titles = {
        "map": t("wall.panel_map", lang, metric=metric),
        "ranking": t("wall.panel_ranking", lang, metric=metric),
        "trend": t("wall.panel_trend", lang, metric=metric),
    }
    graphs = {"map": ids.WALL_MAP, "ranking": ids.WALL_RANKING, "trend": ids.WALL_TREND}
    verdict = html.Span(id=ids.WALL_VERDICT, className="wall-verdict")
    panels = [
        panel(name, titles[name], graphs[name], name == first, verdict if name == "trend" else None) for name in PANELS
    ]
    config = {
        "data-panels": ",".join(options.panels),
        "data-dwell": str(options.dwell * 1000),
        "data-poll": str(int(options.poll * 1000)),
        "data-stale": str(stale_minutes * 60_000),
        "data-tz": timezone,
        "data-lang": lang,
    }
    return html.Div(
        [
            dcc.Store(id=ids.WALL_VIEWPORT),
            dcc.Store(id=ids.WALL_VERSION, data=version),
            dcc.Interval(id=ids.WALL_POLL, interval=int(options.poll * 1000)),
            html.Header(
                [
                    html.H1(t("wall.title", lang, city=city.name(lang)), className="wall-title"),
                    html.Div(badge, id=ids.WALL_BADGE, className=badge_class(badge), role="status"),
                    html.Div(
                        [
                            html.Span(id=ids.WALL_AS_OF, className="wall-as-of"),
                            html.Span(id=ids.WALL_CLOCK, className="wall-clock"),
                        ],
                        className="wall-when",
                    ),
                ],
                className="wall-header",
            ),
            html.Main(
                [
                    html.Section(id=ids.WALL_TILES, className="wall-tiles"),
                    html.Section(
                        [*panels, html.Div(id=ids.WALL_ALERT, className="wall-alert", role="alert")],
                        id=ids.WALL_STAGE,
                        className="wall-stage",
                    ),
                ],
                className="wall-body",
            ),
            html.Div(id=ids.WALL_RAIL, className="wall-rail", role="status", **{"aria-live": "polite"}),
            html.Footer(
                [
                    html.Span(
                        t("app.demo_notice", lang, year=city.population_year or "—") if demo else "",
                        className="wall-demo",
                    ),
                    html.Span(" · ".join(notes), id=ids.WALL_NOTES, className="wall-notes"),
                    html.Span(id=ids.WALL_DRAWN, className="wall-drawn"),
                ],
                className="wall-footer",
            ),
        ],
        id=ids.WALL_ROOT,
        className="wall",
        lang="zh-CN" if lang == "zh" else "en",
        **config,
    )
