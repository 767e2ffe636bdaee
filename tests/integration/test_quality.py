"""Bad-row rules run in each database: every injected kind is counted exactly once and never reaches clean rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from data_sources.quality import REASONS, bad_row_counts, bad_row_listing, clean, format_report, row_counts
from data_sources.sql import SqlSources
from tests.conftest import TEST_NOW

NOW = TEST_NOW  # the code under test is given the same now (make_settings, fixed_env)
T = datetime(2026, 10, 1, 9, 0, 0)
H = timedelta(hours=1)


def request(rid, **kw):
    row = dict(request_id=rid, district_code="230102", department_code="D01", item_code="I001", channel="web",
               submitted_at=T, completed_at=T + 5 * H, status="completed", deadline_at=T + 72 * H)
    return {**row, **kw}


def review(rid, **kw):
    row = dict(review_id=rid, request_id="r1", district_code="230103", department_code="D01", item_code="I001",
               channel="app", score=5, created_at=T + 6 * H, rectified_at=None)
    return {**row, **kw}


def indicator(**kw):
    row = dict(district_code="230102", period=date(2026, 9, 1), indicator_code="open_datasets", value=12.0)
    return {**row, **kw}


GOOD = {
    "service_request": [request("r1"), request("r2", status="accepted", completed_at=None), request("r3")],
    "review": [review("v1"), review("v2", score=1, rectified_at=T + 30 * H), review("v3", score=2)],
    "district_indicator": [indicator(), indicator(indicator_code="security_incidents", value=0.0),
                           indicator(indicator_code="grade_protection_rate", value=1.0)],
}
BAD = {
    "service_request": {
        "unknown_unit": request("b1", district_code="110101"),
        "unknown_code": request("b2", channel="fax"),
        "null_time": request("b3", submitted_at=None),
        "future_time": request("b4", submitted_at=NOW + 48 * H, completed_at=None, status="submitted"),
        "completed_before_submitted": request("b5", completed_at=T - H),
        "duplicate_id": request("r1"),
    },
    "review": {
        "unknown_unit": review("x1", district_code=None),
        "unknown_code": review("x2", channel="carrier pigeon"),
        "bad_score": review("x3", score=6),
        "null_time": review("x4", created_at=None),
        "future_time": review("x5", score=1, rectified_at=NOW + 24 * H),
        "rectified_before_created": review("x6", score=2, rectified_at=T),
        "duplicate_id": review("v2", score=1, rectified_at=T + 30 * H),
    },
    "district_indicator": {
        "unknown_unit": indicator(district_code="230199"),
        "unknown_code": indicator(indicator_code="happiness"),
        "bad_value": indicator(indicator_code="grade_protection_rate", value=1.5, period=date(2026, 8, 1)),
        "null_time": indicator(period=None),
        "future_time": indicator(period=date(2027, 3, 1)),
        "duplicate_id": indicator(),
    },
}


@pytest.fixture
def sources(db_url, city):
    src = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    src.create_schema()
    for table in GOOD:
        rows = GOOD[table] + list(BAD[table].values())
        with src.engine(src.source_of(table)).begin() as conn:
            conn.execute(insert(src.table(src.source_of(table), table)), rows)
    yield src
    src.dispose()


def test_every_kind_is_counted_exactly_once(sources, city):
    counts = bad_row_counts(sources, city.codes, NOW)
    per_reason = counts.groupby(["table", "reason"])["rows"].sum().to_dict()
    expected = {(table, reason): 1 for table in BAD for reason in BAD[table]}
    assert per_reason == expected
    assert set(expected) == {(t, r) for t, reasons in REASONS.items() for r in reasons}  # every kind injected
    assert row_counts(sources) == {t: len(GOOD[t]) + len(BAD[t]) for t in GOOD}


def test_bad_rows_never_reach_the_clean_rows(sources, city):
    ids = {"service_request": "request_id", "review": "review_id", "district_indicator": "indicator_code"}
    for table, key in ids.items():
        rows = clean(sources, table, city.codes, NOW)
        with sources.engine(sources.source_of(table)).connect() as conn:
            kept = sorted(conn.execute(select(rows.c[key])).scalars())
        assert kept == sorted(r[key] for r in GOOD[table]), table


def test_counts_are_dated_by_month(sources, city):
    counts = bad_row_counts(sources, city.codes, NOW)
    req = counts[counts["table"] == "service_request"].set_index("reason")["month"].to_dict()
    assert req["null_time"] == "" and req["future_time"] == "2026-11" and req["unknown_unit"] == "2026-10"


def test_a_row_breaking_two_rules_counts_once_under_the_first(sources, city):
    with sources.engine("services").begin() as conn:
        conn.execute(insert(sources.table("services", "service_request")),
                     [request("both", district_code="999999", channel="fax")])
    counts = bad_row_counts(sources, city.codes, NOW)
    req = counts[counts["table"] == "service_request"].groupby("reason")["rows"].sum()
    assert req["unknown_unit"] == 2 and req["unknown_code"] == 1


def test_listing_pages_through_bad_rows(sources, city):
    first = bad_row_listing(sources, "review", city.codes, NOW, limit=4)
    rest = bad_row_listing(sources, "review", city.codes, NOW, offset=4, limit=4)
    assert len(first) == 4 and len(rest) == 3
    assert set(first["reason"]) | set(rest["reason"]) == set(BAD["review"])
    only = bad_row_listing(sources, "review", city.codes, NOW, reason="bad_score")
    assert only["row_id"].tolist() == ["x3"] and '"score": 6' in only["row"][0]
    with pytest.raises(ValueError, match="limit"):
        bad_row_listing(sources, "review", city.codes, NOW, limit=10_000)


def test_report_names_every_reason(sources, city):
    text = format_report(sources, city, NOW, limit=3)
    assert "services.service_request: 9 rows, 6 bad" in text
    assert all(reason in text for reasons in REASONS.values() for reason in reasons)


def test_ranking_only_repeated_ids_classifies_every_row_as_ranking_all_of_them(db_url, city):
    """A whole table is classified by ranking only its repeated ids (PostgreSQL, SQLite) and a restricted scope by
    ranking every row in it: both give every row the same reason, for ids copied up to four times, with and
    without a fault in a copy, and copies that differ only in later columns."""
    from sqlalchemy import true

    from data_sources.quality import classified

    src = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    src.create_schema()
    rows = [request("a"), request("a", submitted_at=T - H), request("a", channel="fax"), request("a", item_code="I002"),
            request("b", district_code="110101"), request("b"), request("b"),
            request("c", completed_at=T - H), request("c"), request("d"), request("e", status="withdrawn"),
            request("e", status="withdrawn", deadline_at=T)]
    with src.engine("services").begin() as conn:
        conn.execute(insert(src.table("services", "service_request")), rows)

    def reasons(restrict) -> list[tuple]:
        c = classified(src, "service_request", city.codes, NOW, restrict)
        with src.engine("services").connect() as conn:
            found = conn.execute(select(c.c.request_id, c.c.submitted_at, c.c.channel, c.c.item_code,
                                        c.c.district_code, c.c.completed_at, c.c.deadline_at, c.c.reason)).all()
        return sorted(found, key=repr)

    whole, ranked_all = reasons(None), reasons(lambda c: true())
    assert whole == ranked_all
    assert sorted(r[-1] or "" for r in whole) == sorted(
        ["", "duplicate_id", "unknown_code", "duplicate_id",  # a: the earliest fault-free copy stays
         "unknown_unit", "", "duplicate_id", "completed_before_submitted", "", "", "", "duplicate_id"])
    src.dispose()
