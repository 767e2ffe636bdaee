"""Overview callbacks: draw the map and ranking for a metric; open a unit on click."""

from __future__ import annotations

from dash import Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from callbacks.context import page_lang, prefix, runtime
from callbacks.registry import page_callback
from dashboard.errors import BadInput
from dashboard.figures.map import unit_map
from dashboard.figures.ranking import ranking_bar
from dashboard.i18n import t
from dashboard.metrics import REFERENCE_METRICS, reference_values
from dashboard.regions import GROUPS
from layouts import ids


@page_callback(
    Output(ids.OVERVIEW_MAP, "figure"),
    Output(ids.OVERVIEW_RANKING, "figure"),
    Input(ids.OVERVIEW_METRIC, "value"),
    State(ids.URL, "search"),
)
def update_overview(metric, search):
    """Map and ranking of the chosen reference metric."""
    if metric not in REFERENCE_METRICS:
        raise BadInput(f"unknown metric {metric!r}")
    rt, lang = runtime(), page_lang(search)
    snap = rt.reader.get()
    if snap is None:
        raise BadInput(t("error.no_data", lang))
    spec = REFERENCE_METRICS[metric]
    frame = reference_values(snap.frames["units"], rt.areas, metric, lang)
    label = f"{t(f'metric.{metric}', lang)}（{t(spec.unit_key, lang)}）" if lang == "zh" else (
        f"{t(f'metric.{metric}', lang)} ({t(spec.unit_key, lang)})"
    )
    fig_map = unit_map(
        frame,
        geojson_url=rt.geojson_url,
        featureidkey=f"properties.{rt.city.code_property}",
        view=rt.map_view(),
        value_label=label,
        value_format=spec.fmt,
    )
    groups = {g: t(f"group.{g}", lang) for g in GROUPS}
    fig_rank = ranking_bar(frame, value_label=label, group_labels=groups, value_format=spec.fmt)
    return fig_map, fig_rank


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
