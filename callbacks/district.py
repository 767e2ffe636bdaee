"""District page callbacks: every panel for the unit and filters (parse, view, answer, render), and the filters
kept in the URL's query."""

from __future__ import annotations

import json
import math

from dash import Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.context import clear_error, current_view, page_lang
from callbacks.overview import plain
from callbacks.registry import page_callback
from dashboard.aggregation import CHANNELS
from dashboard.answers import district as answers
from dashboard.errors import BadInput
from dashboard.figures.district import (
    channel_mix_figure,
    channel_score_figure,
    comparison_lines,
    dimension_bars,
    pareto_figure,
    rectification_figure,
)
from dashboard.i18n import t
from dashboard.metrics import CATALOGUE, DIMENSIONS
from dashboard.routes import parse_route, query_string
from layouts import ids

SERIES = answers.SERIES
HOURS = ("median_hours", "p90_hours")  # trend figures drawn from the monthly processing-time histograms
PANEL_OUTPUTS = [
    *[Output(ids.district_trend(m), "figure") for m in ids.DISTRICT_TREND_METRICS],
    Output(ids.DISTRICT_STANDING, "children"),
    Output(ids.DISTRICT_COMPOSITE, "figure"),
    Output(ids.DISTRICT_DEPARTMENTS, "rowData"),
    Output(ids.DISTRICT_ITEMS, "rowData"),
    Output(ids.DISTRICT_PARETO_BAD, "figure"),
    Output(ids.DISTRICT_PARETO_LATE, "figure"),
    Output(ids.DISTRICT_CHANNEL_MIX, "figure"),
    Output(ids.DISTRICT_CHANNEL_SCORE, "figure"),
    Output(ids.DISTRICT_OPEN_BAD, "rowData"),
    Output(ids.DISTRICT_OPEN_BAD_NOTE, "children"),
    Output(ids.DISTRICT_RECTIFICATION, "figure"),
    Output(ids.DISTRICT_RECT_DEPARTMENTS, "rowData"),
]
FILTERS = [
    Input(ids.DISTRICT_DATES, "start_date"),
    Input(ids.DISTRICT_DATES, "end_date"),
    Input(ids.DISTRICT_BY, "value"),
    Input(ids.DISTRICT_DEPARTMENT, "value"),
    Input(ids.DISTRICT_CHANNEL, "value"),
]


def unit_code(pathname) -> str:
    """The unit code of the page's path (validated by the answers against the view's scope)."""
    route = parse_route(pathname if isinstance(pathname, str) else None)
    if route.page != "district":
        raise PreventUpdate
    return route.code


def params_of(view, pathname, start, end, by, department, channel) -> answers.DistrictParams:
    """The validated filters of a callback (a date picker sends 'YYYY-MM-DD' or a full ISO time)."""

    def day(value):
        return value[:10] if isinstance(value, str) and len(value) >= 10 else value

    return answers.parse(view, unit_code(pathname), start=day(start), end=day(end), granularity=by,
                         department=department, channel=channel)


@page_callback(*PANEL_OUTPUTS, *FILTERS, State(ids.URL, "pathname"), State(ids.URL, "search"))
def update_district(start, end, by, department, channel, pathname, search):
    """Every panel of the district page for the unit and filters."""
    lang = page_lang(search)
    view = current_view()
    if view is None:
        raise BadInput(t("error.no_data", lang))
    try:
        params = params_of(view, pathname, start, end, by, department, channel)
    except BadInput as exc:
        raise BadInput(t("district.bad_filter", lang, reason=str(exc))) from None
    outputs = view.memo(("district_page", params, lang), lambda v: render(v, params, lang))
    clear_error()
    return outputs


def fmt(value, spec: str) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def records(rows) -> list[dict]:
    """Grid rows as JSON records (NaN as null, times as text)."""
    return json.loads(rows.to_json(orient="records", date_format="iso", date_unit="s"))


def standing_table(rows, lang: str) -> html.Table:
    """The unit's value, the city's and its group's median, and its ranks, one row per metric."""
    head = html.Tr([html.Th(t(k, lang)) for k in ("district.metric", "district.value", "district.series.city",
                                                   "district.series.group_median", "district.rank_all",
                                                   "district.rank_group")])
    body = []
    for r in rows.itertuples():
        spec = CATALOGUE[r.metric].fmt
        rank = "—" if math.isnan(r.rank) else f"{int(r.rank)} / {r.units}"
        group_rank = "—" if math.isnan(r.group_rank) else f"{int(r.group_rank)} / {r.group_units}"
        body.append(html.Tr(
            [html.Td(t(f"metric.{r.metric}", lang)), html.Td(fmt(r.unit, spec), className="num"),
             html.Td(fmt(r.city, spec), className="num"), html.Td(fmt(r.group_median, spec), className="num"),
             html.Td(rank, className="num"), html.Td(group_rank, className="num")],
            **{"data-metric": r.metric},
        ))
    return html.Table([html.Thead(head), html.Tbody(body)], className="summary-table standing-table")


