"""Figures of balance: Lorenz curve, balance indices over time, between/within decomposition, unit profile."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import FONT_FAMILY, GROUP_COLOURS, TEMPLATE

ACCENT = "#1f5fa8"


# The light pages' layout (the template is added where it is used: as an object or as its JSON).
LIGHT_LAYOUT = {
    "font": {"family": FONT_FAMILY},
    "margin": {"l": 8, "r": 8, "t": 30, "b": 8},
    "plot_bgcolor": "#ffffff",
    "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
}


def style(fig: go.Figure, **layout) -> go.Figure:
    """The light pages' look; keyword arguments add to or override the layout."""
    fig.update_layout(**(LIGHT_LAYOUT | {"template": TEMPLATE} | layout))
    fig.update_xaxes(automargin=True, gridcolor="#e8ecf1")
    fig.update_yaxes(automargin=True, gridcolor="#e8ecf1")
    return fig


def lorenz_figure(points: pd.DataFrame, labels: dict) -> go.Figure:
    """The Lorenz curve against the line of perfect equality."""
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name=labels["equality"], line={"dash": "dot", "color": "#9aa5b1"})
    fig.add_scatter(
        x=points["population_share"],
        y=points["value_share"],
        mode="lines+markers",
        name=labels["curve"],
        line={"color": ACCENT},
        fill="tonexty",
        fillcolor="rgba(31,95,168,0.12)",
        hovertemplate="%{x:.0%} → %{y:.0%}<extra></extra>",
    )
    return style(
        fig,
        xaxis={"title": {"text": labels["x"]}, "tickformat": ".0%", "range": [0, 1]},
        yaxis={"title": {"text": labels["y"]}, "tickformat": ".0%", "range": [0, 1]},
    )


def trend_figure(trend: pd.DataFrame, columns: dict[str, str], y_title: str) -> go.Figure:
    """Balance indices over time (one line per index)."""
    fig = go.Figure()
    for col, label in columns.items():
        fig.add_scatter(
            x=trend["period"],
            y=trend[col],
            mode="lines+markers",
            name=label,
            hovertemplate=f"{label} %{{x}}: %{{y:.3f}}<extra></extra>",
        )
    return style(fig, xaxis={"type": "category"}, yaxis={"title": {"text": y_title}, "rangemode": "tozero"})


def decomposition_figure(trend: pd.DataFrame, between: str, within: str, labels: dict) -> go.Figure:
    """Theil T over time split into its between-group and within-group parts (stacked)."""
    fig = go.Figure()
    fig.add_bar(x=trend["period"], y=trend[between], name=labels["between"], marker_color="#e09f3e")
    fig.add_bar(x=trend["period"], y=trend[within], name=labels["within"], marker_color="#2a9d8f")
    return style(fig, barmode="stack", xaxis={"type": "category"}, yaxis={"title": {"text": labels["y"]}})


def profile_figure(unit: pd.Series, city: pd.Series, labels: dict[str, str], unit_name: str, city_name: str):
    """A unit's dimension scores (0-100) against the city's, as grouped bars."""
    dims = [d for d in labels if d in unit.index]
    fig = go.Figure()
    fig.add_bar(x=[labels[d] for d in dims], y=[unit[d] for d in dims], name=unit_name, marker_color=ACCENT)
    fig.add_bar(x=[labels[d] for d in dims], y=[city.get(d) for d in dims], name=city_name, marker_color="#9aa5b1")
    return style(fig, barmode="group", yaxis={"range": [0, 100], "title": {"text": "0–100"}})


def group_colour(group: str) -> str:
    """Colour of a balance group."""
    return GROUP_COLOURS.get(group, ACCENT)
