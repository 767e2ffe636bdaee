"""Overview callbacks: every chart for a metric and period; open a unit on click."""

from __future__ import annotations

import json
import math

from dash import Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate
from plotly.io.json import to_json_plotly

from callbacks.context import page_lang, prefix, runtime
from callbacks.registry import page_callback
from dashboard import overview
from dashboard.errors import BadInput
from dashboard.figures.balance import decomposition_figure, lorenz_figure, profile_figure, trend_figure
from dashboard.figures.map import unit_map
from dashboard.figures.ranking import ranking_bar
from dashboard.i18n import t
from dashboard.metrics import CATALOGUE, DIMENSIONS
from dashboard.regions import GROUPS
from layouts import ids


def granularity_of(period) -> str:
    """'year' for 'YYYY', 'month' for 'YYYY-MM'; anything else is refused."""
    if isinstance(period, str) and len(period) == 4 and period.isdigit():
        return "year"
    if isinstance(period, str) and len(period) == 7 and period[:4].isdigit() and period[4] == "-":
        return "month"
    raise BadInput(f"unknown period {period!r}")


def fmt_value(value: float, spec: str) -> str:
    """A metric value as text, '—' when missing."""
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def plain(component):
    """A component tree as the JSON the browser receives, built once so cached answers skip re-encoding."""
    return json.loads(to_json_plotly(component))


def composite_table(model: overview.OverviewModel, names: dict[str, str], lang: str) -> html.Table:
    """Units by composite score with their rank change since the previous period."""
    head = html.Tr(
        [html.Th(t(k, lang)) for k in ("overview.rank", "overview.unit", "overview.score", "overview.change")]
    )
    rows = []
    for code, r in model.composite.sort_values("rank").iterrows():
        change = "—" if math.isnan(r["change"]) else ("▲" if r["change"] > 0 else "▼" if r["change"] < 0 else "＝")
        if change in "▲▼":
            change += f"{abs(int(r['change']))}"
        rows.append(
            html.Tr(
                [
                    html.Td(f"{int(r['rank'])}"),
                    html.Td(names[code]),
                    html.Td(f"{r['composite']:.1f}", className="num"),
                    html.Td(change, className="num"),
                ],
                **{"data-code": code},
            )
        )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="summary-table composite-table")


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
    """Every overview chart for the chosen metric, period and profile unit."""
    if metric not in CATALOGUE:
        raise BadInput(f"unknown metric {metric!r}")
    rt, lang = runtime(), page_lang(search)
    if rt.city.unit(unit) is None:
        raise BadInput(f"unknown unit {unit!r}")
    granularity = granularity_of(period)
    _, outputs = rt.memo(("overview", metric, period, unit, lang), lambda snap: overview_outputs(
        rt, snap, granularity, metric, period, unit, lang))
    if outputs is None:
        raise BadInput(t("error.no_data", lang))
    if isinstance(outputs, BadInput):
        raise outputs
    return outputs


def overview_outputs(rt, snap, granularity, metric, period, unit, lang):
    """Every output of update_overview, figures as plain dicts (cached per snapshot version and inputs);
    a BadInput is returned, not raised, so that a bad period is remembered too."""
    _, table = rt.metric_table(granularity)
    try:
        model = overview.build(table, snap.frames["units"], metric, period, rt.settings.weights)
    except KeyError:
        return BadInput(f"no data for {period!r}")
    spec = CATALOGUE[metric]
    unit_text = spec.unit_en if lang == "en" else spec.unit_zh
    label = f"{t(f'metric.{metric}', lang)} ({unit_text})"
    names = {u.code: u.name(lang) for u in rt.city.units}
    frame = model.values.assign(
        name=lambda f: f["code"].map(names), group=lambda f: f["code"].map({u.code: u.group for u in rt.city.units})
    )
    fig_map = unit_map(
        frame,
        geojson_url=rt.geojson_url,
        featureidkey=f"properties.{rt.city.code_property}",
        view=rt.map_view(),
        value_label=label,
        value_format=spec.fmt,
        colorscale="Blues" if spec.higher_is_better is not False else "Reds",
        no_data_label=t("overview.no_data", lang),
    )
    fig_rank = ranking_bar(
        frame.dropna(subset=["value"]),
        value_label=label,
        group_labels={g: t(f"group.{g}", lang) for g in GROUPS},
        value_format=spec.fmt,
        reference=model.city_value,
        reference_label=t("city.name", lang),
    )
    weighting = t("overview.weighted" if model.weighted else "overview.unweighted", lang)
    fig_lorenz = lorenz_figure(
        model.lorenz,
        {
            "equality": t("balance.equality", lang),
            "curve": t("balance.curve", lang),
            "x": t("balance.population_share" if model.weighted else "balance.unit_share", lang),
            "y": t("balance.value_share", lang),
        },
    )
    suffix = "_weighted" if model.weighted else ""
    fig_trend = trend_figure(
        model.trend,
        {f"gini{suffix}": t("balance.gini", lang), f"theil{suffix}": t("balance.theil", lang)},
        t("balance.index", lang),
    )
    fig_decomp = decomposition_figure(
        model.trend,
        f"theil{suffix}_between",
        f"theil{suffix}_within",
        {"between": t("balance.between", lang), "within": t("balance.within", lang), "y": t("balance.theil", lang)},
    )
    dims = {d: t(f"dimension.{d}", lang) for d in DIMENSIONS}
    fig_profile = profile_figure(model.composite.loc[unit], model.city_profile, dims, names[unit], t("city.name", lang))
    verdict = t(f"overview.verdict_{model.verdict.verdict}", lang)
    city_text = t("overview.city_value", lang, value=fmt_value(model.city_value, spec.fmt))
    # Plain JSON values, encoded once here, so that answering from the cache costs no numpy encoding.
    figures = [json.loads(fig.to_json()) for fig in (fig_map, fig_rank, fig_lorenz, fig_trend, fig_decomp, fig_profile)]
    return (
        *figures,
        plain(composite_table(model, names, lang)),
        verdict,
        city_text,
        t("overview.explain_lorenz", lang, weighting=weighting),
    )


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
