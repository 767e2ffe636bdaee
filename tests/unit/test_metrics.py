"""Derived metrics from snapshot frames, against small tables worked out by hand."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from dashboard.aggregation import HOUR_EDGES
from dashboard.metrics import CATALOGUE, CITY, hist_quantile, latest_complete_period, metric_table


def frames() -> dict[str, pd.DataFrame]:
    """Two units over two months: every count small enough to check by hand."""
    req_day = pd.DataFrame(
        [  # unit, day, channel, submitted, finished, completed, on_time
            ("a", "2026-01-05", "web", 6, 4, 4, 3),
            ("a", "2026-01-06", "window", 4, 4, 3, 3),
            ("b", "2026-01-05", "app", 2, 1, 1, 0),
            ("b", "2026-02-02", "window", 8, 6, 6, 6),
        ],
        columns=["unit", "day", "channel", "submitted", "finished", "completed", "on_time"],
    )
    rev_day = pd.DataFrame(
        [  # unit, day, channel, reviews, score_sum, good, bad, rect_on_time, s1..s5
            ("a", "2026-01-05", "web", 4, 14, 2, 1, 1, 1, 0, 1, 1, 1),
            ("b", "2026-02-02", "window", 2, 3, 0, 2, 0, 1, 1, 0, 0, 0),
        ],
        columns=[
            "unit",
            "day",
            "channel",
            "reviews",
            "score_sum",
            "good",
            "bad",
            "rect_on_time",
            "s1",
            "s2",
            "s3",
            "s4",
            "s5",
        ],
    )
    open_bad = pd.DataFrame(
        {
            "review_id": ["x"],
            "unit": ["b"],
            "department_code": ["D"],
            "item_code": ["I"],
            "channel": ["window"],
            "score": [1],
            "created_at": [datetime(2026, 2, 2, 10)],
        }
    )
    proc_hist = pd.DataFrame(
        [("a", "2026-01", 3, 2), ("a", "2026-01", 5, 2), ("b", "2026-01", 9, 1), ("b", "2026-02", 9, 6)],
        columns=["unit", "month", "bucket", "completed"],
    )
    indicators = pd.DataFrame(
        [  # population from the statistics source overrides the units' census figure
            ("a", "2026-01", "population", 20_000.0),
            ("a", "2026-02", "population", 20_000.0),
            ("b", "2026-01", "population", 10_000.0),
            ("b", "2026-02", "population", 10_000.0),
            ("a", "2026-01", "g5_base_stations", 10.0),
            ("a", "2026-02", "g5_base_stations", 12.0),  # a stock: the year shows February's 12
            ("a", "2026-01", "security_incidents", 1.0),
            ("a", "2026-02", "security_incidents", 3.0),  # a flow: the year shows 1 + 3
        ],
        columns=["unit", "month", "indicator_code", "value"],
    )
    units = pd.DataFrame({"code": ["a", "b"], "population": [1, 1], "group": ["core", "county"]})
    return {
        "req_day": req_day,
        "rev_day": rev_day,
        "open_bad": open_bad,
        "proc_hist": proc_hist,
        "indicators": indicators,
        "units": units,
    }


AS_OF = datetime(2026, 3, 1)


def test_month_metrics_by_hand():
    table = metric_table(frames(), "month", AS_OF, 15)
    a, city = table.loc[("a", "2026-01")], table.loc[(CITY, "2026-01")]
    assert a["requests"] == 10 and a["online_share"] == 0.6 and a["on_time_rate"] == 6 / 7
    assert a["requests_per_10k"] == 5.0 and a["open_backlog"] == 2
    assert a["mean_score"] == 3.5 and a["good_rate"] == 0.5 and a["bad_rate"] == 0.25
    assert a["participation"] == 4 / 7 and a["rectification_rate"] == 1.0
    # the city is computed from summed components, not an average of unit rates
    assert city["requests"] == 12 and city["online_share"] == 8 / 12 and city["on_time_rate"] == 6 / 8
    b_feb = table.loc[("b", "2026-02")]
    assert b_feb["open_backlog"] == 3  # (2 - 1) in January + (8 - 6) in February
    assert b_feb["rectification_rate"] == 0.5 and b_feb["overdue_bad_reviews"] == 1
    assert b_feb["rectification_on_time_rate"] == 0.0  # due: given more than 15 days before AS_OF


def test_year_metrics_take_stocks_at_the_end_and_sum_flows():
    table = metric_table(frames(), "year", AS_OF, 15)
    a = table.loc[("a", "2026")]
    assert a["g5_base_stations_per_10k"] == 6.0  # 12 stations / 2 (10k residents)
    assert a["security_incidents_per_10k"] == 2.0  # (1 + 3) / 2
    assert math.isnan(table.loc[("b", "2026"), "g5_base_stations_per_10k"])  # no data is not zero


def test_histogram_quantile_interpolates_within_the_bucket():
    counts = np.zeros(len(HOUR_EDGES))
    counts[3] = 2  # [2, 4) hours
    counts[5] = 2  # [6, 8) hours
    assert hist_quantile(counts, 0.5) == 4.0  # the whole of bucket 3: its upper edge
    assert hist_quantile(counts, 0.25) == 3.0
    assert math.isnan(hist_quantile(np.zeros(len(HOUR_EDGES)), 0.5))
    top = np.zeros(len(HOUR_EDGES))
    top[-1] = 1
    assert hist_quantile(top, 0.9) == HOUR_EDGES[-1]  # open-ended: the lower edge, a lower bound


def test_latest_complete_period_skips_the_running_month():
    table = metric_table(frames(), "month", AS_OF, 15)
    assert latest_complete_period(table, datetime(2026, 2, 10).date()) == "2026-01"
    assert latest_complete_period(table, datetime(2026, 3, 1).date()) == "2026-02"


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_metric_has_definitions_and_a_direction(key):
    m = CATALOGUE[key]
    assert m.definition_zh and m.definition_en and m.unit_en
    assert m.higher_is_better in (True, False, None)
    assert not m.composite or (m.dimension is not None and m.higher_is_better is not None)


def test_city_indicator_figures_cover_only_the_units_that_report():
    # audit defect (a): b reports no 5G stations, so the city's per-capita figure is a's stations over a's
    # population (not over a's and b's), and it says one unit stands behind it
    f = frames()
    extra = pd.DataFrame(
        [("a", "2026-01", "grade_protection_rate", 0.9), ("b", "2026-01", "grade_protection_rate", 0.6)],
        columns=["unit", "month", "indicator_code", "value"],
    )
    f["indicators"] = pd.concat([f["indicators"], extra], ignore_index=True)
    table = metric_table(f, "month", AS_OF, 15)
    city = table.loc[(CITY, "2026-01")]
    assert city["g5_base_stations_per_10k"] == 10 / 2  # 10 stations / 20,000 residents of a
    assert city["units_g5_base_stations"] == 1 and table.loc[("a", "2026-01"), "units_g5_base_stations"] == 1
    # audit defect (b): the graded-protection rate follows the same rule (population-weighted over reporters)
    assert city["grade_protection_rate"] == pytest.approx((0.9 * 20_000 + 0.6 * 10_000) / 30_000)
    assert city["units_grade_protection_rate"] == 2
    assert math.isnan(table.loc[(CITY, "2026-02"), "grade_protection_rate"])  # nobody reports: missing, not 0
    assert city["requests_per_10k"] == 12 / 3  # row-counted metrics keep every unit's population


def test_staff_trained_is_a_monthly_flow():
    # audit defect (d): a year's figure is the sum of its months, as the demo and the mapping examples count it
    f = frames()
    extra = pd.DataFrame(
        [("a", "2026-01", "staff_trained", 4.0), ("a", "2026-02", "staff_trained", 6.0)],
        columns=["unit", "month", "indicator_code", "value"],
    )
    f["indicators"] = pd.concat([f["indicators"], extra], ignore_index=True)
    year = metric_table(f, "year", AS_OF, 15).loc[("a", "2026")]
    assert year["staff_trained_per_10k"] == (4 + 6) / 2
