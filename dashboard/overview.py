"""The city overview as data: everything the page draws for one metric and period, from the metric table."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import balance
from dashboard.composite import ranking
from dashboard.metrics import CATALOGUE, CITY, COVERED

# Counts whose size mostly reflects a unit's size: balance indices are computed unweighted for these.
EXTENSIVE = {"requests", "reviews", "open_backlog", "overdue_bad_reviews", "population"}


@dataclass(frozen=True)
class OverviewModel:
    """Frames for every chart of the overview."""

    values: pd.DataFrame  # code, value (one row per unit)
    city_value: float
    city_units: int  # units behind the city value (fewer than all where an indicator is not reported)
    lorenz: pd.DataFrame  # population_share, value_share
    trend: pd.DataFrame  # balance_table over every period
    verdict: balance.Trend
    weighted: bool
    composite: pd.DataFrame  # per unit: dimension scores, composite, rank, change
    city_profile: pd.Series  # the city's dimension scores on the same scale


def weighted_for(metric: str) -> bool:
    """Balance of intensive metrics (rates, per-capita, means) is population-weighted; of counts, not."""
    return metric not in EXTENSIVE


def balance_trend(table: pd.DataFrame, units: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, bool]:
    """Balance indices of a metric over every period of a metric table, and whether they are weighted."""
    long = table[[metric]].drop(index=CITY, level="unit", errors="ignore")
    long = long.assign(population=table["population"]).reset_index()
    long["group"] = long["unit"].map(units.set_index("code")["group"])
    return balance.balance_table(long, metric, "population", "group", "period"), weighted_for(metric)


def trend_columns(trend: pd.DataFrame, weighted: bool) -> pd.DataFrame:
    """The drawn columns of a balance table (period, gini, theil, theil_between, theil_within), taken from the
    weighted or unweighted indices."""
    suffix = "_weighted" if weighted else ""
    names = {"gini": f"gini{suffix}", "theil": f"theil{suffix}", "theil_between": f"theil{suffix}_between",
             "theil_within": f"theil{suffix}_within"}
    return pd.DataFrame({"period": trend["period"], **{k: trend[v] for k, v in names.items()}})


def verdict_of(trend: pd.DataFrame, weighted: bool, yearly: bool) -> balance.Trend:
    """Whether the city converges on the metric, read from the Gini over the last year."""
    index_col = "gini_weighted" if weighted else "gini"
    return balance.converging(trend.set_index("period")[index_col], periods_per_year=1 if yearly else 12)


def city_units(current: pd.DataFrame, metric: str, all_units: int) -> int:
    """How many units stand behind the city's value of a metric in one period."""
    for code in COVERED:
        if metric in (code, f"{code}_per_10k"):
            return int(current.loc[CITY, f"units_{code}"]) if CITY in current.index else 0
    return all_units


def previous_period(periods: list[str], period: str) -> str | None:
    """The period before `period` in a sorted list."""
    i = periods.index(period) if period in periods else -1
    return periods[i - 1] if i > 0 else None


def unit_composite(composites: pd.DataFrame, period: str) -> pd.DataFrame:
    """Per unit (the city's row left out) the dimension scores and the composite of one period, from
    composite_by_period of a metric table: every metric scaled across the table's rows of that period (the
    overview's composite, for any granularity)."""
    return composites.xs(period, level="period").drop(index=CITY, errors="ignore")


def build(table: pd.DataFrame, units: pd.DataFrame, metric: str, period: str, composites: pd.DataFrame):
    """The overview for a metric and period; `table` is metrics.metric_table for one granularity, `composites`
    its dashboard.composite.composite_by_period."""
    if metric not in CATALOGUE:
        raise KeyError(metric)
    periods = sorted(table.index.get_level_values("period").unique())
    if period not in periods:
        raise KeyError(period)
    current = table.xs(period, level="period")
    per_unit = current.drop(index=CITY, errors="ignore").reindex(units["code"])
    values = pd.DataFrame({"code": per_unit.index, "value": per_unit[metric].to_numpy()})
    trend, weighted = balance_trend(table, units, metric)
    verdict = verdict_of(trend, weighted, yearly=len(periods[0]) == 4)

    known = per_unit[metric].notna()
    # Undefined with fewer than two units or a zero total (shares of nothing): no curve, not an error.
    lorenz = (
        balance.lorenz(per_unit.loc[known, metric], per_unit.loc[known, "population"] if weighted else None)
        if known.sum() >= 2 and per_unit.loc[known, metric].sum() > 0
        else pd.DataFrame({"population_share": [], "value_share": []}, dtype="float64")
    )

    scores = composites.xs(period, level="period")
    units_scores = scores.drop(index=CITY, errors="ignore")
    before = previous_period(periods, period)
    previous = None
    if before is not None:
        previous = unit_composite(composites, before)
    ranks = ranking(units_scores["composite"], previous["composite"] if previous is not None else None)
    comp = units_scores.join(ranks[["rank", "change"]])
    city_profile = scores.loc[CITY] if CITY in scores.index else pd.Series(dtype="float64")
    return OverviewModel(
        values=values,
        city_value=float(current.loc[CITY, metric]) if CITY in current.index else float("nan"),
        city_units=city_units(current, metric, len(units)),
        lorenz=lorenz,
        trend=trend,
        verdict=verdict,
        weighted=weighted,
        composite=comp,
        city_profile=city_profile,
    )