def trend_figure(rows, metric: str, lang: str) -> dict:
    """One metric's lines (the unit, the city, the group median) from long rows."""
    spec = CATALOGUE[metric]
    unit_text = spec.unit_en if lang == "en" else spec.unit_zh
    labels = {s: t(f"district.series.{s}", lang) for s in SERIES}
    if metric == "requests":
        labels["city"] = t("district.series.city_mean", lang)
    return comparison_lines(rows, metric, labels, spec.fmt, f"{t(f'metric.{metric}', lang)} ({unit_text})")


def render_monthly(view, p: answers.DistrictParams, lang: str) -> dict:
    """The outputs drawn from the answers of the monthly tables, which depend on `p.monthly` only."""
    processing = answers.processing(view, p).rows
    out = {metric: trend_figure(processing, metric, lang) for metric in HOURS}
    pareto_labels = {"count": t("district.count", lang), "cumulative": t("district.cumulative", lang)}
    for kind in ("bad", "late"):
        rows = answers.pareto(view, p, kind).rows
        out[f"pareto_{kind}"] = pareto_figure(rows.assign(name=rows[f"name_{lang}"]), pareto_labels)
    out["departments"] = records(answers.departments(view, p).rows)
    out["items"] = records(answers.items(view, p).rows)
    out["rectification_departments"] = records(answers.rectification_by_department(view, p).rows)
    return out


def render(view, p: answers.DistrictParams, lang: str) -> tuple:
    """Every output of update_district, drawn from the page's answers only, as plain JSON values. What the monthly
    tables' answers draw is kept per unit, months, department and language: a new range within the same months
    draws only the panels of the day tables."""
    series = {s: t(f"district.series.{s}", lang) for s in SERIES}
    monthly = view.memo(("district_monthly_outputs", *p.monthly, lang), lambda v: render_monthly(v, p, lang))
    trends = answers.trends(view, p).rows
    figures = [monthly[m] if m in HOURS else trend_figure(trends, m, lang) for m in ids.DISTRICT_TREND_METRICS]
    composite = answers.composite_profile(view, p)
    dims = {d: t(f"dimension.{d}", lang) for d in DIMENSIONS} | {"composite": t("overview.score", lang)}
    fig_composite = dimension_bars(composite.rows, dims, series, composite.provenance.period or "")
    channels = {c: t(f"channel.{c}", lang) for c in CHANNELS}
    fig_mix = channel_mix_figure(answers.channel_mix(view, p).rows, channels, t("district.share", lang))
    fig_score = channel_score_figure(answers.channel_satisfaction(view, p).rows, channels,
                                     {s: series[s] for s in ("unit", "city")}, t("col.mean_score", lang))
    open_bad = answers.open_bad(view, p)
    open_note = t("district.open_bad_note", lang, as_of=view.as_of.isoformat(sep=" ")[:16],
                  total=f"{open_bad.provenance.notes['total']:,}", days=view.rectify.describe(lang))
    if open_bad.rows["provisional"].any():
        known = open_bad.provenance.notes["calendar_known_until"]
        open_note += " " + t("deadline.provisional", lang, year=int(known[:4]) + 1 if known else "")
    fig_rect = rectification_figure(answers.rectification(view, p).rows, {s: series[s] for s in ("unit", "city")},
                                    t("col.rectification_rate", lang), t("col.rectification_on_time_rate", lang))
    return (
        *figures,
        plain(standing_table(answers.standing(view, p).rows, lang)),
        fig_composite,
        monthly["departments"],
        monthly["items"],
        monthly["pareto_bad"],
        monthly["pareto_late"],
        fig_mix,
        fig_score,
        records(open_bad.rows),
        open_note,
        fig_rect,
        monthly["rectification_departments"],
    )


@page_callback(
    Output(ids.DISTRICT_URL, "search"),
    Output(ids.DISTRICT_DATES, "start_date"),
    Output(ids.DISTRICT_DATES, "end_date"),
    Output(ids.DISTRICT_BY, "value"),
    Output(ids.DISTRICT_DEPARTMENT, "value"),
    Output(ids.DISTRICT_CHANNEL, "value"),
    Input(ids.DISTRICT_URL, "search"),
    *FILTERS,
    State(ids.URL, "pathname"),
    prevent_initial_call=True,
)
def sync_district_url(search, start, end, by, department, channel, pathname):
    """Keep the filters in the URL: a change of a filter writes the query (a history entry), and a query that
    changes by back or forward sets the filters."""
    view = current_view()
    if view is None:
        raise PreventUpdate
    search = query_string(search)
    if ctx.triggered_id == ids.DISTRICT_URL:
        try:
            wanted = answers.parse_query(view, unit_code(pathname), search)
        except BadInput:
            raise PreventUpdate from None  # the page already says the link's filter is not valid
        shown = (start[:10] if isinstance(start, str) else start, end[:10] if isinstance(end, str) else end,
                 by, department, channel)
        target = (wanted.start.isoformat(), wanted.end.isoformat(), wanted.granularity, wanted.department,
                  wanted.channel)
        if shown == target:
            raise PreventUpdate
        return no_update, *target
    params = params_of(view, pathname, start, end, by, department, channel)
    query = answers.query_for(search, params)
    if query == search:
        raise PreventUpdate
    return query, no_update, no_update, no_update, no_update, no_update
