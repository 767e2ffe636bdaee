"""Composite index per unit: metrics scaled 0-100 across units, averaged within dimensions, dimensions weighted."""

from __future__ import annotations

import pandas as pd

from dashboard.metrics import CATALOGUE, DIMENSIONS


def scaled(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """Min-max scale across units to 0-100 (100 = best); all equal gives 50; missing stays missing."""
    lo, hi = values.min(), values.max()
    if pd.isna(lo) or hi == lo:
        return values.where(values.isna(), 50.0)
    score = (values - lo) / (hi - lo) * 100
    return score if higher_is_better else 100 - score


def dimension_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Per unit (rows of `table`, one per unit) the mean scaled score of each dimension's composite metrics."""
    out = {}
    for dim in DIMENSIONS:
        metrics = [m for m in CATALOGUE.values() if m.dimension == dim and m.composite and m.key in table]
        if metrics:
            scores = pd.concat([scaled(table[m.key], m.higher_is_better) for m in metrics], axis=1)
            out[dim] = scores.mean(axis=1, skipna=True)
    return pd.DataFrame(out, index=table.index)


def composite(table: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Dimension scores and the weighted composite (weights renormalised over the dimensions a unit has)."""
    dims = dimension_scores(table)
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
