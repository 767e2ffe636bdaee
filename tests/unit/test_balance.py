"""Balance indices: small tables worked by hand, equality with PySAL `inequality`, invariances, errors, trend."""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pandas as pd
import pytest
from inequality.gini import Gini
from inequality.theil import TheilD

from dashboard.balance import (
    BALANCE_COLUMNS,
    TheilResult,
    balance_table,
    coefficient_of_variation,
    converging,
    gini,
    lorenz,
    max_min_ratio,
    theil,
    theil_decomposition,
)

ln = math.log


def random_cases():
    """(values, groups, weights) for several seeds, sizes and groupings, some values exactly zero."""
    cases = []
    for seed, size in product(range(4), (2, 5, 18, 60)):
        rng = np.random.default_rng(seed)
        values = rng.lognormal(mean=3.0, sigma=0.8, size=size)
        if size > 5:
            values[rng.integers(size)] = 0.0
        groups = rng.choice(np.array(["core", "outer", "county"]), size=size)
        weights = rng.integers(150_000, 1_300_000, size=size).astype(float)
        cases.append((values, groups, weights))
    return cases


CASES = random_cases()


# Hand-worked tables ---------------------------------------------------------------------------------------------


def test_four_units_unweighted_by_hand():
    values = [1, 2, 3, 4]
    # Gini: pairs |1-2|+|1-3|+|1-4|+|2-3|+|2-4|+|3-4| = 1+2+3+1+2+1 = 10, both orders 20; 2 n^2 mu = 2*16*2.5 = 80
    assert gini(values) == pytest.approx(20 / 80, abs=1e-15)
    # Theil: mu = 2.5, (1/4) sum (y/mu) ln(y/mu) = 0.106440135...
    expected = (0.4 * ln(0.4) + 0.8 * ln(0.8) + 1.2 * ln(1.2) + 1.6 * ln(1.6)) / 4
    assert theil(values) == pytest.approx(expected, abs=1e-15)
    assert theil(values) == pytest.approx(0.1064401353, abs=1e-10)
    # CV: deviations -1.5, -0.5, 0.5, 1.5 -> variance (2.25+0.25+0.25+2.25)/4 = 1.25; sqrt(1.25)/2.5 = 1/sqrt(5)
    assert coefficient_of_variation(values) == pytest.approx(1 / math.sqrt(5), abs=1e-15)
    assert max_min_ratio(values) == 4.0
    # Lorenz: each unit 1/4 of the units; cumulative 1, 3, 6, 10 of 10
    expected_lorenz = pd.DataFrame(
        {"population_share": [0.0, 0.25, 0.5, 0.75, 1.0], "value_share": [0.0, 0.1, 0.3, 0.6, 1.0]}
    )
    pd.testing.assert_frame_equal(lorenz(values), expected_lorenz, rtol=0, atol=1e-15)


def test_two_units_weighted_by_hand():
    # A county of 100k at 1 per capita and a district of 300k at 3: y = [1, 3], w = [1, 3] (hundred thousands).
    values, weights = [1, 3], [1, 3]
    # W = 4, sum w y = 1 + 9 = 10, mu_w = 2.5.
    # Gini: sum_ij w_i w_j |y_i - y_j| = 2 * (1*3*2) = 12; 2 W^2 mu_w = 2*16*2.5 = 80 -> 0.15 (unweighted: 0.25)
    assert gini(values, weights) == pytest.approx(0.15, abs=1e-15)
    assert gini(values) == pytest.approx(0.25, abs=1e-15)
    # Theil: s = [1/10, 9/10], p = [1/4, 3/4]; T = 0.1 ln(0.4) + 0.9 ln(1.2) = -0.0916291 + 0.1640894 = 0.0724603...
    assert theil(values, weights) == pytest.approx(0.1 * ln(0.4) + 0.9 * ln(1.2), abs=1e-15)
    assert theil(values, weights) == pytest.approx(0.0724603279, abs=1e-10)
    # CV: variance (1*1.5^2 + 3*0.5^2)/4 = 3/4; sqrt(3/4)/2.5 = sqrt(3)/5
    assert coefficient_of_variation(values, weights) == pytest.approx(math.sqrt(3) / 5, abs=1e-15)
    # Lorenz: population 1/4 then all; value 1/10 then all
    expected_lorenz = pd.DataFrame({"population_share": [0.0, 0.25, 1.0], "value_share": [0.0, 0.1, 1.0]})
    pd.testing.assert_frame_equal(lorenz(values, weights), expected_lorenz, rtol=0, atol=1e-15)


