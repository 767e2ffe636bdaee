"""Answers: one pure function per panel, (view, validated parameters) -> Answer.

An answer holds exactly the rows its panel draws and where they came from. The page's figures, the exports and
the API are renderers of answers; nothing else computes a panel's numbers (docs/development.md, "Answers").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dashboard.metrics import CATALOGUE
from dashboard.view import View


@dataclass(frozen=True)
class Provenance:
    """Where an answer's rows came from: panel, metric definitions, period, filters, snapshot and scope."""

    panel: str
    version: int
    as_of: str
    scope: tuple[str, ...]
    period: str | None = None
    filters: dict = field(default_factory=dict)
    metrics: tuple[str, ...] = ()
    notes: dict = field(default_factory=dict)  # e.g. units behind a city figure

    def definitions(self) -> dict[str, dict[str, str]]:
        """Each metric's unit and definition in zh and en, from the catalogue."""
        return {
            m: {
                "unit_zh": CATALOGUE[m].unit_zh,
                "unit_en": CATALOGUE[m].unit_en,
                "definition_zh": CATALOGUE[m].definition_zh,
                "definition_en": CATALOGUE[m].definition_en,
            }
            for m in self.metrics
        }


@dataclass(frozen=True)
class Answer:
    """A panel's rows and their provenance."""

    rows: pd.DataFrame
    provenance: Provenance


def provenance(view: View, panel: str, **kwargs) -> Provenance:
    """Provenance of an answer computed from this view."""
    return Provenance(
        panel=panel,
        version=view.version,
        as_of=view.as_of.isoformat(sep=" "),
        scope=tuple(sorted(view.scope.units)),
        **kwargs,
    )


def unit_rows(view: View, values: pd.Series, column: str = "value") -> pd.DataFrame:
    """Per unit in scope, in the city's order: code, name_zh, name_en, group and the value (NaN where none)."""
    units = view.units
    return pd.DataFrame(
        {
            "code": units["code"].to_numpy(),
            "name_zh": units["name_zh"].to_numpy(),
            "name_en": units["name_en"].to_numpy(),
            "group": units["group"].to_numpy(),
            column: values.reindex(units["code"]).astype("float64").to_numpy(),
        }
    )
