"""Wall screen callbacks: a cheap poll of the snapshot version and freshness, and a redraw only when the version
changes. Rotation, clock and the screen size live in the browser (assets/wall.js) and never reach the server."""

from __future__ import annotations

import json
import math

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.context import clear_error, current_view, page_lang, runtime
from callbacks.overview import plain
from callbacks.registry import page_callback
from dashboard import wall as model
from dashboard.answers import wall as answers
from dashboard.errors import BadInput
from dashboard.figures.wall import BAD_SCALE, GOOD_SCALE, wall_map, wall_ranking, wall_trend
from dashboard.i18n import t
from dashboard.metrics import CATALOGUE
from dashboard.regions import GROUPS
from dashboard.routes import query_string
from layouts import ids
from layouts.wall import alert_view, badge_class, rail_view, tiles_view, wall_layout

# Share of the screen the map itself gets (the stage of assets/wall.css less its colour bar), for its zoom.
STAGE_WIDTH, STAGE_HEIGHT = 0.47, 0.69
SCREEN_LIMITS = {"w": (320, 15360), "h": (240, 8640)}
# Screen sizes are rounded down to this many CSS pixels: walls of nearly one size share one drawing.
SCREEN_STEP = 40


def defaults(settings) -> model.WallOptions:
    """The wall options the settings give, before a URL's query."""
    return model.WallOptions(
        panels=model.playlist_defaults(settings.wall_panels),
        dwell=settings.wall_dwell_seconds,
        poll=settings.wall_poll_seconds,
        metric=settings.wall_metric,
    )


def options(search: str | None, lang: str) -> tuple[model.WallOptions, list[str]]:
    """This wall's options (URL over settings) and notes on ignored values."""
    return model.parse_options(query_string(search), defaults(runtime().settings), lang)


def badge_text(rt, view, lang: str) -> str:
    """The stale badge's text ('' when the data is fresh): a failed refresh, or data older than the limit."""
    now = rt.clock.now()
    down = rt.reader.store_error  # the reader asked the store for this request's view: no second wait on it
    try:
        failure = rt.store.last_failure() if down is None else {"reason": f"snapshot store: {down}"}
    except Exception as exc:  # noqa: BLE001 - an unreachable store is itself a reason the data may be stale
        failure = {"reason": f"snapshot store: {exc}"}
    if failure is not None and "since" not in failure:
        failure["since"] = now.isoformat(sep=" ")
    if view is None and failure is None:
        return ""
    as_of = view.as_of if view is not None else now
    fresh = model.freshness(as_of, now, failure, rt.settings.wall_stale_minutes)
    if fresh.kind == "failure":
        return t("wall.stale_failure", lang, since=fresh.since, reason=fresh.reason)
    if fresh.kind == "old":
        return t("wall.stale_old", lang, minutes=rt.settings.wall_stale_minutes, since=fresh.since)
    return ""


def wall_page(search: str | None):
    """The wall layout for a URL query (the router's branch for /wall)."""
    rt = runtime()
    lang = page_lang(search)
    opts, notes = options(search, lang)
    view = current_view()
    return wall_layout(
        rt.city,
        lang,
        opts,
        notes,
        version=view.version if view else None,
        badge=badge_text(rt, view, lang),
        timezone=rt.settings.timezone,
        stale_minutes=rt.settings.wall_stale_minutes,
        demo=rt.settings.embedded,
    )