def test_weighted_decomposition_by_hand():
    # core: y = 4, 2 with w = 1, 1; county: y = 1, 1 with w = 2, 2.
    values, groups, weights = [4, 2, 1, 1], ["core", "core", "county", "county"], [1, 1, 2, 2]
    # w y = [4, 2, 2, 2], total 10, W = 6: s = [.4, .2, .2, .2], mu_w = 10/6, y/mu_w = [2.4, 1.2, .6, .6]
    total = 0.4 * ln(2.4) + 0.2 * ln(1.2) + 0.4 * ln(0.6)
    # S_core = .6, P_core = 2/6; S_county = .4, P_county = 4/6
    between = 0.6 * ln(0.6 / (1 / 3)) + 0.4 * ln(0.4 / (2 / 3))
    # core mean 3: .4 ln(4/3) + .2 ln(2/3); county mean 1, both at 1: 0
    within = 0.4 * ln(4 / 3) + 0.2 * ln(2 / 3)
    result = theil_decomposition(values, groups, weights)
    assert result.total == pytest.approx(total, abs=1e-15)
    assert result.between == pytest.approx(between, abs=1e-15)
    assert result.within == pytest.approx(within, abs=1e-15)
    assert result.total == pytest.approx(result.between + result.within, abs=1e-15)
    assert result.between_share == pytest.approx(between / total)
    assert theil(values, weights) == pytest.approx(total, abs=1e-15)


# PySAL ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "groups", "weights"), CASES)
def test_unweighted_gini_equals_pysal(values, groups, weights):
    assert gini(values) == pytest.approx(Gini(values).g, abs=1e-9)


@pytest.mark.parametrize(("values", "groups", "weights"), CASES)
def test_unweighted_theil_and_its_parts_equal_pysal(values, groups, weights):
    reference = TheilD(values, groups)  # bg and wg come back as arrays of shape (1,)
    result = theil_decomposition(values, groups)
    assert theil(values) == pytest.approx(reference.T, abs=1e-9)
    assert result.total == pytest.approx(reference.T, abs=1e-9)
    assert result.between == pytest.approx(reference.bg[0], abs=1e-9)
    assert result.within == pytest.approx(reference.wg[0], abs=1e-9)


@pytest.mark.parametrize(("values", "groups", "weights"), CASES)
def test_weighted_theil_is_between_plus_within(values, groups, weights):
    result = theil_decomposition(values, groups, weights)
    assert result.total == pytest.approx(result.between + result.within, abs=1e-12)
    assert result.total == pytest.approx(theil(values, weights), abs=1e-12)
    assert result.between >= -1e-15 and result.within >= -1e-15


@pytest.mark.parametrize(("values", "groups", "weights"), CASES)
def test_weighted_gini_is_the_mean_absolute_difference_formula(values, groups, weights):
    pair_sum = (np.outer(weights, weights) * np.abs(values[:, None] - values[None, :])).sum()
    mean = (weights * values).sum() / weights.sum()
    assert gini(values, weights) == pytest.approx(pair_sum / (2 * weights.sum() ** 2 * mean), abs=1e-12)


@pytest.mark.parametrize(("values", "groups", "weights"), CASES)
def test_gini_is_twice_the_area_between_diagonal_and_lorenz_curve(values, groups, weights):
    for w in (None, weights):
        curve = lorenz(values, w)
        x, share = curve["population_share"].to_numpy(), curve["value_share"].to_numpy()
        area_under = (np.diff(x) * (share[1:] + share[:-1]) / 2).sum()
        assert gini(values, w) == pytest.approx(2 * (0.5 - area_under), abs=1e-12)


# Invariances ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "groups", "weights"), CASES)
def test_scaling_the_values_changes_no_index(values, groups, weights):
    for w in (None, weights):
        assert gini(values * 7.3, w) == pytest.approx(gini(values, w), abs=1e-12)
        assert theil(values * 7.3, w) == pytest.approx(theil(values, w), abs=1e-12)
        assert coefficient_of_variation(values * 7.3, w) == pytest.approx(coefficient_of_variation(values, w))
        scaled, plain = theil_decomposition(values * 7.3, groups, w), theil_decomposition(values, groups, w)
        assert scaled.between == pytest.approx(plain.between, abs=1e-12)


