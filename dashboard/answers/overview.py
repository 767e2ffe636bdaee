"""Answers of the city overview: per-unit values (map, ranking), the city value, the Lorenz curve, the balance
trend and its decomposition, the composite ranking and one unit's composite profile."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

import pandas as pd

from dashboard import overview
from dashboard.answers import Answer, provenance, unit_rows
from dashboard.errors import BadInput
from dashboard.metrics import CATALOGUE, DIMENSIONS, OVERVIEW_METRICS, latest_complete_period, periods, unavailable
from dashboard.view import View

PERIOD_CHARS = 7
DEFAULT_METRIC = "online_share"


@dataclass(frozen=True)
class OverviewParams:
    """A validated overview request: a metric the page offers, a period the snapshot has, a unit in scope."""

    metric: str
    period: str
    unit: str

    @property
    def granularity(self) -> str:
        return "year" if len(self.period) == 4 else "month"


def granularity_of(period) -> str:
    """'year' for 'YYYY', 'month' for 'YYYY-MM'; anything else is refused."""
    if isinstance(period, str) and len(period) == 4 and period.isdigit():
        return "year"
    if isinstance(period, str) and len(period) == 7 and period[:4].isdigit() and period[4] == "-" and (
        period[5:].isdigit()
    ):
        return "month"
    raise BadInput(f"unknown period {str(period)[:PERIOD_CHARS + 3]!r}")


def offered_periods(view: View) -> tuple[str, ...]:
    """Periods the overview offers: years, then months, oldest first (once per version)."""
    return view.memo(
        ("offered_periods",), lambda v: tuple(periods(v.metric_table("year")) + periods(v.metric_table("month")))
    )


def default_period(view: View) -> str | None:
    """The overview's period before any choice: the latest complete month (else the latest month)."""

    def build(v: View):
        months = [p for p in offered_periods(v) if len(p) == 7]
        return latest_complete_period(v.metric_table("month"), v.as_of.date()) or (months[-1] if months else None)

    return view.memo(("default_period",), build)


def _offered_set(view: View) -> frozenset[str]:
    return view.memo(("offered_period_set",), lambda v: frozenset(offered_periods(v)))


def parse(view: View, metric, period, unit) -> OverviewParams:
    """Validate overview inputs once; anything outside its domain is a BadInput with a short message."""
    if not isinstance(metric, str) or metric not in OVERVIEW_METRICS:
        raise BadInput(f"unknown metric {str(metric)[:40]!r}")
    granularity_of(period)
    if period not in _offered_set(view):
        raise BadInput(f"no data for {period!r}")
    if not isinstance(unit, str) or unit not in view.scope.units:
        raise BadInput(f"unknown unit {str(unit)[:20]!r}")
    return OverviewParams(metric, period, unit)


def overview_defaults(view: View, period: str) -> OverviewParams:
    """The overview before any choice: the default metric, a period, the first unit in scope."""
    unit = next(c for c in view.city.codes if c in view.scope.units)
    return OverviewParams(DEFAULT_METRIC, period, unit)


def query_values(search: str) -> dict[str, str]:
    """The last value of each parameter of a (validated) query string."""
    return {k: v[-1] for k, v in parse_qs(search.lstrip("?")).items()}


def state_from_query(view: View, search: str, defaults: OverviewParams) -> tuple[OverviewParams, list[str]]:
    """The overview's metric, period and unit from a URL query over the defaults, and the names of the values
    that were ignored because the page does not offer them (a link from an older snapshot, a typo)."""
    query = query_values(search)
    offered = {
        "metric": OVERVIEW_METRICS,
        "period": _offered_set(view),
        "unit": [c for c in view.city.codes if c in view.scope.units],
    }
    values, ignored = {}, []
    for key, allowed in offered.items():
        given = query.get(key)
        if given is not None and given not in allowed:
            ignored.append(key)
        values[key] = given if given in allowed else getattr(defaults, key)
    return OverviewParams(**values), ignored


def query_for(search: str, p: OverviewParams) -> str:
    """The URL query that reproduces this overview: its own parameters, with the others (lang) kept."""
    query = {k: v for k, v in query_values(search).items() if k not in ("metric", "period", "unit")}
    return "?" + urlencode({**query, "metric": p.metric, "period": p.period, "unit": p.unit})


def model(view: View, p: OverviewParams) -> overview.OverviewModel:
    """overview.build for this metric and period, once per version (shared by the panels below)."""
    return view.memo(
        ("overview", p.metric, p.period),
        # city-level aggregates (balance, ranks, composite scale) take every unit; rows shown are cut to the scope
        lambda v: overview.build(v.metric_table(p.granularity), v.frames["units"], p.metric, p.period,
                                 v.composite_table(p.granularity)),
    )


# Metrics judged against a deadline; when a period reaches days whose deadline is provisional, the answer says so.
DEADLINE_METRICS = ("rectification_on_time_rate", "overdue_bad_reviews", "return_visit_rate", "real_name_visit_rate")
VISIT_METRICS = ("return_visit_rate", "real_name_visit_rate")


