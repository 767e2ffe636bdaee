"""Answers of the aggregates API: the units in scope, and every metric per unit and period (and the city)."""

from __future__ import annotations

from dashboard.answers import Answer, provenance
from dashboard.answers.overview import granularity_of
from dashboard.errors import BadInput
from dashboard.metrics import CATALOGUE, CITY, periods
from dashboard.view import View

UNIT_COLUMNS = ["code", "name_zh", "name_en", "kind", "group", "population"]


def units(view: View) -> Answer:
    """The city's units the caller may see, in the city's order."""
    rows = view.units[UNIT_COLUMNS].reset_index(drop=True)
    return Answer(rows, provenance(view, "units"))


def metric_rows(view: View, granularity: str, period: str | None, unit: str | None, metrics: str | None) -> Answer:
    """Metrics per unit in scope and per period, plus the city ('city'): one row per unit and period, one column
    per metric (the catalogue's order). Filters: one period, one unit (or 'city'), a comma-separated list of
    metrics; each is validated and a wrong one names itself."""
    table = view.metric_table(granularity)
    if period is not None:
        if granularity_of(period) != granularity:
            raise BadInput(f"period: a {granularity} (YYYY{'-MM' if granularity == 'month' else ''})")
        if period not in periods(table):
            raise BadInput(f"period: no data for {period!r}")
    allowed = set(view.scope.units) | {CITY}
    if unit is not None and unit not in allowed:
        raise BadInput(f"unit: unknown unit {unit[:12]!r}")
    chosen = list(CATALOGUE)
    if metrics is not None:
        chosen = [m.strip() for m in metrics.split(",") if m.strip()]
        unknown = [m for m in chosen if m not in CATALOGUE]
        if unknown or not chosen:
            raise BadInput(f"metrics: unknown metric {(unknown or [''])[0][:40]!r}")
    rows = table[chosen].reset_index()
    rows = rows[rows["unit"].isin([unit] if unit is not None else allowed)]
    if period is not None:
        rows = rows[rows["period"] == period]
    order = {code: i for i, code in enumerate([*view.city.codes, CITY])}
    rows = rows.sort_values(["period", "unit"], key=lambda s: s.map(order) if s.name == "unit" else s)
    filters = {"granularity": granularity, "period": period, "unit": unit, "metrics": metrics}
    return Answer(rows.reset_index(drop=True), provenance(
        view, "metrics", period=period, metrics=tuple(chosen), filters={k: v for k, v in filters.items() if v}))
