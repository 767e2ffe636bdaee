"""Horizontal bar ranking of units, coloured by balance group."""

from __future__ import annotations

from dashboard.figures import FONT_FAMILY, GROUP_COLOURS, TEMPLATE_JSON, column, figure, scalar


def ranking_bar(
    frame,
    *,
    value_label: str,
    group_labels: dict[str, str],
    value_format: str = ",.0f",
    reference: float | None = None,
    reference_label: str = "",
) -> dict:
    """Units sorted by `value`, highest at the top, with an optional dashed reference line (the city)."""
    ordered = frame.sort_values(["value", "code"], ascending=[True, False])
    cols = {c: column(ordered[c]) for c in ("group", "value", "name", "code")}
    traces = []
    for group, label in group_labels.items():
        part = [i for i, g in enumerate(cols["group"]) if g == group]
        traces.append({
            "type": "bar",
            "x": [cols["value"][i] for i in part],
            "y": [cols["name"][i] for i in part],
            "orientation": "h",
            "name": label,
            "marker": {"color": GROUP_COLOURS.get(group)},
            "customdata": [[cols["code"][i]] for i in part],
            "hovertemplate": f"%{{y}}<br>{value_label}: %{{x:{value_format}}}<extra></extra>",
        })
    layout = {
        "barmode": "overlay",
        "yaxis": {"categoryorder": "array", "categoryarray": cols["name"], "automargin": True},
        "xaxis": {"title": {"text": value_label}, "tickformat": value_format, "automargin": True},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "margin": {"l": 8, "r": 8, "t": 30, "b": 8},
        "font": {"family": FONT_FAMILY},
        "template": TEMPLATE_JSON,
        "plot_bgcolor": "#ffffff",
    }
    if reference is not None and reference == reference:
        x = scalar(reference)
        # As plotly's add_vline(annotation_position="top") draws it: across the plot's height at x.
        layout["shapes"] = [{"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
                             "line": {"dash": "dash", "color": "#34495e", "width": 1.5}}]
        layout["annotations"] = [{"text": f"{reference_label} {reference:{value_format}}", "showarrow": False,
                                  "x": x, "xanchor": "center", "xref": "x", "y": 1, "yanchor": "bottom",
                                  "yref": "y domain"}]
    return figure(traces, layout)
