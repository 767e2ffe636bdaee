"""Overview callbacks: every chart for a metric and period; the quarterly ranking for a quarter; open a unit on
click."""

from __future__ import annotations

import json
import math

from dash import Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from plotly.io.json import to_json_plotly

from callbacks.context import clear_error, current_view, page_lang, prefix, runtime
from callbacks.registry import page_callback
from dashboard.answers import overview as answers
from dashboard.answers import ranking
from dashboard.answers.overview import OverviewParams
from dashboard.errors import BadInput
from dashboard.figures.balance import decomposition_figure, lorenz_figure, profile_figure, trend_figure
from dashboard.figures.map import unit_map
from dashboard.figures.ranking import ranking_bar
from dashboard.i18n import t
from dashboard.metrics import CATALOGUE, DIMENSIONS
from dashboard.regions import GROUPS
from dashboard.routes import query_string
from layouts import ids


def fmt_value(value: float, spec: str) -> str:
    """A metric value as text, '—' when missing."""
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def plain(component):
    """A component tree as the JSON the browser receives, built once so cached answers skip re-encoding."""
    return json.loads(to_json_plotly(component))


def composite_table(rows, lang: str) -> html.Table:
    """Units by composite score (the composite answer's rows) with their rank change since the previous period."""
    head = html.Tr(
        [html.Th(t(k, lang)) for k in ("overview.rank", "overview.unit", "overview.score", "overview.change")]
    )
    body = []
    for r in rows.itertuples():
        change = "—" if math.isnan(r.change) else ("▲" if r.change > 0 else "▼" if r.change < 0 else "＝")
        if change in "▲▼":
            change += f"{abs(int(r.change))}"
        body.append(
            html.Tr(
                [
                    html.Td(f"{int(r.rank)}"),
                    html.Td(getattr(r, f"name_{lang}")),
                    html.Td(f"{r.composite:.1f}", className="num"),
                    html.Td(change, className="num"),
                ],
                **{"data-code": r.code},
            )
        )
    return html.Table([html.Thead(head), html.Tbody(body)], className="summary-table composite-table")


@page_callback(
    Output(ids.OVERVIEW_MAP, "figure"),
    Output(ids.OVERVIEW_RANKING, "figure"),
    Output(ids.OVERVIEW_LORENZ, "figure"),
    Output(ids.OVERVIEW_TREND, "figure"),
    Output(ids.OVERVIEW_DECOMPOSITION, "figure"),
    Output(ids.OVERVIEW_PROFILE, "figure"),
    Output(ids.OVERVIEW_COMPOSITE, "children"),
    Output(ids.OVERVIEW_VERDICT, "children"),
    Output(ids.OVERVIEW_CITY_VALUE, "children"),
    Output(ids.OVERVIEW_LORENZ_EXPLAIN, "children"),
    Input(ids.OVERVIEW_METRIC, "value"),
    Input(ids.OVERVIEW_PERIOD, "value"),
    Input(ids.OVERVIEW_UNIT, "value"),
    State(ids.URL, "search"),
)
def update_overview(metric, period, unit, search):
    """Every overview chart for the chosen metric, period and profile unit: parse, view, answer, render."""
    rt, lang = runtime(), page_lang(search)
    view = current_view()
    if view is None:
        raise BadInput(t("error.no_data", lang))
    params = answers.parse(view, metric, period, unit)
    outputs = view.memo(("overview_page", params, lang), lambda v: render(rt, v, params, lang))
    clear_error()
    return outputs


def labelled(rows, lang: str):
    """Answer rows with the `name` column the figure builders draw, in the page's language."""
    return rows.assign(name=rows[f"name_{lang}"])


def city_text(answer, spec, lang: str, all_units: int) -> str:
    """The city's value, saying how many units stand behind it when not all of them, or that the source cannot
    give the metric."""
    if answer.provenance.notes.get("not_available_from_source"):
        return t("metric.not_available", lang)
    row = answer.rows.iloc[0]
    text = t("overview.city_value", lang, value=fmt_value(row["value"], spec.fmt))
    if int(row["units"]) < all_units:
        text += " " + t("overview.city_units", lang, n=int(row["units"]), total=all_units)
    if answer.provenance.notes.get("deadlines_provisional_from"):
        text += " " + t("deadline.provisional_short", lang)
    return text


