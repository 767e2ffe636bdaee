"""Every derived metric on screen reconciles with the source rows.

The expected numbers are computed here a second, independent way: the raw rows are read with plain SQL,
the bad-row rules of DATA.md are applied in pandas, and each metric is computed from the remaining rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from dashboard.aggregation import HOUR_EDGES
from dashboard.metrics import CITY, metric_table
from dashboard.refresh import refresh
from dashboard.snapshot import InProcessStore
from dashboard.workdays import deadlines
from data_sources.demo import run_demo
from data_sources.sql import SqlSources

NOW = datetime(2026, 11, 21, 9, 30)
RECT_DAYS = 15
VISIT_DAYS = 1
RULES = deadlines(RECT_DAYS, VISIT_DAYS, "working")


def working_due(day: date, n: int) -> date:
    """The n-th working day after `day`, asked of chinesecalendar day by day (not dashboard.workdays)."""
    while n:
        day += timedelta(days=1)
        n -= chinese_calendar.is_workday(day)
    return day
CHANNELS = {"web", "app", "window", "self_service", "hotline"}
STATUSES = {"submitted", "accepted", "completed", "rejected", "withdrawn"}


def raw(sources, table: str) -> pd.DataFrame:
    with sources.engine(sources.source_of(table)).connect() as conn:
        return pd.read_sql(text(f"SELECT * FROM {table}"), conn)


def first_copies(frame: pd.DataFrame, key: list[str], time: str) -> pd.DataFrame:
    """Of the rows sharing an id, the earliest (DATA.md duplicates; docs/metrics.md)."""
    others = [c for c in frame.columns if c not in key and c != time]
    return frame.sort_values([time, *others]).drop_duplicates(key, keep="first")


def good_requests(df, codes):
    for c in ("submitted_at", "completed_at", "deadline_at"):
        df[c] = pd.to_datetime(df[c])
    ok = df["district_code"].isin(codes) & df["channel"].isin(CHANNELS) & df["status"].isin(STATUSES)
    ok &= df["submitted_at"].notna() & ~((df["status"] == "completed") & df["completed_at"].isna())
    ok &= ~((df["submitted_at"] > NOW) | (df["completed_at"] > NOW))
    ok &= ~(df["completed_at"] < df["submitted_at"])
    return first_copies(df[ok], ["request_id"], "submitted_at")


def good_reviews(df, codes):
    for c in ("created_at", "rectified_at", "visited_at"):
        df[c] = pd.to_datetime(df[c])
    ok = df["district_code"].isin(codes) & df["channel"].isin(CHANNELS) & df["score"].isin([1, 2, 3, 4, 5])
    ok &= df["created_at"].notna() & ~((df["created_at"] > NOW) | (df["rectified_at"] > NOW)
                                       | (df["visited_at"] > NOW))
    ok &= ~(df["rectified_at"] < df["created_at"])
    return first_copies(df[ok], ["review_id"], "created_at")


def good_indicators(df, codes):
    df["period"] = pd.to_datetime(df["period"])
    known = {
        "population",
        "open_datasets",
        "data_sharing_calls",
        "g5_base_stations",
        "self_service_terminals",
        "digital_staff",
        "staff_trained",
        "security_incidents",
        "grade_protection_rate",
    }
    ok = df["district_code"].isin(codes) & df["indicator_code"].isin(known) & df["value"].notna() & (df["value"] >= 0)
    ok &= ~((df["indicator_code"] == "grade_protection_rate") & (df["value"] > 1))
    ok &= df["period"].notna() & (df["period"] <= NOW)
    return first_copies(df[ok], ["district_code", "period", "indicator_code"], "period")


def per_10k(rows: pd.DataFrame, last: pd.DataFrame, code: str) -> float:
    """Σ indicator / Σ population (per 10,000), both over the units that have the indicator in `rows`."""
    values = rows[rows["indicator_code"] == code]
    pop = last[(last["indicator_code"] == "population") & last["district_code"].isin(values["district_code"])]
    return values["value"].sum(min_count=1) / pop["value"].sum() * 1e4 if len(values) else np.nan


def expected_metrics(req, rev, ind, units, period: str) -> pd.DataFrame:
    """Metrics per unit (and the city) for a period 'YYYY-MM' or 'YYYY', straight from good rows."""

    def in_period(ts):
        return ts.dt.strftime("%Y-%m-%d").str.startswith(period)

    year, month = int(period[:4]), int(period[5:7]) if len(period) > 4 else 12
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    given_day = rev["created_at"].dt.date
    days = given_day.unique()
    rect_due = given_day.map({d: working_due(d, RECT_DAYS) for d in days})
    visit_due = given_day.map({d: working_due(d, VISIT_DAYS) for d in days})
    rev = rev.assign(
        counted=rev["appeal_status"] != "upheld",
        rect_due=rect_due, visit_due=visit_due,
        rect_passed=rect_due < NOW.date(),  # overdue from midnight after the last day
        visit_passed=visit_due < NOW.date(),
        rect_in_time=rev["rectified_at"].dt.date <= rect_due,  # NaT compares False
        visit_in_time=(rev["visited_at"].dt.date <= visit_due) & (rev["visited_at"].dt.date >= given_day),
        default=rev["is_default"].fillna(False).astype(bool),
        real=rev["real_name"].fillna(False).astype(bool),
    )
    rows = {}
    for unit in [*units["code"], CITY]:
        r = req if unit == CITY else req[req["district_code"] == unit]
        v = rev if unit == CITY else rev[rev["district_code"] == unit]
        i = ind if unit == CITY else ind[ind["district_code"] == unit]
        sub = r[in_period(r["submitted_at"])]
        done = r[in_period(r["completed_at"]) & (r["status"] == "completed")]
        all_given = v[in_period(v["created_at"])]
        given = all_given[all_given["counted"]]
        bad = given[given["score"] <= 2]
        due = bad[bad["rect_passed"]]
        seen = bad[bad["visit_passed"]]
        real_seen = seen[seen["real"]]
        active = given[~given["default"]]
        rated = bad["rectification_rating"].dropna()
        hours = (done["completed_at"] - done["submitted_at"]).dt.total_seconds() / 3600
        ip = i[in_period(i["period"])]
        last = ip[ip["period"] == ip["period"].max()] if len(ip) else ip
        pop = last[last["indicator_code"] == "population"]["value"].sum()
        rows[unit] = {
            "requests": len(sub),
            "online_share": sub["channel"].isin(["web", "app"]).mean(),
            "on_time_rate": (done["completed_at"] <= done["deadline_at"]).mean(),
            # the inverse-CDF quantile (smallest x with F(x) >= q): the definition the histogram estimates
            "true_median": np.quantile(hours, 0.5, method="inverted_cdf") if len(hours) else np.nan,
            "true_p90": np.quantile(hours, 0.9, method="inverted_cdf") if len(hours) else np.nan,
            "open_backlog": ((r["submitted_at"] < end) & ~(r["completed_at"] < end)).sum(),
            "reviews": len(given),
            "participation": len(given) / len(r[in_period(r["completed_at"]) & (r["status"] == "completed")]),
            "mean_score": given["score"].mean(),
            "good_rate": (given["score"] >= 4).mean(),
            "bad_rate": (given["score"] <= 2).mean(),
            "rectification_rate": bad["rectified_at"].notna().mean(),
            "rectification_on_time_rate": due["rect_in_time"].mean() if len(due) else np.nan,
            "overdue_bad_reviews": (bad["rectified_at"].isna() & bad["rect_passed"]).sum(),
            "return_visit_rate": seen["visit_in_time"].mean() if len(seen) else np.nan,
            "real_name_visit_rate": real_seen["visit_in_time"].mean() if len(real_seen) else np.nan,
            "active_rating_rate": len(active) / len(given) if len(given) else np.nan,
            "good_rate_active": (active["score"] >= 4).mean() if len(active) else np.nan,
            "mean_score_active": active["score"].mean() if len(active) else np.nan,
            "rectification_satisfied_rate": (rated == "satisfied").mean() if len(rated) else np.nan,
            "rectification_basic_rate": (rated == "basic").mean() if len(rated) else np.nan,
            "rectification_dissatisfied_rate": (rated == "dissatisfied").mean() if len(rated) else np.nan,
            "appeals_pending": (bad["appeal_status"] == "pending").sum(),
            "appeals_upheld": (all_given["appeal_status"] == "upheld").sum(),
            "population": pop,
            # a missing (quarantined) indicator is missing, not zero; the city's takes numerator and denominator
            # over the units that report it (docs/metrics.md, "Coverage")
            "g5_base_stations_per_10k": per_10k(last, last, "g5_base_stations"),
            "data_sharing_calls_per_10k": per_10k(ip, last, "data_sharing_calls"),
            "security_incidents_per_10k": per_10k(ip, last, "security_incidents"),
            "units_g5_base_stations": last[last["indicator_code"] == "g5_base_stations"]["district_code"].nunique(),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def bucket_width(hours: float) -> float:
    i = int(np.searchsorted(HOUR_EDGES, hours, side="right")) - 1
    return HOUR_EDGES[i + 1] - HOUR_EDGES[i] if i + 1 < len(HOUR_EDGES) else np.inf


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return tmp_path_factory.mktemp("reconcile")


@pytest.mark.parametrize("period", ["2026-06", "2025", "2024-02"])
def test_metrics_reconcile_with_source_rows(db_url, city, period):
    sources = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    sources.create_schema()
    run_demo(sources, city, scale=6_000, seed=3, end=date(2026, 11, 20), bad_share=0.02)
    store = InProcessStore()
    refresh(sources, store, city, NOW, deadlines=RULES)
    snap = store.current()
    granularity = "month" if len(period) == 7 else "year"
    shown = metric_table(snap.frames, granularity, NOW, RULES.rectify, RULES.visit).xs(period, level="period")
    codes = list(city.codes)
    expected = expected_metrics(
        good_requests(raw(sources, "service_request"), codes),
        good_reviews(raw(sources, "review"), codes),
        good_indicators(raw(sources, "district_indicator"), codes),
        city.units_frame(),
        period,
    )
    sources.dispose()
    exact = ["requests", "open_backlog", "reviews", "overdue_bad_reviews", "population", "units_g5_base_stations",
             "appeals_pending", "appeals_upheld"]
    ratios = [
        "online_share",
        "on_time_rate",
        "participation",
        "mean_score",
        "good_rate",
        "bad_rate",
        "rectification_rate",
        "rectification_on_time_rate",
        "return_visit_rate",
        "real_name_visit_rate",
        "active_rating_rate",
        "good_rate_active",
        "mean_score_active",
        "rectification_satisfied_rate",
        "rectification_basic_rate",
        "rectification_dissatisfied_rate",
        "g5_base_stations_per_10k",
        "data_sharing_calls_per_10k",
        "security_incidents_per_10k",
    ]
    city_row = shown.loc[CITY]
    if period == "2025":  # the demo carries the review rules' columns: the new figures are real numbers
        for col in ("return_visit_rate", "real_name_visit_rate", "active_rating_rate", "rectification_satisfied_rate"):
            assert 0 < city_row[col] < 1, col
        assert city_row["appeals_upheld"] > 0 and city_row["good_rate_active"] != city_row["good_rate"]
    for unit, want in expected.iterrows():
        got = shown.loc[unit]
        for col in exact:
            assert got[col] == want[col], (unit, col)
        for col in ratios:
            assert got[col] == pytest.approx(want[col], rel=1e-9, nan_ok=True), (unit, col)
        for est, true in (("median_hours", "true_median"), ("p90_hours", "true_p90")):
            if np.isnan(want[true]):
                assert np.isnan(got[est])
            else:
                assert abs(got[est] - want[true]) <= bucket_width(want[true]), (unit, est)
