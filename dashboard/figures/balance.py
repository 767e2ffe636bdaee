"""Figures of balance: Lorenz curve, balance indices over time, between/within decomposition, unit profile."""

from __future__ import annotations

import pandas as pd

from dashboard.figures import FONT_FAMILY, GROUP_COLOURS, TEMPLATE_JSON, column, figure

ACCENT = "#1f5fa8"


# The light pages' layout (light() adds the template and the axes' look).
LIGHT_LAYOUT = {
    "font": {"family": FONT_FAMILY},
    "margin": {"l": 8, "r": 8, "t": 30, "b": 8},
    "plot_bgcolor": "#ffffff",
    "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
}
AXIS = {"automargin": True, "gridcolor": "#e8ecf1"}


def light(**layout) -> dict:
    """The light pages' layout with `layout` added or overriding."""
    out = LIGHT_LAYOUT | {"template": TEMPLATE_JSON} | layout
    for axis in {"xaxis", "yaxis"} | {k for k in layout if k.startswith(("xaxis", "yaxis"))}:
        out[axis] = {**out.get(axis, {}), **AXIS}
    return out


def style(traces: list[dict], **layout) -> dict:
    """A figure of `traces` in the light pages' look; keyword arguments add to or override the layout."""
    return figure(traces, light(**layout))


def lorenz_figure(points: pd.DataFrame, labels: dict) -> dict:
    """The Lorenz curve against the line of perfect equality."""
    traces = [
        {"type": "scatter", "x": [0, 1], "y": [0, 1], "mode": "lines", "name": labels["equality"],
         "line": {"dash": "dot", "color": "#9aa5b1"}},
        {"type": "scatter", "x": column(points["population_share"]), "y": column(points["value_share"]),
         "mode": "lines+markers", "name": labels["curve"], "line": {"color": ACCENT}, "fill": "tonexty",
         "fillcolor": "rgba(31,95,168,0.12)", "hovertemplate": "%{x:.0%} → %{y:.0%}<extra></extra>"},
    ]
    return style(
        traces,
        xaxis={"title": {"text": labels["x"]}, "tickformat": ".0%", "range": [0, 1]},
        yaxis={"title": {"text": labels["y"]}, "tickformat": ".0%", "range": [0, 1]},
    )


def trend_figure(trend: pd.DataFrame, columns: dict[str, str], y_title: str) -> dict:
    """Balance indices over time (one line per index)."""
    traces = [{"type": "scatter", "x": column(trend["period"]), "y": column(trend[col]), "mode": "lines+markers",
               "name": label, "hovertemplate": f"{label} %{{x}}: %{{y:.3f}}<extra></extra>"}
              for col, label in columns.items()]
    return style(traces, xaxis={"type": "category"}, yaxis={"title": {"text": y_title}, "rangemode": "tozero"})


def decomposition_figure(trend: pd.DataFrame, between: str, within: str, labels: dict) -> dict:
    """Theil T over time split into its between-group and within-group parts (stacked)."""
    periods = column(trend["period"])
    traces = [
        {"type": "bar", "x": periods, "y": column(trend[between]), "name": labels["between"],
         "marker": {"color": "#e09f3e"}},
        {"type": "bar", "x": periods, "y": column(trend[within]), "name": labels["within"],
         "marker": {"color": "#2a9d8f"}},
    ]
    return style(traces, barmode="stack", xaxis={"type": "category"}, yaxis={"title": {"text": labels["y"]}})


def profile_figure(unit: pd.Series, city: pd.Series, labels: dict[str, str], unit_name: str, city_name: str) -> dict:
    """A unit's dimension scores (0-100) against the city's, as grouped bars."""
    dims = [d for d in labels if d in unit.index]
    x = [labels[d] for d in dims]
    traces = [
        {"type": "bar", "x": x, "y": column([unit[d] for d in dims]), "name": unit_name, "marker": {"color": ACCENT}},
        {"type": "bar", "x": x, "y": column([city.get(d) for d in dims]), "name": city_name,
         "marker": {"color": "#9aa5b1"}},
    ]
    return style(traces, barmode="group", yaxis={"range": [0, 100], "title": {"text": "0–100"}})


def group_colour(group: str) -> str:
    """Colour of a balance group."""
    return GROUP_COLOURS.get(group, ACCENT)
