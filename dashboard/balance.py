"""Balance across units: Gini, Theil T and its group decomposition, CV, max/min, Lorenz curve, and their trend.

Every index takes one value per unit. `weights` are the units' populations: with them an index describes the
distribution over residents (unit i's per-capita value y_i held by w_i people); without them every unit counts
once, as PySAL `inequality` does. Inputs must be finite and non-negative: drop units without a value before
calling (``balance_table`` does). Formulas and how to read them: docs/balance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

BALANCE_COLUMNS = (
    "period",
    "gini",
    "gini_weighted",
    "theil",
    "theil_between",
    "theil_within",
    "theil_weighted",
    "theil_weighted_between",
    "theil_weighted_within",
    "cv",
    "cv_weighted",
    "max_min",
    "units",
)

Verdict = Literal["converging", "diverging", "stable", "unknown"]


@dataclass(frozen=True)
class TheilResult:
    """Theil T split over groups: total = between + within."""

    total: float
    between: float
    within: float

    @property
    def between_share(self) -> float | None:
        """Share of the total that lies between the groups; None under perfect equality."""
        return self.between / self.total if self.total > 0 else None


@dataclass(frozen=True)
class Trend:
    """Where a balance index is heading: verdict, fitted slope per period, and that slope per year over the level."""

    verdict: Verdict
    slope: float
    relative_per_year: float


def _vector(data, name: str) -> np.ndarray:
    """A one-dimensional float array; pandas missing values become NaN."""
    if isinstance(data, pd.Series | pd.Index):
        array = data.to_numpy(dtype=float, na_value=np.nan)
    else:
        array = np.asarray(data, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _checked(values, weights=None, *, need_total: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Values and weights (ones when None) as arrays, refusing input an index cannot describe."""
    y = _vector(values, "values")
    if y.size == 0:
        raise ValueError("no values: a balance index needs at least one unit")
    if not np.isfinite(y).all():
        raise ValueError("values contain NaN or infinity: drop units without a value before computing balance")
    if (y < 0).any():
        raise ValueError("values contain negatives: balance indices need non-negative values")
    if weights is None:
        w = np.ones_like(y)
    else:
        w = _vector(weights, "weights")
        if w.shape != y.shape:
            raise ValueError(f"weights has {w.size} entries for {y.size} values")
        if not np.isfinite(w).all() or (w <= 0).any():
            raise ValueError("weights must be finite and positive (a population per unit)")
    if need_total and not (w * y).sum() > 0:
        raise ValueError("all values are zero: shares of a zero total are undefined")
    return y, w


def _codes(groups, size: int) -> np.ndarray:
    """Integer group codes 0..k-1 for group labels, refusing missing labels."""
    codes, _ = pd.factorize(np.asarray(groups, dtype=object))
    if codes.shape != (size,):
        raise ValueError(f"groups has {codes.size} entries for {size} values")
    if (codes < 0).any():
        raise ValueError("groups contain a missing label: every unit needs a group")
    return codes