@page_callback(
    Output(ids.WALL_VERSION, "data"),
    Output(ids.WALL_BADGE, "children"),
    Output(ids.WALL_BADGE, "className"),
    Input(ids.WALL_POLL, "n_intervals"),
    State(ids.WALL_VERSION, "data"),
    State(ids.WALL_BADGE, "children"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def poll_wall(_n, shown_version, shown_badge, search):
    """The current snapshot version and the stale badge; nothing at all is sent when neither changed."""
    rt, lang = runtime(), page_lang(search)
    view = current_view()
    version = view.version if view else None
    badge = badge_text(rt, view, lang)
    if version == shown_version and badge == (shown_badge or ""):
        raise PreventUpdate
    return (version if version != shown_version else no_update), badge, badge_class(badge)


def screen_of(viewport) -> dict[str, int]:
    """The screen class of the size the browser reported ({w, h} in CSS pixels): each side clamped to sane
    bounds and rounded down to a step, so that a few classes, not every pixel count, reach the cache."""
    if not isinstance(viewport, dict):
        raise BadInput("bad screen size")
    size = {}
    for k in ("w", "h"):
        value = viewport.get(k)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise BadInput("bad screen size")
        low, high = SCREEN_LIMITS[k]
        size[k] = max(low, min(high, int(value) // SCREEN_STEP * SCREEN_STEP))
    return size


@page_callback(
    Output(ids.WALL_TILES, "children"),
    Output(ids.WALL_MAP, "figure"),
    Output(ids.WALL_RANKING, "figure"),
    Output(ids.WALL_TREND, "figure"),
    Output(ids.WALL_VERDICT, "children"),
    Output(ids.WALL_ALERT, "children"),
    Output(ids.WALL_RAIL, "children"),
    Output(ids.WALL_RAIL, "className"),
    Output(ids.WALL_AS_OF, "children"),
    Output(ids.WALL_DRAWN, "children"),
    Output(ids.WALL_DRAWN, "data-fresh"),
    Input(ids.WALL_VERSION, "data"),
    Input(ids.WALL_VIEWPORT, "data"),
    State(ids.URL, "search"),
)
def draw_wall(_version, viewport, search):
    """Tiles, map, ranking, balance trend and alert for the current snapshot; runs when the version changes
    (and once the browser has said how big the screen is). Walls of one language, metric and screen class
    share one drawing per snapshot version."""
    if viewport is None:
        raise PreventUpdate  # assets/wall.js sends the screen size as soon as the wall is on the page
    rt, lang = runtime(), page_lang(search)
    opts, _ = options(search, lang)
    screen = screen_of(viewport)
    view = current_view()
    if view is None:
        raise BadInput(t("error.no_data", lang))
    today = rt.clock.today()
    key = ("wall", lang, opts.metric, screen["w"], screen["h"], today)
    as_of_ms, old_text, *outputs = view.memo(key, lambda v: render(rt, v, lang, opts.metric, screen, today))
    fresh = {"asOf": as_of_ms, "server": rt.clock.epoch_ms(), "old": old_text}
    clear_error()
    return (*outputs, json.dumps(fresh, ensure_ascii=False))


def thresholds(settings) -> answers.Thresholds:
    """The alert thresholds of the settings."""
    return answers.Thresholds(settings.wall_bad_rate_alert, settings.wall_min_reviews, settings.wall_overdue_alert)


def render(rt, view, lang: str, metric: str, screen: dict[str, int], today) -> tuple:
    """Everything draw_wall returns for one view, drawn from the wall's answers only, as plain JSON values, led
    by the data's as-of time (epoch ms) and the text of the browser's own stale badge."""
    settings = rt.settings
    font = max(10, round(screen["h"] * 0.017))

    tile_answer = answers.tiles(view)
    kpis = answers.tiles_model(tile_answer)
    # "Today" only when the data's as-of day is today: an old screen says which day it shows.
    label = t("wall.today", lang) if kpis.day == today else t("wall.on_day", lang, date=kpis.day.isoformat())
    tiles = tiles_view(kpis, label, lang, tile_answer.provenance.notes["provisional_overdue"])

    spec = CATALOGUE[metric]
    frame = answers.month_values(view, metric).rows
    frame = frame.assign(name=frame[f"name_{lang}"])
    city_value = answers.month_city_value(view, metric).rows["value"].iloc[0]
    value_label = f"{t(f'metric.{metric}', lang)} ({spec.unit_en if lang == 'en' else spec.unit_zh})"
    fig_map = wall_map(
        frame,
        font_size=font,
        geojson_url=rt.geojson_url,
        featureidkey=f"properties.{rt.city.code_property}",
        view=rt.map_view(int(screen["w"] * STAGE_WIDTH), int(screen["h"] * STAGE_HEIGHT)),
        value_label=value_label,
        value_format=spec.fmt,
        colorscale=BAD_SCALE if spec.higher_is_better is False else GOOD_SCALE,
        no_data_label=t("overview.no_data", lang),
    )
    fig_rank = wall_ranking(
        frame.dropna(subset=["value"]),
        font_size=font,
        value_label=value_label,
        group_labels={g: t(f"group.{g}", lang) for g in GROUPS},
        value_format=spec.fmt,
        reference=city_value,
        reference_label=t("city.name", lang),
    )
    trend = answers.trend(view, metric)
    fig_trend = wall_trend(
        trend.rows,
        {"gini": t("balance.gini", lang), "theil": t("balance.theil", lang)},
        t("balance.index", lang),
        font_size=font,
    )
    found = answers.alert_list(answers.alerts(view, thresholds(settings)))
    names = {u.code: u.name(lang) for u in rt.city.units}
    rail_children, rail_class = rail_view(found, names, lang, today.isoformat())
    since = view.as_of.isoformat(sep=" ")[:16]
    return (
        model.epoch_ms(view.as_of, settings.timezone),
        t("wall.stale_old", lang, minutes=settings.wall_stale_minutes, since=since),
        plain(tiles),
        fig_map,
        fig_rank,
        fig_trend,
        t(f"overview.verdict_{trend.provenance.notes['verdict']}", lang),
        plain(alert_view(found, names, lang)),
        plain(rail_children),
        rail_class,
        t("data.as_of", lang, as_of=since),
        str(view.version),
    )
