"""Metric catalogue and derived metrics (for now the reference metrics of the units)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Metric:
    """A metric: its i18n label key, unit key, display format and which direction is better."""

    key: str
    unit_key: str
    fmt: str
    higher_is_better: bool | None = None


REFERENCE_METRICS = {
    m.key: m
    for m in (
        Metric("population", "unit.persons", ",.0f"),
        Metric("area_km2", "unit.km2", ",.0f"),
        Metric("density", "unit.per_km2", ",.1f"),
    )
}


def reference_values(units: pd.DataFrame, areas: dict[str, float], metric: str, lang: str) -> pd.DataFrame:
    """Per unit: code, name, group and the value of a reference metric (population, area, density)."""
    if metric not in REFERENCE_METRICS:
        raise KeyError(metric)
    out = units[["code", "group"]].copy()
    out["name"] = units["name_en" if lang == "en" else "name_zh"]
    area = units["code"].map(areas).astype("float64")
    if metric == "population":
        out["value"] = units["population"].astype("float64")
    elif metric == "area_km2":
        out["value"] = area
    else:
        out["value"] = units["population"] / area
    return out.reset_index(drop=True)