def render(rt, view, p, lang: str) -> tuple:
    """Every output of update_overview, drawn from the panels' answers only, as plain JSON values."""
    spec = CATALOGUE[p.metric]
    unit_text = spec.unit_en if lang == "en" else spec.unit_zh
    label = f"{t(f'metric.{p.metric}', lang)} ({unit_text})"
    values = labelled(answers.unit_values(view, p).rows, lang)
    city = answers.city_value(view, p)
    fig_map = unit_map(
        values,
        geojson_url=rt.geojson_url,
        featureidkey=f"properties.{rt.city.code_property}",
        view=rt.map_view(),
        value_label=label,
        value_format=spec.fmt,
        colorscale="Blues" if spec.higher_is_better is not False else "Reds",
        no_data_label=t("metric.not_available" if city.provenance.notes.get("not_available_from_source")
                        else "overview.no_data", lang),
    )
    fig_rank = ranking_bar(
        values.dropna(subset=["value"]),
        value_label=label,
        group_labels={g: t(f"group.{g}", lang) for g in GROUPS},
        value_format=spec.fmt,
        reference=city.rows["value"].iloc[0],
        reference_label=t("city.name", lang),
    )
    lorenz = answers.lorenz(view, p)
    weighted = lorenz.provenance.notes["weighted"]
    fig_lorenz = lorenz_figure(
        lorenz.rows,
        {
            "equality": t("balance.equality", lang),
            "curve": t("balance.curve", lang),
            "x": t("balance.population_share" if weighted else "balance.unit_share", lang),
            "y": t("balance.value_share", lang),
        },
    )
    trend = answers.balance_trend(view, p)
    fig_trend = trend_figure(
        trend.rows, {"gini": t("balance.gini", lang), "theil": t("balance.theil", lang)}, t("balance.index", lang)
    )
    fig_decomp = decomposition_figure(
        trend.rows,
        "theil_between",
        "theil_within",
        {"between": t("balance.between", lang), "within": t("balance.within", lang), "y": t("balance.theil", lang)},
    )
    profile = answers.profile(view, p).rows.set_index("dimension")
    dims = {d: t(f"dimension.{d}", lang) for d in DIMENSIONS}
    unit_name = rt.city.unit(p.unit).name(lang)
    fig_profile = profile_figure(profile["unit"], profile["city"], dims, unit_name, t("city.name", lang))
    weighting = t("overview.weighted" if weighted else "overview.unweighted", lang)
    return (
        fig_map,
        fig_rank,
        fig_lorenz,
        fig_trend,
        fig_decomp,
        fig_profile,
        plain(composite_table(answers.composite(view, p).rows, lang)),
        t(f"overview.verdict_{trend.provenance.notes['verdict']}", lang),
        city_text(city, spec, lang, len(view.frames["units"])),
        t("overview.explain_lorenz", lang, weighting=weighting),
    )


def ranking_rows(rows, lang: str) -> list[dict]:
    """The quarterly ranking answer's rows as grid records (NaN as null), with the unit's name and group in the
    page's language."""
    groups = {g: t(f"group.{g}", lang) for g in GROUPS}
    shown = rows.assign(name=rows[f"name_{lang}"], group_label=rows["group"].map(groups))
    return json.loads(shown.to_json(orient="records", double_precision=15))


def ranking_note(answer, lang: str) -> str:
    """What the ranking compares: the quarter, how many units of the city are ranked, the previous quarter."""
    prov = answer.provenance
    if prov.period is None:
        return t("ranking.none", lang)
    notes = prov.notes
    text = t("ranking.note", lang, quarter=prov.period, ranked=notes["ranked_units"], units=notes["city_units"],
             previous=notes["previous_quarter"])
    return text if notes["complete"] else f"{text} {t('ranking.running', lang)}"