@pytest.mark.parametrize(("values", "groups", "weights"), CASES)
def test_equal_weights_give_the_unweighted_indices(values, groups, weights):
    equal = np.full(values.size, 430_000.0)
    assert gini(values, equal) == pytest.approx(gini(values), abs=1e-12)
    assert theil(values, equal) == pytest.approx(theil(values), abs=1e-12)
    assert coefficient_of_variation(values, equal) == pytest.approx(coefficient_of_variation(values), abs=1e-12)
    weighted, plain = theil_decomposition(values, groups, equal), theil_decomposition(values, groups)
    assert weighted.between == pytest.approx(plain.between, abs=1e-12)
    assert weighted.within == pytest.approx(plain.within, abs=1e-12)
    pd.testing.assert_frame_equal(lorenz(values, equal), lorenz(values), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("values", "groups", "weights"), CASES)
def test_duplicating_every_unit_changes_no_weighted_index(values, groups, weights):
    twice = np.tile(values, 2), np.tile(groups, 2), np.tile(weights, 2)
    assert gini(twice[0], twice[2]) == pytest.approx(gini(values, weights), abs=1e-12)
    assert theil(twice[0], twice[2]) == pytest.approx(theil(values, weights), abs=1e-12)
    assert coefficient_of_variation(twice[0], twice[2]) == pytest.approx(coefficient_of_variation(values, weights))
    doubled, single = theil_decomposition(*twice), theil_decomposition(values, groups, weights)
    assert doubled.between == pytest.approx(single.between, abs=1e-12)
    assert doubled.within == pytest.approx(single.within, abs=1e-12)


def test_perfect_equality_is_zero_everywhere_and_lorenz_is_the_diagonal():
    values, weights = np.full(5, 12.5), np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    groups = ["core", "core", "outer", "county", "county"]
    for w in (None, weights):
        assert gini(values, w) == pytest.approx(0.0, abs=1e-15)
        assert theil(values, w) == pytest.approx(0.0, abs=1e-15)
        assert coefficient_of_variation(values, w) == pytest.approx(0.0, abs=1e-15)
        assert theil_decomposition(values, groups, w) == TheilResult(0.0, 0.0, 0.0)
        curve = lorenz(values, w)
        np.testing.assert_allclose(curve["value_share"], curve["population_share"], atol=1e-15)
    assert max_min_ratio(values) == 1.0
    assert theil_decomposition(values, groups).between_share is None


@pytest.mark.parametrize("n", [2, 3, 18])
def test_one_unit_holding_everything(n):
    values = np.zeros(n)
    values[-1] = 5.0
    assert gini(values) == pytest.approx((n - 1) / n, abs=1e-15)
    assert theil(values) == pytest.approx(ln(n), abs=1e-15)  # the maximum of Theil T
    assert max_min_ratio(values) is None
    assert lorenz(values)["value_share"].tolist() == [0.0] * n + [1.0]


def test_lorenz_weighted_by_hand():
    # Sorted by value: 0 (w 3), 1 (w 1), 2 (w 1), 3 (w 1), 4 (w 2); W = 8, w y = 0, 1, 2, 3, 8 of 14.
    curve = lorenz([4.0, 1.0, 3.0, 0.0, 2.0], [2.0, 1.0, 1.0, 3.0, 1.0])
    expected = pd.DataFrame(
        {
            "population_share": [0.0, 3 / 8, 4 / 8, 5 / 8, 6 / 8, 1.0],
            "value_share": [0.0, 0.0, 1 / 14, 3 / 14, 6 / 14, 1.0],
        }
    )
    pd.testing.assert_frame_equal(curve, expected, rtol=0, atol=1e-15)


def test_pandas_series_are_accepted():
    values = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd"))
    weights = pd.Series([1, 1, 3, 3], index=list("abcd"))
    assert gini(values, weights) == pytest.approx(17 / 96)


# Errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "weights", "message"),
    [
        ([], None, "no values"),
        ([1.0, float("nan"), 2.0], None, "NaN"),
        ([1.0, float("inf")], None, "NaN or infinity"),
        ([1.0, -2.0, 3.0], None, "negatives"),
        ([0.0, 0.0], None, "all values are zero"),
        ([1.0, 2.0], [1.0], "weights has 1 entries"),
        ([1.0, 2.0], [1.0, 0.0], "weights must be finite and positive"),
        ([1.0, 2.0], [1.0, float("nan")], "weights must be finite and positive"),
        ([[1.0, 2.0]], None, "one-dimensional"),
    ],
)
def test_unusable_input_is_refused_with_a_reason(values, weights, message):
    for index in (gini, theil, coefficient_of_variation, lorenz):
        with pytest.raises(ValueError, match=message):
            index(values, weights)
    with pytest.raises(ValueError, match=message):
        theil_decomposition(values, ["core"] * len(values), weights)


