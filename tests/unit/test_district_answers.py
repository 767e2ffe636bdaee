"""District answers, built from tables made once per snapshot version, give the numbers a plain pandas reading of
the snapshot's frames gives; the answers of the monthly tables are kept across ranges within the same months."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from app import create_app
from dashboard.aggregation import HOUR_EDGES, ONLINE
from dashboard.answers import district as da
from dashboard.metrics import hist_quantile, hist_quantiles, latest_complete, latest_complete_period
from tests.conftest import leader_view

UNIT = "230104"


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    from tests.conftest import fixed_settings

    app = create_app(fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=4_000, refresh_seconds=0))
    return leader_view(app.server.extensions["onescreen"])


def series(rows: pd.DataFrame, metric: str, name: str) -> pd.Series:
    part = rows[(rows["metric"] == metric) & (rows["series"] == name)]
    return part.set_index("period")["value"]


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return num / den.where(den > 0)


def test_hist_quantiles_are_hist_quantile_of_each_row():
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 5, size=(500, len(HOUR_EDGES))) * (rng.random((500, len(HOUR_EDGES))) < 0.3)
    counts[::9] = 0
    counts[4::13, :-1] = 0  # only the open-ended last bucket
    for q in (0.5, 0.9):
        expected = [hist_quantile(row, q) for row in counts]
        assert np.array_equal(hist_quantiles(counts, q), expected, equal_nan=True)


def test_latest_complete_is_the_metric_tables_rule_on_a_list_of_periods():
    table = pd.DataFrame(index=pd.MultiIndex.from_product([["a"], ["2026-01", "2026-02", "2026-03"]],
                                                          names=["unit", "period"]))
    for day in (date(2026, 2, 10), date(2026, 3, 1), date(2026, 4, 1), date(2026, 1, 5)):
        assert latest_complete(["2026-01", "2026-02", "2026-03"], day) == latest_complete_period(table, day)


def test_trends_sum_the_day_rows_of_each_week_for_the_unit_the_city_and_the_group(view):
    p = da.parse(view, UNIT, start="2026-02-11", end="2026-05-19", granularity="week", channel="web")
    rows = da.trends(view, p).rows
    units = view.frames["units"]

    def cut(frame):
        keep = (frame["day"] >= "2026-02-11") & (frame["day"] <= "2026-05-19") & (frame["channel"] == "web")
        return frame[keep].assign(period=lambda f: da.bucket(f["day"], "week"))

    req = cut(view.frames["req_day"]).groupby(["unit", "period"])[["submitted", "completed", "on_time"]].sum()
    rev = cut(view.frames["rev_day"]).groupby(["unit", "period"])[["reviews", "bad"]].sum()
    weeks = sorted(set(req.index.get_level_values("period")) | set(rev.index.get_level_values("period")))
    wide = {c: f[c].unstack("period").reindex(index=units["code"], columns=weeks).fillna(0)
            for f in (req, rev) for c in f}
    on_time = ratio(wide["on_time"].stack(), wide["completed"].stack()).unstack()
    bad = ratio(wide["bad"].stack(), wide["reviews"].stack()).unstack()
    peers = units.loc[units["group"] == units.set_index("code").loc[UNIT, "group"], "code"]

    assert list(series(rows, "requests", "unit").index) == weeks and weeks[0] == "2026-02-09"  # Monday before
    assert series(rows, "requests", "unit").tolist() == wide["submitted"].loc[UNIT].tolist()
    assert series(rows, "requests", "city").tolist() == pytest.approx((wide["submitted"].sum() / len(units)).tolist())
    city_on_time = ratio(wide["on_time"].sum(), wide["completed"].sum())
    assert series(rows, "on_time_rate", "city").tolist() == pytest.approx(city_on_time.tolist(), nan_ok=True)
    assert series(rows, "bad_rate", "unit").tolist() == pytest.approx(bad.loc[UNIT].tolist(), nan_ok=True)
    group = on_time.loc[peers].median()
    assert series(rows, "on_time_rate", "group_median").tolist() == pytest.approx(group.tolist(), nan_ok=True)
    assert set(rows["metric"]) == set(da.TREND_METRICS) and rows["value"].dtype == "float64"


def test_standing_ranks_the_unit_among_every_unit_as_pandas_ranks_them(view):
    p = da.parse(view, UNIT, start="2026-03-03", end="2026-03-09", granularity="day")
    rows = da.standing(view, p).rows.set_index("metric")
    req = view.frames["req_day"]
    req = req[(req["day"] >= "2026-03-03") & (req["day"] <= "2026-03-09")]
    sums = req.assign(online=req["submitted"].where(req["channel"].isin(ONLINE), 0)).groupby("unit")[
        ["online", "submitted"]].sum().reindex(view.frames["units"]["code"]).fillna(0)
    share = ratio(sums["online"], sums["submitted"])
    rank = share.rank(ascending=False, method="min")
    assert rows.loc["online_share", "unit"] == pytest.approx(share[UNIT])
    assert rows.loc["online_share", "rank"] == rank[UNIT]
    assert rows.loc["online_share", "units"] == share.notna().sum()
    assert rows.loc["online_share", "city"] == pytest.approx(sums["online"].sum() / sums["submitted"].sum())
    assert list(rows.index) == list(da.RANKED)


def test_items_sum_the_months_the_range_touches_of_the_department(view):
    req = view.frames["req_item_month"]
    department = req.loc[req["unit"] == UNIT, "department_code"].value_counts().index[0]
    p = da.parse(view, UNIT, start="2026-01-20", end="2026-03-03", department=department)
    rows = da.items(view, p).rows

    def cut(frame):
        keep = frame["month"].between("2026-01", "2026-03") & (frame["department_code"] == department)
        return frame[keep]

    city = cut(req).groupby("item_code")[["submitted", "completed", "on_time"]].sum()
    unit = cut(req[req["unit"] == UNIT]).groupby("item_code")[["submitted", "completed", "on_time"]].sum()
    unit = unit[unit["submitted"] > 0]
    hist = cut(view.frames["proc_item_month"])
    hist = hist[hist["unit"] == UNIT].pivot_table(index="item_code", columns="bucket", values="completed",
                                                  aggfunc="sum", fill_value=0)
    hist = hist.reindex(columns=range(len(HOUR_EDGES)), fill_value=0)

    shown = rows.set_index("item_code")
    assert set(shown.index) == set(unit.index) and (shown["department_code"] == department).all()
    assert rows["requests"].is_monotonic_decreasing
    assert shown["requests"].to_dict() == unit["submitted"].to_dict()
    assert shown["city_requests"].to_dict() == city.loc[shown.index, "submitted"].to_dict()
    on_time = ratio(unit["on_time"], unit["completed"])
    assert shown["on_time_rate"].tolist() == pytest.approx(on_time.loc[shown.index].tolist(), nan_ok=True)
    gap = on_time - ratio(city["on_time"], city["completed"]).loc[unit.index]
    assert shown["gap_on_time_rate"].tolist() == pytest.approx(gap.loc[shown.index].tolist(), nan_ok=True)
    for item, counts in hist.iterrows():
        if item in shown.index:
            expected = hist_quantile(counts.to_numpy(), 0.5)
            assert shown.loc[item, "median_hours"] == pytest.approx(expected, nan_ok=True)


def test_processing_takes_the_months_in_which_the_unit_has_histogram_rows(view):
    p = da.parse(view, UNIT, start="2025-11-15", end="2026-02-02", granularity="day")
    rows = da.processing(view, p).rows
    hist = view.frames["proc_hist"]
    hist = hist[hist["month"].between("2025-11", "2026-02")]
    mine = hist[hist["unit"] == UNIT].pivot_table(index="month", columns="bucket", values="completed",
                                                  aggfunc="sum", fill_value=0)
    mine = mine.reindex(columns=range(len(HOUR_EDGES)), fill_value=0)
    city = hist.pivot_table(index="month", columns="bucket", values="completed", aggfunc="sum", fill_value=0)
    city = city.reindex(columns=range(len(HOUR_EDGES)), fill_value=0)
    assert list(series(rows, "p90_hours", "unit").index) == list(mine.index)
    assert series(rows, "p90_hours", "unit").tolist() == [hist_quantile(r, 0.9) for r in mine.to_numpy()]
    assert series(rows, "median_hours", "city").tolist() == [hist_quantile(r, 0.5) for r in city.to_numpy()]


def test_a_range_with_no_rows_answers_empty_panels(view):
    p = da.parse(view, UNIT, start="2010-01-01", end="2010-03-31", granularity="week")
    assert da.trends(view, p).rows.empty and da.items(view, p).rows.empty and da.processing(view, p).rows.empty
    standing = da.standing(view, p).rows
    assert standing["rank"].isna().all() and (standing["units"] == 0).all()
    assert da.channel_satisfaction(view, p).rows["reviews"].sum() == 0
    assert all(math.isnan(v) for v in da.channel_satisfaction(view, p).rows["mean_score"])


def test_answers_of_the_monthly_tables_are_kept_across_ranges_within_the_same_months(view):
    first = da.parse(view, UNIT, start="2026-01-20", end="2026-03-03", granularity="week")
    same_months = da.parse(view, UNIT, start="2026-01-02", end="2026-03-31", granularity="day", channel="app")
    other_months = da.parse(view, UNIT, start="2026-01-20", end="2026-04-01", granularity="week")
    for answer in (da.items, da.departments, da.processing, da.rectification_by_department):
        kept = answer(view, first)
        again = answer(view, same_months)
        assert again.rows is kept.rows  # the same months, unit and department: the same rows
        assert again.provenance.filters["from"] == "2026-01-02"  # each answer says which range it was asked for
        assert answer(view, other_months).rows is not kept.rows
    assert da.trends(view, same_months).rows is not da.trends(view, first).rows