def _xlogx_ratio(share: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """share * ln(ratio) with 0 * ln 0 = 0."""
    positive = share > 0
    return np.where(positive, share * np.log(np.where(positive, ratio, 1.0)), 0.0)


def gini(values, weights=None) -> float:
    """Gini coefficient, unweighted (PySAL ``Gini(values).g``) or population-weighted.

    G = sum_i sum_j w_i w_j |y_i - y_j| / (2 W^2 mu_w), with W = sum w and mu_w = sum w y / W; all w = 1 gives
    PySAL's form (denominator n^2, no n/(n-1) correction, so one unit holding everything gives (n-1)/n).
    Computed in O(n log n): with units sorted by value and C_i the cumulative weight up to and including i,
    G = sum_i w_i y_i (2 C_i - w_i - W) / (W sum_i w_i y_i).
    """
    y, w = _checked(values, weights)
    order = np.argsort(y, kind="stable")
    y, w = y[order], w[order]
    cumulative = np.cumsum(w)
    total_weight = cumulative[-1]
    wy = w * y
    return float((wy * (2 * cumulative - w - total_weight)).sum() / (total_weight * wy.sum()))


def theil(values, weights=None) -> float:
    """Theil T index, unweighted (PySAL ``TheilD(values, partition).T``) or population-weighted.

    T = sum_i s_i ln(s_i / p_i) with s_i = w_i y_i / sum w y (unit i's share of the total) and p_i = w_i / W
    (its population share); equivalently sum_i s_i ln(y_i / mu_w). All w = 1 gives (1/n) sum (y_i/mu) ln(y_i/mu).
    Zero values contribute 0 (0 ln 0 = 0).
    """
    y, w = _checked(values, weights)
    wy = w * y
    return float(_xlogx_ratio(wy / wy.sum(), y / (wy.sum() / w.sum())).sum())


def theil_decomposition(values, groups, weights=None) -> TheilResult:
    """Theil T split into between-group and within-group parts for a grouping of the units.

    between = sum_g S_g ln(S_g / P_g), S_g and P_g the group's sums of s_i and p_i (PySAL ``TheilD.bg`` when
    unweighted); within = sum_g S_g T_g, T_g the Theil T inside group g, computed per unit as
    sum_i s_i ln(y_i / mu_g). total = between + within exactly in algebra, to rounding in floating point.
    """
    y, w = _checked(values, weights)
    codes = _codes(groups, y.size)
    wy = w * y
    total_wy, total_w = wy.sum(), w.sum()
    group_wy, group_w = np.bincount(codes, weights=wy), np.bincount(codes, weights=w)
    s = wy / total_wy
    group_s, group_p = group_wy / total_wy, group_w / total_w
    total = _xlogx_ratio(s, y / (total_wy / total_w)).sum()
    between = _xlogx_ratio(group_s, group_s / group_p).sum()
    group_mean = group_wy / group_w
    within = _xlogx_ratio(s, y / np.where(group_mean > 0, group_mean, 1.0)[codes]).sum()
    return TheilResult(float(total), float(between), float(within))


def coefficient_of_variation(values, weights=None) -> float:
    """Standard deviation over mean, population-weighted when weights are given.

    Uses the population standard deviation (ddof=0): sqrt(sum w (y - mu_w)^2 / W) / mu_w. The sample form
    (ddof=1, unweighted) is this times sqrt(n / (n - 1)).
    """
    y, w = _checked(values, weights)
    total_weight = w.sum()
    mean = (w * y).sum() / total_weight
    return float(np.sqrt((w * (y - mean) ** 2).sum() / total_weight) / mean)


def max_min_ratio(values) -> float | None:
    """Largest value over smallest; None when the smallest is 0, since a ratio to zero says nothing."""
    y, _ = _checked(values, need_total=False)
    low = y.min()
    return float(y.max() / low) if low > 0 else None


def lorenz(values, weights=None) -> pd.DataFrame:
    """Lorenz curve points from (0, 0) to (1, 1), units sorted ascending by value.

    population_share is the cumulative share of units (weighted: of population); value_share the cumulative
    share of the total (weighted: of sum w y). One row per unit plus the origin.
    """
    y, w = _checked(values, weights)
    order = np.argsort(y, kind="stable")
    y, w = y[order], w[order]
    population = np.concatenate(([0.0], np.cumsum(w) / w.sum()))
    value = np.concatenate(([0.0], np.cumsum(w * y) / (w * y).sum()))
    population[-1] = value[-1] = 1.0
    return pd.DataFrame({"population_share": population, "value_share": value})


def _period_row(period, values: np.ndarray, weights: np.ndarray, groups: np.ndarray) -> dict:
    """One row of ``balance_table``: every index for the units with a value in one period."""
    row = dict.fromkeys(BALANCE_COLUMNS, np.nan)
    row["period"], row["units"] = period, int(values.size)
    if values.size == 0:
        return row
    try:
        _checked(values, weights, need_total=False)
        if values.size < 2 or not values.sum() > 0:
            return row
        plain, weighted = theil_decomposition(values, groups), theil_decomposition(values, groups, weights)
        ratio = max_min_ratio(values)
        row.update(
            gini=gini(values),
            gini_weighted=gini(values, weights),
            theil=plain.total,
            theil_between=plain.between,
            theil_within=plain.within,
            theil_weighted=weighted.total,
            theil_weighted_between=weighted.between,
            theil_weighted_within=weighted.within,
            cv=coefficient_of_variation(values),
            cv_weighted=coefficient_of_variation(values, weights),
            max_min=np.nan if ratio is None else ratio,
        )
    except ValueError as err:
        raise ValueError(f"period {period!r}: {err}") from err
    return row


def balance_table(
    frame: pd.DataFrame, value_col: str, weight_col: str, group_col: str, period_col: str
) -> pd.DataFrame:
    """Every balance index per period, one row each in period order (columns ``BALANCE_COLUMNS``).

    A unit counts in a period when its value is not missing (``units``). Periods with fewer than 2 such units,
    or whose values are all zero, get NaN indices; ``max_min`` is NaN when the smallest value is 0. Negative
    values, or a missing or non-positive weight for a unit with a value, raise ValueError naming the period.
    """
    rows = []
    for period, part in frame.groupby(period_col, sort=True):
        values = _vector(part[value_col], value_col)
        known = ~np.isnan(values)
        weights = _vector(part[weight_col], weight_col)[known]
        rows.append(_period_row(period, values[known], weights, part[group_col].to_numpy(dtype=object)[known]))
    table = pd.DataFrame(rows, columns=list(BALANCE_COLUMNS))
    return table.astype({c: float for c in BALANCE_COLUMNS[1:-1]} | {"units": "int64"})


def converging(series: pd.Series, last: int = 12, periods_per_year: int = 12, threshold: float = 0.02) -> Trend:
    """Plain verdict on a balance index over time, for leaders.

    Fits a least-squares line to the last ``last`` periods of ``series`` (sorted by its index; periods taken as
    equally spaced, missing values skipped) and scales the slope to a year relative to the window's mean level:
    below -``threshold`` (falls by more than 2% of its level a year) is "converging", above +``threshold``
    "diverging", otherwise "stable"; "unknown" with fewer than 3 values in the window. Monthly series use
    ``periods_per_year=12``, yearly ones 1.
    """
    window = _vector(series.sort_index(), "series")[-last:]
    x = np.arange(window.size, dtype=float)
    known = np.isfinite(window)
    if known.sum() < 3:
        return Trend("unknown", np.nan, np.nan)
    slope = float(np.polyfit(x[known], window[known], 1)[0])
    level = float(window[known].mean())
    relative = slope * periods_per_year / level if level > 0 else 0.0
    verdict: Verdict = "converging" if relative < -threshold else "diverging" if relative > threshold else "stable"
    return Trend(verdict, slope, relative)