def _prov(view: View, panel: str, p: OverviewParams, **kwargs):
    """Provenance of an overview answer; notes say when the source cannot give the metric at all."""
    if p.metric in unavailable(view.frames):
        kwargs["notes"] = {**kwargs.get("notes", {}), "not_available_from_source": True}
    rule = view.deadlines.visit if p.metric in VISIT_METRICS else view.rectify
    start = rule.provisional_from() if p.metric in DEADLINE_METRICS else None
    if start is not None and p.period >= start.isoformat()[:len(p.period)]:
        kwargs["notes"] = {**kwargs.get("notes", {}), "deadlines_provisional_from": start.isoformat()}
    return provenance(view, panel, period=p.period, metrics=(p.metric,), filters={"metric": p.metric}, **kwargs)


def unit_values(view: View, p: OverviewParams) -> Answer:
    """The metric per unit (the map and the ranking): code, names, group, value (NaN: no data)."""
    m = model(view, p)
    rows = unit_rows(view, m.values.set_index("code")["value"])
    return Answer(rows, _prov(view, "unit_values", p))


def city_value(view: View, p: OverviewParams) -> Answer:
    """The city's value of the metric, with the number of units behind it."""
    m = model(view, p)
    rows = pd.DataFrame({"code": ["city"], "value": [m.city_value], "units": [m.city_units]})
    return Answer(rows, _prov(view, "city_value", p))


def lorenz(view: View, p: OverviewParams) -> Answer:
    """Lorenz curve points of the metric across units (population-weighted for intensive metrics)."""
    m = model(view, p)
    if not view.whole_city:  # each point of the curve is one unit's share: not for a unit-scoped viewer
        rows = m.lorenz.iloc[0:0].reset_index(drop=True)
        return Answer(rows, _prov(view, "lorenz", p, notes={"weighted": m.weighted, "hidden": "scope"}))
    return Answer(m.lorenz.reset_index(drop=True), _prov(view, "lorenz", p, notes={"weighted": m.weighted}))


def trend_rows(view: View, metric: str, granularity: str) -> tuple[pd.DataFrame, bool, str]:
    """Balance indices of a metric over every period of a granularity (drawn columns), whether they are
    population-weighted, and the verdict on the last year; once per version (the overview's and the wall's)."""

    def build(v: View):
        table, weighted = overview.balance_trend(v.metric_table(granularity), v.frames["units"], metric)
        verdict = overview.verdict_of(table, weighted, yearly=granularity == "year").verdict
        return overview.trend_columns(table, weighted), weighted, verdict

    return view.memo(("trend", metric, granularity), build)


def balance(view: View, metric: str, granularity: str) -> Answer:
    """Gini and Theil over every period of the granularity, with Theil's between- and within-group parts."""
    rows, weighted, verdict = trend_rows(view, metric, granularity)
    notes = {"weighted": weighted, "verdict": verdict}
    return Answer(rows, provenance(view, "balance_trend", period=None, metrics=(metric,),
                                   filters={"metric": metric, "granularity": granularity}, notes=notes))


def balance_trend(view: View, p: OverviewParams) -> Answer:
    """The balance indices of the chosen metric at the chosen period's granularity (trend and decomposition)."""
    return balance(view, p.metric, p.granularity)


def composite(view: View, p: OverviewParams) -> Answer:
    """Units by composite score: dimension scores, composite, rank and change of rank since the previous period."""
    m = model(view, p)
    comp = m.composite.reindex(columns=[*DIMENSIONS, "composite", "rank", "change"])
    rows = unit_rows(view, comp["composite"], "composite").set_index("code")
    rows = rows.drop(columns="composite").join(comp).reset_index()
    rows = rows.dropna(subset=["composite"]).sort_values(["rank", "code"]).reset_index(drop=True)
    return Answer(rows, provenance(view, "composite", period=p.period,
                                   metrics=tuple(k for k, s in CATALOGUE.items() if s.composite)))


def profile(view: View, p: OverviewParams) -> Answer:
    """One unit's dimension scores beside the city's."""
    m = model(view, p)
    unit = m.composite.loc[p.unit] if p.unit in m.composite.index else pd.Series(dtype="float64")
    rows = pd.DataFrame(
        {
            "dimension": list(DIMENSIONS),
            "unit": [float(unit.get(d, float("nan"))) for d in DIMENSIONS],
            "city": [float(m.city_profile.get(d, float("nan"))) for d in DIMENSIONS],
        }
    )
    return Answer(rows, provenance(view, "profile", period=p.period, filters={"unit": p.unit}))


PANELS = {
    "map": unit_values,
    "ranking": unit_values,
    "city_value": city_value,
    "lorenz": lorenz,
    "trend": balance_trend,
    "decomposition": balance_trend,
    "composite": composite,
    "profile": profile,
}