def test_max_min_ratio_refuses_what_it_cannot_read_but_not_zeros():
    assert max_min_ratio([0.0, 0.0]) is None
    for values, message in (([], "no values"), ([1.0, float("nan")], "NaN"), ([2.0, -1.0], "negatives")):
        with pytest.raises(ValueError, match=message):
            max_min_ratio(values)


def test_groups_must_match_and_be_complete():
    with pytest.raises(ValueError, match="groups has 2 entries for 3 values"):
        theil_decomposition([1.0, 2.0, 3.0], ["core", "outer"])
    with pytest.raises(ValueError, match="missing label"):
        theil_decomposition([1.0, 2.0, 3.0], ["core", None, "outer"])


# Over time ------------------------------------------------------------------------------------------------------


def test_balance_table_over_three_periods():
    # Units a, b (core, weight 1) and c, d (county, weight 3). 2024-03 has a single value; 2024-01 two.
    frame = pd.DataFrame(
        {
            "month": ["2024-02"] * 4 + ["2024-01"] * 4 + ["2024-03"] * 4,
            "unit": list("abcd") * 3,
            "group": ["core", "core", "county", "county"] * 3,
            "population": [1.0, 1.0, 3.0, 3.0] * 3,
            "value": [1.0, 2.0, 3.0, 4.0, 1.0, np.nan, 3.0, np.nan, 5.0, np.nan, np.nan, np.nan],
        }
    )
    sqrt3, sqrt5 = math.sqrt(3), math.sqrt(5)
    # 2024-01: y = [1, 3], w = [1, 3], one unit per group, so between = total and within = 0.
    #   unweighted: Gini 0.25; Theil (1/2)(0.5 ln 0.5 + 1.5 ln 1.5); CV 1/2; max/min 3
    #   weighted (test_two_units_weighted_by_hand): Gini 0.15; Theil 0.1 ln 0.4 + 0.9 ln 1.2; CV sqrt(3)/5
    jan_theil, jan_theil_w = 0.25 * ln(0.5) + 0.75 * ln(1.5), 0.1 * ln(0.4) + 0.9 * ln(1.2)
    # 2024-02: y = [1, 2, 3, 4], w = [1, 1, 3, 3].
    #   unweighted (test_four_units_unweighted_by_hand); core sums 3 of 10, county 7, each half the units:
    #   between 0.3 ln 0.6 + 0.7 ln 1.4; within: core mean 1.5, county mean 3.5
    feb_theil = (0.4 * ln(0.4) + 0.8 * ln(0.8) + 1.2 * ln(1.2) + 1.6 * ln(1.6)) / 4
    feb_between = 0.3 * ln(0.6) + 0.7 * ln(1.4)
    feb_within = 0.1 * ln(1 / 1.5) + 0.2 * ln(2 / 1.5) + 0.3 * ln(3 / 3.5) + 0.4 * ln(4 / 3.5)
    #   weighted: W = 8, w y = [1, 2, 9, 12] of 24, mu_w = 3.
    #   Gini: pairs w_i w_j |y_i - y_j| = 1 + 6 + 9 + 3 + 6 + 9 = 34, both orders 68; 2 W^2 mu = 384 -> 17/96
    #   Theil: s = [1, 2, 9, 12]/24, y/mu = [1/3, 2/3, 1, 4/3]
    feb_theil_w = (1 * ln(1 / 3) + 2 * ln(2 / 3) + 9 * ln(1) + 12 * ln(4 / 3)) / 24
    #   between: S_core = 3/24, P_core = 2/8; S_county = 21/24, P_county = 6/8
    feb_between_w = 0.125 * ln(0.125 / 0.25) + 0.875 * ln(0.875 / 0.75)
    #   within: core mean 1.5, county mean 21/6 = 3.5
    feb_within_w = (1 * ln(1 / 1.5) + 2 * ln(2 / 1.5) + 9 * ln(3 / 3.5) + 12 * ln(4 / 3.5)) / 24
    #   CV weighted: deviations -2, -1, 0, 1 with weights 1, 1, 3, 3 -> variance (4 + 1 + 0 + 3)/8 = 1 -> 1/3
    nan = np.nan
    expected = pd.DataFrame(
        {
            "period": ["2024-01", "2024-02", "2024-03"],
            "gini": [0.25, 0.25, nan],
            "gini_weighted": [0.15, 17 / 96, nan],
            "theil": [jan_theil, feb_theil, nan],
            "theil_between": [jan_theil, feb_between, nan],
            "theil_within": [0.0, feb_within, nan],
            "theil_weighted": [jan_theil_w, feb_theil_w, nan],
            "theil_weighted_between": [jan_theil_w, feb_between_w, nan],
            "theil_weighted_within": [0.0, feb_within_w, nan],
            "cv": [0.5, 1 / sqrt5, nan],
            "cv_weighted": [sqrt3 / 5, 1 / 3, nan],
            "max_min": [3.0, 4.0, nan],
            "units": [2, 4, 1],
        }
    )
    table = balance_table(frame, "value", "population", "group", "month")
    assert list(table.columns) == list(BALANCE_COLUMNS)
    pd.testing.assert_frame_equal(table, expected, rtol=0, atol=1e-12)


