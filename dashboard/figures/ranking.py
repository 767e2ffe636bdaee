"""Horizontal bar ranking of units, coloured by balance group."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.figures import FONT_FAMILY, GROUP_COLOURS


def ranking_bar(frame, *, value_label: str, group_labels: dict[str, str], value_format: str = ",.0f") -> go.Figure:
    """Units sorted by `value`, highest at the top; frame has code, name, value, group."""
    ordered = frame.sort_values(["value", "code"], ascending=[True, False])
    fig = go.Figure()
    for group, label in group_labels.items():
        part = ordered[ordered["group"] == group]
        fig.add_bar(
            x=part["value"],
            y=part["name"],
            orientation="h",
            name=label,
            marker_color=GROUP_COLOURS.get(group),
            customdata=part[["code"]].to_numpy(),
            hovertemplate=f"%{{y}}<br>{value_label}: %{{x:{value_format}}}<extra></extra>",
        )
    fig.update_layout(
        barmode="overlay",
        yaxis={"categoryorder": "array", "categoryarray": list(ordered["name"]), "automargin": True},
        xaxis={"title": {"text": value_label}, "tickformat": value_format, "automargin": True},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 8, "r": 8, "t": 30, "b": 8},
        font={"family": FONT_FAMILY},
        plot_bgcolor="#ffffff",
    )
    return fig
