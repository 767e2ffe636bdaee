"""Composite index per unit: metrics scaled 0-100 across units, averaged within dimensions, dimensions weighted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics import CATALOGUE, DIMENSIONS


def scaled(values: pd.Series, higher_is_better: bool, by: str | None = None) -> pd.Series:
    """Min-max scale across units to 0-100 (100 = best); all equal gives 50; missing stays missing. With `by`
    (an index level, "period"), within each of its values, every period at once."""
    groups = values.groupby(level=by, sort=False) if by else values.groupby(np.zeros(len(values)), sort=False)
    lo, hi = groups.transform("min"), groups.transform("max")
    score = (values - lo) / (hi - lo) * 100
    score = score if higher_is_better else 100 - score
    flat = lo.isna() | (hi == lo)  # all missing or all equal: 50 where present
    return score.where(~flat, values.where(values.isna(), 50.0))


def dimension_scores(table: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Per unit (rows of `table`, one per unit) the mean scaled score of each dimension's composite metrics;
    with `by` ("period"), per row of a table of every period, scaled within each period."""
    out = {}
    for dim in DIMENSIONS:
        metrics = [m for m in CATALOGUE.values() if m.dimension == dim and m.composite and m.key in table]
        if metrics:
            scores = pd.concat([scaled(table[m.key], m.higher_is_better, by) for m in metrics], axis=1)
            out[dim] = scores.mean(axis=1, skipna=True)
    return pd.DataFrame(out, index=table.index)


def composite_by_period(table: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """`composite` of every period of a metric table (indexed by period and unit) at once: the same numbers as
    composite(table.xs(period, level="period")) for each period, computed in one pass per version instead of
    one per period asked (docs/benchmarks.md, cold answers)."""
    return composite(table, weights, by="period")


def composite(table: pd.DataFrame, weights: dict[str, float] | None = None, by: str | None = None) -> pd.DataFrame:
    """Dimension scores and the weighted composite (weights renormalised over the dimensions a unit has)."""
    dims = dimension_scores(table, by)
    w = pd.Series({d: (weights or {}).get(d, 1.0) for d in dims.columns}, dtype="float64")
    present = dims.notna()
    weighted = dims.fillna(0).mul(w, axis=1).sum(axis=1)
    total = present.mul(w, axis=1).sum(axis=1)
    dims["composite"] = weighted / total.where(total > 0)
    return dims


def ranking(scores: pd.Series, previous: pd.Series | None = None) -> pd.DataFrame:
    """Rank (1 = best) and the change since the previous period (positive: moved up)."""
    out = pd.DataFrame({"score": scores, "rank": scores.rank(ascending=False, method="min")})
    if previous is not None:
        before = previous.rank(ascending=False, method="min").reindex(out.index)
        out["change"] = before - out["rank"]
    else:
        out["change"] = float("nan")
    return out.sort_values(["rank", "score"])
