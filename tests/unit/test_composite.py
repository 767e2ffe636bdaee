"""Composite index: scaling, inversion, dimension averages, weights and ranking, against literal tables."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from dashboard.composite import composite, composite_by_period, ranking, scaled

TABLE = pd.DataFrame(
    {
        "online_share": [0.6, 0.4, 0.2],  # higher is better -> 100, 50, 0
        "median_hours": [10.0, 30.0, 20.0],  # lower is better -> 100, 0, 50
        "mean_score": [4.5, 4.0, 4.0],  # satisfaction: 100, 0, 0
        "bad_rate": [0.01, 0.03, 0.05],  # lower: 100, 50, 0
    },
    index=pd.Index(["a", "b", "c"], name="unit"),
)


def test_scaling_and_inversion():
    assert_series_equal(scaled(pd.Series([1.0, 2.0, 3.0]), True), pd.Series([0.0, 50.0, 100.0]))
    assert_series_equal(scaled(pd.Series([1.0, 2.0, 3.0]), False), pd.Series([100.0, 50.0, 0.0]))
    assert scaled(pd.Series([7.0, 7.0]), True).tolist() == [50.0, 50.0]
    assert scaled(pd.Series([1.0, None, 3.0]), True).isna().tolist() == [False, True, False]


def test_dimensions_and_equal_weights():
    scores = composite(TABLE)
    expected = pd.DataFrame(
        {
            "service": [100.0, 25.0, 25.0],  # mean of (100,100), (50,0), (0,50)
            "satisfaction": [100.0, 25.0, 0.0],  # mean of (100,100), (0,50), (0,0)
            "composite": [100.0, 25.0, 12.5],
        },
        index=TABLE.index,
    )
    assert_frame_equal(scores, expected)


def test_weights_shift_the_composite():
    scores = composite(TABLE, {"service": 3.0, "satisfaction": 1.0})
    assert scores.loc["c", "composite"] == pytest.approx((3 * 25 + 1 * 0) / 4)


def test_ranking_and_change():
    now = pd.Series({"a": 80.0, "b": 90.0, "c": 10.0})
    before = pd.Series({"a": 95.0, "b": 60.0, "c": 20.0})
    table = ranking(now, before)
    assert table.index.tolist() == ["b", "a", "c"]
    assert table["rank"].tolist() == [1.0, 2.0, 3.0] and table["change"].tolist() == [1.0, -1.0, 0.0]


def test_every_period_at_once_scores_each_period_as_alone():
    """composite_by_period, built once per version, gives each period the numbers composite gives that period's
    rows alone: scaled within the period (not across periods), 50 where a period's values are all equal, missing
    where they are all missing."""
    flat = TABLE.assign(online_share=[0.3, 0.3, 0.3], bad_rate=[None, None, None])  # all equal; all missing
    shifted = TABLE * 10  # another scale: scaled within its own period it scores as TABLE does
    table = pd.concat({"2026-01": TABLE, "2026-02": flat, "2026-03": shifted}, names=["period"])
    table = table.swaplevel().sort_index(level="unit", sort_remaining=False)  # units first, as metric tables are
    weights = {"service": 2.0}
    every = composite_by_period(table, weights)
    for period in ("2026-01", "2026-02", "2026-03"):
        assert_frame_equal(every.xs(period, level="period"), composite(table.xs(period, level="period"), weights),
                           check_exact=True)
    second = every.xs("2026-02", level="period")
    assert second["service"].tolist() == [75.0, 25.0, 50.0]  # online_share all equal: 50 beside median_hours
    assert second["satisfaction"].tolist() == [100.0, 0.0, 0.0]  # bad_rate all missing: mean_score alone
    assert_frame_equal(every.xs("2026-03", level="period"), every.xs("2026-01", level="period"))