def test_balance_table_edge_periods():
    frame = pd.DataFrame(
        {
            "period": ["2024", "2024", "2025", "2025", "2026", "2026"],
            "group": ["core", "county"] * 3,
            "w": [1.0] * 6,
            "v": [0.0, 0.0, 2.0, 0.0, np.nan, np.nan],
        }
    )
    table = balance_table(frame, "v", "w", "group", "period").set_index("period")
    assert table.loc["2024", "units"] == 2 and table.loc["2024"].drop("units").isna().all()  # all zero
    assert table.loc["2025", "gini"] == pytest.approx(0.5) and np.isnan(table.loc["2025", "max_min"])
    assert table.loc["2026", "units"] == 0 and np.isnan(table.loc["2026", "theil"])
    empty = balance_table(frame.iloc[:0], "v", "w", "group", "period")
    assert list(empty.columns) == list(BALANCE_COLUMNS) and empty.empty


def test_balance_table_names_the_period_with_bad_data():
    frame = pd.DataFrame({"p": ["2024-05"] * 2, "g": ["core", "outer"], "w": [1.0, np.nan], "v": [1.0, 2.0]})
    with pytest.raises(ValueError, match="period '2024-05': weights must be finite and positive"):
        balance_table(frame, "v", "w", "g", "p")
    frame = frame.assign(w=1.0, v=[1.0, -2.0])
    with pytest.raises(ValueError, match="period '2024-05': values contain negatives"):
        balance_table(frame, "v", "w", "g", "p")


def months(values):
    """A monthly series indexed 'YYYY-MM' from 2023-01."""
    return pd.Series(values, index=[f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(len(values))])


def test_falling_index_is_converging():
    # 0.300 down 0.001 a month; the last 12 run 0.294 .. 0.283, mean 0.2885: -0.012 a year is -4.2% of the level
    trend = converging(months([0.30 - 0.001 * i for i in range(18)]))
    assert trend.verdict == "converging"
    assert trend.slope == pytest.approx(-0.001)
    level = np.mean([0.30 - 0.001 * i for i in range(6, 18)])
    assert trend.relative_per_year == pytest.approx(-0.012 / level)


def test_rising_index_is_diverging_and_flat_is_stable():
    assert converging(months([0.20 + 0.001 * i for i in range(12)])).verdict == "diverging"
    flat = converging(months([0.25, 0.26, 0.24] * 4))
    assert flat.verdict == "stable" and abs(flat.relative_per_year) <= 0.02
    # 1% of the level a year is within the band
    assert converging(months([1.0 + 0.01 / 12 * i for i in range(12)])).verdict == "stable"


def test_only_the_last_periods_count_and_order_is_by_period():
    # Up 0.02 a month for a year, then down 0.01 a month: the last 12 fall, all 24 rise.
    series = months([0.10 + 0.02 * i for i in range(12)] + [0.32 - 0.01 * i for i in range(12)])
    newest_first = series.iloc[::-1]
    assert converging(newest_first).verdict == "converging"
    assert converging(newest_first, last=24).verdict == "diverging"


def test_yearly_series_and_gaps():
    yearly = pd.Series([0.30, 0.29, np.nan, 0.27], index=["2021", "2022", "2023", "2024"])
    trend = converging(yearly, periods_per_year=1)
    assert trend.verdict == "converging" and trend.slope == pytest.approx(-0.01)
    assert converging(pd.Series([0.3, np.nan, 0.2])).verdict == "unknown"
    assert converging(pd.Series([0.0] * 12)).verdict == "stable"
