"""Horizontal bar ranking of units, coloured by balance group."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.figures import FONT_FAMILY, GROUP_COLOURS, TEMPLATE


def ranking_bar(
    frame,
    *,
    value_label: str,
    group_labels: dict[str, str],
    value_format: str = ",.0f",
    reference: float | None = None,
    reference_label: str = "",
) -> go.Figure:
    """Units sorted by `value`, highest at the top, with an optional dashed reference line (the city)."""
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
    if reference is not None and reference == reference:
        fig.add_vline(
            x=reference,
            line={"dash": "dash", "color": "#34495e", "width": 1.5},
            annotation_text=f"{reference_label} {reference:{value_format}}",
            annotation_position="top",
        )
    fig.update_layout(
        barmode="overlay",
        yaxis={"categoryorder": "array", "categoryarray": list(ordered["name"]), "automargin": True},
        xaxis={"title": {"text": value_label}, "tickformat": value_format, "automargin": True},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 8, "r": 8, "t": 30, "b": 8},
        font={"family": FONT_FAMILY},
        template=TEMPLATE,
        plot_bgcolor="#ffffff",
    )
    return fig