@page_callback(
    Output(ids.OVERVIEW_QUARTERLY, "rowData"),
    Output(ids.OVERVIEW_QUARTERLY_NOTE, "children"),
    Input(ids.OVERVIEW_QUARTER, "value"),
    State(ids.URL, "search"),
)
def update_quarterly_ranking(quarter, search):
    """The quarterly ranking for the chosen quarter (the default when none): parse, view, answer, render."""
    lang = page_lang(search)
    view = current_view()
    if view is None:
        raise BadInput(t("error.no_data", lang))
    try:
        params = ranking.parse(view, quarter)
    except BadInput as exc:
        raise BadInput(t("ranking.bad_quarter", lang, reason=str(exc))) from None

    def render_ranking(v):
        answer = ranking.quarterly_ranking(v, params)
        return ranking_rows(answer.rows, lang), ranking_note(answer, lang)

    outputs = view.memo(("quarterly_page", params, lang), render_ranking)
    clear_error()
    return outputs


@page_callback(
    Output(ids.OVERVIEW_URL, "search"),
    Output(ids.OVERVIEW_METRIC, "value"),
    Output(ids.OVERVIEW_PERIOD, "value"),
    Output(ids.OVERVIEW_UNIT, "value"),
    Output(ids.OVERVIEW_QUARTER, "value"),
    Input(ids.OVERVIEW_URL, "search"),
    Input(ids.OVERVIEW_METRIC, "value"),
    Input(ids.OVERVIEW_PERIOD, "value"),
    Input(ids.OVERVIEW_UNIT, "value"),
    Input(ids.OVERVIEW_QUARTER, "value"),
    prevent_initial_call=True,
)
def sync_overview_url(search, metric, period, unit, quarter):
    """Keep the overview's state in the URL: a choice writes the query (a new history entry), and a query that
    changes by back or forward sets the choices. The ranking's quarter enters the query once it differs from the
    one the query already means (a query without one means the default quarter)."""
    view = current_view()
    if view is None:
        raise PreventUpdate
    search = query_string(search)
    if ctx.triggered_id == ids.OVERVIEW_URL:
        shown = OverviewParams(metric, period, unit)
        state, _ = answers.state_from_query(view, search, shown)
        wanted_quarter, _ = ranking.state_from_query(view, search)
        if state == shown and wanted_quarter == quarter:
            raise PreventUpdate
        if wanted_quarter == quarter:  # back or forward between charts' states: the ranking stays as it is
            return no_update, state.metric, state.period, state.unit, no_update
        return no_update, state.metric, state.period, state.unit, wanted_quarter
    params = answers.parse(view, metric, period, unit)
    wanted = answers.query_for(search, params)
    chosen = ranking.parse(view, quarter).quarter
    if chosen != ranking.state_from_query(view, search)[0]:
        wanted = ranking.query_with(wanted, chosen)
    if wanted == search:
        raise PreventUpdate
    return wanted, no_update, no_update, no_update, no_update


def clicked_code(click_data, key: str) -> str | None:
    """The unit code in a map or bar click payload, or None for anything else."""
    try:
        point = click_data["points"][0]
        return str(point["location"] if key == "location" else point["customdata"][0])
    except (KeyError, IndexError, TypeError):
        return None


@page_callback(
    Output(ids.URL, "pathname"),
    Input(ids.OVERVIEW_MAP, "clickData"),
    Input(ids.OVERVIEW_RANKING, "clickData"),
    prevent_initial_call=True,
)
def open_unit(map_click, bar_click):
    """Go to the district page of the clicked unit; ignore clicks that name no unit of the city."""
    if ctx.triggered_id == ids.OVERVIEW_MAP:
        code = clicked_code(map_click, "location")
    else:
        code = clicked_code(bar_click, "customdata")
    if code is None or runtime().city.unit(code) is None:
        raise PreventUpdate
    return f"{prefix()}district/{code}"
