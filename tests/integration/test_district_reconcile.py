"""Every district panel reconciles with the source rows, on SQLite, PostgreSQL and MariaDB.

For one unit and two ranges (a month and a year), each panel's answer is compared with the same figure
computed a second way: raw rows read with plain SQL, the bad-row rules applied in pandas (test_reconcile's
helpers), and the panel's definition applied to what remains. The composite profile is left out here: it is a
function of the metric table, every metric of which test_reconcile reconciles.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from dashboard.answers import district as da
from dashboard.refresh import refresh
from dashboard.snapshot import InProcessStore
from dashboard.view import AnswerCache, Scope, View
from data_sources.demo import run_demo
from data_sources.sql import SqlSources
from tests.integration.test_reconcile import (
    NOW,
    RECT_DAYS,
    RULES,
    bucket_width,
    good_requests,
    good_reviews,
    raw,
    working_due,
)

UNIT = "230102"  # 道里区, core
RANGES = {"month": (date(2026, 6, 1), date(2026, 6, 30)), "year": (date(2025, 1, 1), date(2025, 12, 31))}


@pytest.fixture
def world(db_url, city):
    sources = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    sources.create_schema()
    run_demo(sources, city, scale=8_000, seed=9, end=date(2026, 11, 20), bad_share=0.02)
    store = InProcessStore()
    refresh(sources, store, city, NOW, deadlines=RULES)
    view = View(store.current(), city, Scope(frozenset(city.codes)), AnswerCache(256), RULES, {},
                "Asia/Shanghai")
    req = good_requests(raw(sources, "service_request"), list(city.codes))
    rev = good_reviews(raw(sources, "review"), list(city.codes))
    rev = rev[rev["appeal_status"] != "upheld"]  # an upheld appeal removes the review (docs/metrics.md)
    due = rev["created_at"].dt.date.map({d: working_due(d, RECT_DAYS) for d in rev["created_at"].dt.date.unique()})
    rev = rev.assign(rect_due=due, rect_in_time=rev["rectified_at"].dt.date <= due)
    sources.dispose()
    groups = city.units_frame().set_index("code")["group"]
    return view, req, rev, groups


def in_range(ts: pd.Series, start: date, end: date) -> pd.Series:
    return (ts.dt.date >= start) & (ts.dt.date <= end)


def in_months(ts: pd.Series, start: date, end: date) -> pd.Series:
    months = ts.dt.strftime("%Y-%m")
    return (months >= start.isoformat()[:7]) & (months <= end.isoformat()[:7])


def rates(req: pd.DataFrame, rev: pd.DataFrame, start: date, end: date, window=in_range) -> dict[str, float]:
    """Request and review figures of some rows over a range, straight from the definitions."""
    sub = req[window(req["submitted_at"], start, end)]
    done = req[window(req["completed_at"], start, end) & (req["status"] == "completed")]
    given = rev[window(rev["created_at"], start, end)]
    return {
        "requests": len(sub),
        "online_share": sub["channel"].isin(["web", "app"]).mean() if len(sub) else np.nan,
        "on_time_rate": (done["completed_at"] <= done["deadline_at"]).mean() if len(done) else np.nan,
        "mean_score": given["score"].mean() if len(given) else np.nan,
        "bad_rate": (given["score"] <= 2).mean() if len(given) else np.nan,
    }


def hours(req: pd.DataFrame, start: date, end: date, window=in_months) -> pd.Series:
    done = req[window(req["completed_at"], start, end) & (req["status"] == "completed")]
    return (done["completed_at"] - done["submitted_at"]).dt.total_seconds() / 3600


def close_to_quantile(estimate: float, true_hours: pd.Series, q: float) -> bool:
    """The histogram's estimate lies within the width of the bucket holding the true quantile."""
    if len(true_hours) == 0:
        return np.isnan(estimate)
    true = np.quantile(true_hours, q, method="inverted_cdf")
    return abs(estimate - true) <= bucket_width(true)


def approx(value):
    return pytest.approx(value, rel=1e-9, nan_ok=True)


