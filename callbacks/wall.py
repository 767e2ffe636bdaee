"""Wall screen callbacks: a cheap poll of the snapshot version and freshness, and a redraw only when the version
changes. Rotation, clock and the screen size live in the browser (assets/wall.js) and never reach the server."""

from __future__ import annotations

import json

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.context import page_lang, runtime
from callbacks.overview import plain
from callbacks.registry import page_callback
from dashboard import wall as model
from dashboard.errors import BadInput
from dashboard.figures.wall import BAD_SCALE, GOOD_SCALE, wall_map, wall_ranking, wall_trend
from dashboard.i18n import t
from dashboard.metrics import CATALOGUE
from dashboard.regions import GROUPS
from layouts import ids
from layouts.wall import alert_view, badge_class, tiles_view, wall_layout

# Share of the screen the map itself gets (the stage of assets/wall.css less its colour bar), for its zoom.
STAGE_WIDTH, STAGE_HEIGHT = 0.47, 0.74
SCREEN_LIMITS = {"w": (320, 15360), "h": (240, 8640)}


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
    return model.parse_options(search, defaults(runtime().settings), lang)


def badge_text(rt, snap, lang: str) -> str:
    """The stale badge's text ('' when the data is fresh): a failed refresh, or data older than the limit."""
    now = rt.clock.now()
    try:
        failure = rt.store.last_failure()
    except Exception as exc:  # noqa: BLE001 - an unreachable store is itself a reason the data may be stale
        failure = {"reason": f"snapshot store: {exc}", "since": now.isoformat(sep=" ")}
    if snap is None and failure is None:
        return ""
    as_of = model.as_of_time(snap.meta, snap.as_of) if snap is not None else now
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
    snap = rt.reader.get()
    return wall_layout(
        rt.city,
        lang,
        opts,
        notes,
        version=snap.version if snap else None,
        badge=badge_text(rt, snap, lang),
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
    snap = rt.reader.get()
    version = snap.version if snap else None
    badge = badge_text(rt, snap, lang)
    if version == shown_version and badge == (shown_badge or ""):
        raise PreventUpdate
    return (version if version != shown_version else no_update), badge, badge_class(badge)


def screen_of(viewport) -> dict[str, int]:
    """The screen size the browser reported ({w, h} in CSS pixels), each clamped to sane bounds."""
    try:
        size = {k: int(viewport[k]) for k in ("w", "h")}
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"bad screen size {viewport!r}") from exc
    return {k: min(max(v, SCREEN_LIMITS[k][0]), SCREEN_LIMITS[k][1]) for k, v in size.items()}


def unit_frame(per_unit, rt, lang: str):
    """Per-unit values as the figure builders want them: code, name, group, value."""
    names = {u.code: u.name(lang) for u in rt.city.units}
    groups = {u.code: u.group for u in rt.city.units}
    frame = per_unit.rename("value").reset_index().rename(columns={"unit": "code"})
    return frame.assign(name=frame["code"].map(names), group=frame["code"].map(groups))


@page_callback(
    Output(ids.WALL_TILES, "children"),
    Output(ids.WALL_MAP, "figure"),
    Output(ids.WALL_RANKING, "figure"),
    Output(ids.WALL_TREND, "figure"),
    Output(ids.WALL_VERDICT, "children"),
    Output(ids.WALL_ALERT, "children"),
    Output(ids.WALL_ALERT, "className"),
    Output(ids.WALL_AS_OF, "children"),
    Output(ids.WALL_DRAWN, "children"),
    Output(ids.WALL_DRAWN, "data-fresh"),
    Input(ids.WALL_VERSION, "data"),
    Input(ids.WALL_VIEWPORT, "data"),
    State(ids.URL, "search"),
)
def draw_wall(_version, viewport, search):
    """Tiles, map, ranking, balance trend and alert for the current snapshot; runs when the version changes
    (and once the browser has said how big the screen is). Walls of one language, metric and size share one
    build per snapshot version."""
    if viewport is None:
        raise PreventUpdate  # assets/wall.js sends the screen size as soon as the wall is on the page
    rt, lang = runtime(), page_lang(search)
    opts, _ = options(search, lang)
    screen = screen_of(viewport)
    today = rt.clock.today()
    key = ("wall", lang, opts.metric, screen["w"], screen["h"], today)
    snap, parts = rt.memo(key, lambda snap: wall_parts(rt, snap, lang, opts.metric, screen, today))
    if snap is None:
        raise BadInput(t("error.no_data", lang))
    as_of_ms, old_text, *outputs = parts
    fresh = {"asOf": as_of_ms, "server": rt.clock.epoch_ms(), "old": old_text}
    return (*outputs, json.dumps(fresh, ensure_ascii=False))


def wall_parts(rt, snap, lang: str, metric: str, screen: dict[str, int], today) -> tuple:
    """Everything draw_wall returns for one snapshot, as plain JSON values, led by the data's as-of time
    (epoch ms) and the text of the browser's own stale badge."""
    settings = rt.settings
    as_of = model.as_of_time(snap.meta, snap.as_of)
    frames = snap.frames
    font = max(10, round(screen["h"] * 0.017))

    kpis = model.tiles(frames, as_of, settings.rectification_days)
    # "Today" only when the data's as-of day is today: an old screen says which day it shows.
    label = t("wall.today", lang) if kpis.day == today else t("wall.on_day", lang, date=kpis.day.isoformat())
    tiles = tiles_view(kpis, label, lang)

    spec = CATALOGUE[metric]
    month = kpis.windows["month"]
    frame = unit_frame(model.metric_values(model.window_counts(frames, month, by_unit=True))[metric], rt, lang)
    city_value = model.metric_values(model.window_counts(frames, month))[metric]
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

    _, table = rt.metric_table("month")
    trend, trend_verdict, weighted = model.balance_trend(table, frames["units"], metric)
    suffix = "_weighted" if weighted else ""
    fig_trend = wall_trend(
        trend,
        {f"gini{suffix}": t("balance.gini", lang), f"theil{suffix}": t("balance.theil", lang)},
        t("balance.index", lang),
        font_size=font,
    )

    found = model.alerts(
        model.unit_status(frames, as_of, settings.rectification_days),
        bad_rate_alert=settings.wall_bad_rate_alert,
        min_reviews=settings.wall_min_reviews,
        overdue_alert=settings.wall_overdue_alert,
    )
    alert_children, alert_class = alert_view(found, {u.code: u.name(lang) for u in rt.city.units}, lang)
    since = as_of.isoformat(sep=" ")[:16]
    return (
        model.epoch_ms(as_of, settings.timezone),
        t("wall.stale_old", lang, minutes=settings.wall_stale_minutes, since=since),
        plain(tiles),
        *(plain(fig) for fig in (fig_map, fig_rank, fig_trend)),
        t(f"overview.verdict_{trend_verdict}", lang),
        plain(alert_children),
        alert_class,
        t("data.as_of", lang, as_of=since),
        str(snap.version),
    )