@pytest.mark.parametrize("kind", ["month", "year"])
def test_every_district_panel_reconciles_with_source_rows(world, kind):
    view, req, rev, groups = world
    start, end = RANGES[kind]
    p = da.parse(view, UNIT, start=start.isoformat(), end=end.isoformat(), granularity="month")
    unit_req, unit_rev = req[req["district_code"] == UNIT], rev[rev["district_code"] == UNIT]
    peers = groups.index[groups == groups[UNIT]]
    months = pd.period_range(start, end, freq="M").strftime("%Y-%m")

    # trends: the unit, the city (volume as the mean per unit) and the group median, per month
    trends = da.trends(view, p).rows.set_index(["period", "metric", "series"])["value"]
    for month in months:
        first = date.fromisoformat(f"{month}-01")
        last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
        unit, city = rates(unit_req, unit_rev, first, last), rates(req, rev, first, last)
        city["requests"] /= len(groups)
        per_peer = pd.DataFrame([rates(req[req["district_code"] == u], rev[rev["district_code"] == u], first, last)
                                 for u in peers])
        for metric in da.TREND_METRICS:
            assert trends.get((month, metric, "unit"), np.nan) == approx(unit[metric]), (month, metric)
            assert trends[(month, metric, "city")] == approx(city[metric]), (month, metric)
            assert trends[(month, metric, "group_median")] == approx(per_peer[metric].median()), (month, metric)

    # processing time per month: within the histogram's bucket width of the true quantiles
    processing = da.processing(view, p).rows.set_index(["period", "metric", "series"])["value"]
    for month in months:
        first = date.fromisoformat(f"{month}-01")
        unit_hours = hours(unit_req, first, first)
        for metric, q in (("median_hours", 0.5), ("p90_hours", 0.9)):
            assert close_to_quantile(processing.get((month, metric, "unit"), np.nan), unit_hours, q), (month, metric)
            assert close_to_quantile(processing[(month, metric, "city")], hours(req, first, first), q)

    # standing over the range: values, city, group median and ranks (1 = best)
    standing = da.standing(view, p).rows.set_index("metric")
    per_unit = pd.DataFrame({u: rates(req[req["district_code"] == u], rev[rev["district_code"] == u], start, end)
                             for u in groups.index}).T
    city = rates(req, rev, start, end)
    for metric, higher in da.RANKED.items():
        if metric == "median_hours":
            assert close_to_quantile(standing.loc[metric, "unit"], hours(unit_req, start, end), 0.5)
            continue
        col = per_unit[metric].astype(float)
        row = standing.loc[metric]
        assert row["unit"] == approx(col[UNIT]) and row["city"] == approx(city[metric])
        assert row["group_median"] == approx(col[peers].median())
        assert row["rank"] == col.rank(ascending=not higher, method="min")[UNIT]
        assert row["group_rank"] == col[peers].rank(ascending=not higher, method="min")[UNIT]

    # departments and items: the unit's figures over the months of the range, beside the city's same key
    for answer, key in ((da.departments, "department_code"), (da.items, "item_code")):
        table = answer(view, p).rows.set_index(key)
        sub = unit_req[in_months(unit_req["submitted_at"], start, end)]
        assert set(table.index) == set(sub[key]), key
        for code in list(table.index)[:8]:
            unit = rates(unit_req[unit_req[key] == code], unit_rev[unit_rev[key] == code], start, end, in_months)
            city = rates(req[req[key] == code], rev[rev[key] == code], start, end, in_months)
            for col in ("requests", "on_time_rate", "mean_score", "bad_rate"):
                assert table.loc[code, col] == approx(unit[col]), (key, code, col)
                assert table.loc[code, f"city_{col}"] == approx(city[col]), (key, code, col)
                assert table.loc[code, f"gap_{col}"] == approx(unit[col] - city[col]), (key, code, col)
            assert close_to_quantile(table.loc[code, "median_hours"], hours(unit_req[unit_req[key] == code], start,
                                                                             end), 0.5)

    # Pareto: items by bad reviews and by late completions, largest first, with the cumulative share
    given = unit_rev[in_months(unit_rev["created_at"], start, end)]
    bad = given[given["score"] <= 2].groupby("item_code").size()
    done = unit_req[in_months(unit_req["completed_at"], start, end) & (unit_req["status"] == "completed")]
    late = done[done["completed_at"] > done["deadline_at"]].groupby("item_code").size()
    for kind_, expected in (("bad", bad), ("late", late)):
        rows = da.pareto(view, p, kind_).rows
        assert dict(zip(rows["item_code"], rows["count"])) == expected[expected > 0].to_dict(), kind_
        assert list(rows["count"]) == sorted(rows["count"], reverse=True)
        if len(rows):
            assert rows["cumulative_share"].iloc[-1] == pytest.approx(1.0)

    # channels: the mix per month and each channel's satisfaction
    mix = da.channel_mix(view, p).rows.set_index(["period", "channel"])
    sub = unit_req[in_range(unit_req["submitted_at"], start, end)]
    expected_mix = sub.groupby([sub["submitted_at"].dt.strftime("%Y-%m"), "channel"]).size()
    assert dict(zip(mix.index, mix["requests"])) == expected_mix.to_dict()
    shares = expected_mix / expected_mix.groupby(level=0).transform("sum")
    assert list(mix["share"]) == approx(list(shares.reindex(mix.index)))
    satisfaction = da.channel_satisfaction(view, p).rows.set_index(["series", "channel"])
    for series, rows in (("unit", unit_rev), ("city", rev)):
        part = rows[in_range(rows["created_at"], start, end)]
        for channel, scores in part.groupby("channel")["score"]:
            assert satisfaction.loc[(series, channel), "reviews"] == len(scores)
            assert satisfaction.loc[(series, channel), "mean_score"] == approx(scores.mean())
            assert satisfaction.loc[(series, channel), "bad_rate"] == approx((scores <= 2).mean())

    # the bad-review loop: open bad reviews with their countdown, rectification per month and by department
    open_rows = da.open_bad(view, p)
    still_open = unit_rev[(unit_rev["score"] <= 2) & unit_rev["rectified_at"].isna()]
    assert open_rows.provenance.notes["total"] == len(still_open)
    assert set(open_rows.rows["review_id"]) == set(still_open["review_id"])
    overdue_from = pd.to_datetime(still_open["rect_due"]) + timedelta(days=1)  # midnight after the last day
    expected_left = ((overdue_from - NOW).dt.total_seconds() / 86400).round(1)
    assert sorted(open_rows.rows["days_left"]) == approx(sorted(expected_left))
    assert list(open_rows.rows["overdue"]) == sorted(open_rows.rows["overdue"], reverse=True)  # overdue first

    rect = da.rectification(view, p).rows.set_index(["period", "metric", "series"])["value"]
    for series, rows in (("unit", unit_rev), ("city", rev)):
        given = rows[in_range(rows["created_at"], start, end) & (rows["score"] <= 2)]
        for month, part in given.groupby(given["created_at"].dt.strftime("%Y-%m")):
            assert rect[(month, "rectification_rate", series)] == approx(part["rectified_at"].notna().mean())
            due = part[part["rect_due"] < NOW.date()]
            want = due["rect_in_time"].mean() if len(due) else np.nan
            assert rect[(month, "rectification_on_time_rate", series)] == approx(want), (series, month)

    by_dep = da.rectification_by_department(view, p).rows.set_index("department_code")
    given = unit_rev[in_months(unit_rev["created_at"], start, end) & (unit_rev["score"] <= 2)]
    assert dict(zip(by_dep.index, by_dep["bad"])) == given.groupby("department_code").size().to_dict()
    month_end = (given["created_at"].dt.to_period("M").dt.end_time).dt.date
    for dep, part in given.groupby("department_code"):
        assert by_dep.loc[dep, "open"] == part["rectified_at"].isna().sum()
        # months every deadline of which has passed: the month's last day's deadline has passed
        due = part[month_end[part.index].map(lambda d: working_due(d, RECT_DAYS) < NOW.date())]
        want = due["rect_in_time"].mean() if len(due) else np.nan
        assert by_dep.loc[dep, "rectification_on_time_rate"] == approx(want)
