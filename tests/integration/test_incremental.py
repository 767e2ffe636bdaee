"""Incremental refresh equals a full refresh after arbitrary appends, late rows, rectifications and bad rows."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from sqlalchemy import insert, select, update

from dashboard.refresh import refresh
from dashboard.snapshot import InProcessStore
from dashboard.workdays import deadlines
from data_sources.demo import run_demo
from data_sources.sql import SqlSources

NOW1 = datetime(2026, 11, 21, 6, 0, 0)
LATE_HOURS = 48
RECT_DAYS = 15
RULES = deadlines(RECT_DAYS, 1, "working")
UNITS = ["230102", "230113", "230125", "239999"]  # the last is not a unit of the city: a bad row
CHANNELS = ["web", "app", "window", "fax"]


def request_rows(draw_rows, now2):
    return [
        {
            "request_id": f"N{i % 7 if dup else i}",
            "district_code": unit,
            "department_code": "D01",
            "item_code": "I001",
            "channel": channel,
            "submitted_at": now2 - timedelta(hours=age),
            "completed_at": None if hours is None else now2 - timedelta(hours=age) + timedelta(hours=hours),
            "status": "accepted" if hours is None else "completed",
            "deadline_at": now2 - timedelta(hours=age) + timedelta(days=3),
        }
        for i, (unit, channel, age, hours, dup) in enumerate(draw_rows)
    ]


request_strategy = st.lists(
    st.tuples(
        st.sampled_from(UNITS),
        st.sampled_from(CHANNELS),
        st.floats(min_value=-30, max_value=LATE_HOURS - 1),  # negative: in the future of the refresh
        st.one_of(st.none(), st.floats(min_value=-5, max_value=40)),  # negative: completed before submitted
        st.booleans(),  # reuse an id: duplicates
    ),
    max_size=30,
)
review_strategy = st.lists(
    st.tuples(
        st.sampled_from(UNITS),
        st.integers(min_value=0, max_value=6),
        st.floats(min_value=0, max_value=24 * 8),  # up to 8 days late: a default rating recorded after 7 days
        st.booleans(),  # is_default
        st.booleans(),  # real_name
    ),
    max_size=20,
)
APPEALS = st.one_of(st.none(), st.sampled_from(["pending", "upheld", "rejected"]))


@pytest.fixture(scope="module")
def base(tmp_path_factory, city):
    """A small demo world up to the day before NOW1, written once; each example copies it."""
    folder = tmp_path_factory.mktemp("base")
    sources = sqlite_sources(folder)
    sources.create_schema()
    run_demo(sources, city, scale=3_000, seed=7, end=date(2026, 11, 20), bad_share=0.01)
    sources.dispose()
    return folder


def sqlite_sources(folder) -> SqlSources:
    return SqlSources({s: f"sqlite:///{folder / (s + '.sqlite')}" for s in ("services", "reviews", "indicators")})


def run(sources, store, city, now, full=False):
    version = refresh(sources, store, city, now, deadlines=RULES, late_hours=LATE_HOURS, full=full)
    assert version is not None
    return store.current()


def append(sources, requests, reviews, rectify_hours, now2, visit_hours=None, appeal=None):
    """Write the drawn rows; rectify and visit open bad reviews given in the last days, and decide appeals on bad
    reviews of the last ten days: late updates to rows an earlier refresh already counted."""
    with sources.engine("services").begin() as conn:
        if requests:
            conn.execute(insert(sources.table("services", "service_request")), request_rows(requests, now2))
    review = sources.table("reviews", "review")
    with sources.engine("reviews").begin() as conn:
        if reviews:
            conn.execute(
                insert(review),
                [
                    {
                        "review_id": f"NV{i}",
                        "request_id": None,
                        "district_code": unit,
                        "department_code": "D01",
                        "item_code": "I001",
                        "channel": "app",
                        "score": score,
                        "created_at": now2 - timedelta(hours=age),
                        "rectified_at": None,
                        "is_default": default,
                        "real_name": real,
                        "appeal_status": "none",
                    }
                    for i, (unit, score, age, default, real) in enumerate(reviews)
                ],
            )
        if rectify_hours is not None:
            recent_open = select(review.c.review_id).where(
                review.c.score <= 2, review.c.rectified_at.is_(None), review.c.created_at >= now2 - timedelta(days=3)
            )
            ids = [r for (r,) in conn.execute(recent_open).all()][:5]
            conn.execute(
                update(review)
                .where(review.c.review_id.in_(ids))
                .values(rectified_at=now2 - timedelta(minutes=rectify_hours))
            )
        if visit_hours is not None:
            unvisited = select(review.c.review_id).where(
                review.c.score <= 2, review.c.visited_at.is_(None), review.c.created_at >= now2 - timedelta(days=4)
            ).order_by(review.c.review_id)
            ids = [r for (r,) in conn.execute(unvisited).all()][:6]
            conn.execute(update(review).where(review.c.review_id.in_(ids))
                         .values(visited_at=now2 - timedelta(minutes=visit_hours)))
        if appeal is not None:
            recent_bad = select(review.c.review_id).where(
                review.c.score <= 2, review.c.created_at >= now2 - timedelta(days=10)
            ).order_by(review.c.review_id.desc())
            ids = [r for (r,) in conn.execute(recent_bad).all()][:3]
            conn.execute(update(review).where(review.c.review_id.in_(ids)).values(appeal_status=appeal))


def assert_same_snapshots(incremental, full):
    assert set(incremental.frames) == set(full.frames)
    for name in full.frames:
        assert_frame_equal(incremental.frames[name], full.frames[name], obj=name)
    assert incremental.meta["source_rows"] == full.meta["source_rows"]
    assert incremental.meta["kind"] == "incremental" and full.meta["kind"] == "full"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    requests=request_strategy,
    reviews=review_strategy,
    rectify=st.one_of(st.none(), st.floats(min_value=0, max_value=60)),
    visit=st.one_of(st.none(), st.floats(min_value=0, max_value=60 * 30)),
    appeal=APPEALS,
    step_hours=st.integers(min_value=0, max_value=40),
)
def test_incremental_equals_full_on_sqlite(base, tmp_path_factory, city, requests, reviews, rectify, visit, appeal,
                                           step_hours):
    folder = tmp_path_factory.mktemp("case")
    for file in base.glob("*.sqlite"):
        shutil.copy(file, folder / file.name)
    sources = sqlite_sources(folder)
    store = InProcessStore()
    run(sources, store, city, NOW1)
    now2 = NOW1 + timedelta(hours=step_hours)
    append(sources, requests, reviews, rectify, now2, visit, appeal)
    incremental = run(sources, store, city, now2)
    full = run(sources, InProcessStore(), city, now2, full=True)
    sources.dispose()
    assert_same_snapshots(incremental, full)


def test_incremental_equals_full_on_each_database(db_url, city):
    sources = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    sources.create_schema()
    run_demo(sources, city, scale=3_000, seed=11, end=date(2026, 11, 20), bad_share=0.01)
    store = InProcessStore()
    run(sources, store, city, NOW1)
    now2 = NOW1 + timedelta(hours=20)
    drawn = [
        ("230102", "web", 3.0, 2.0, False),
        ("230113", "app", 30.0, None, False),
        ("230125", "window", 10.0, 1.0, True),
        ("239999", "web", 5.0, 1.0, False),
        ("230102", "fax", 2.0, 1.0, False),
        ("230102", "web", -10.0, None, False),
        ("230113", "web", 12.0, -2.0, False),
        ("230125", "app", 40.0, 30.0, True),
    ]
    reviews = [("230102", 1, 5.0, False, True), ("230113", 6, 2.0, False, False), ("239999", 4, 1.0, False, True),
               ("230125", 5, 24 * 7.5, True, False)]
    append(sources, drawn, reviews, 30.0, now2, visit_hours=90.0, appeal="upheld")
    incremental = run(sources, store, city, now2)
    full = run(sources, InProcessStore(), city, now2, full=True)
    sources.dispose()
    assert_same_snapshots(incremental, full)
    assert incremental.meta["cutoff"] == "2026-11-19"


def test_incremental_across_month_ends_equals_full(db_url, city):
    """Refreshes day by day across a month's end (the requests' next cutoff moves into the new month, whose head
    starts empty) and three weeks later (the reviews' cutoff, a rectification period back, crosses too): every
    incremental snapshot equals a full one, heads included."""
    sources = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    sources.create_schema()
    run_demo(sources, city, scale=2_000, seed=5, end=date(2026, 11, 28), bad_share=0.01)
    store = InProcessStore()
    run(sources, store, city, datetime(2026, 11, 29, 20, 0))
    drawn = [("230102", "web", 3.0, 2.0, False), ("230113", "app", 30.0, None, True),
             ("230125", "window", 40.0, 30.0, False), ("239999", "web", 5.0, 1.0, False)]
    reviews = [("230102", 1, 5.0, False, True), ("230113", 2, 30.0, False, False), ("230125", 5, 40.0, True, False)]
    heads = []
    for day in (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 24),
                date(2026, 12, 25)):
        now = datetime.combine(day, datetime.min.time()) + timedelta(hours=20)
        append(sources, drawn, reviews, 30.0, now, visit_hours=90.0)
        with sources.engine("services").begin() as conn:  # the day's rows get ids of their own
            table = sources.table("services", "service_request")
            conn.execute(update(table).where(table.c.request_id.like("N%"), ~table.c.request_id.contains("-"))
                         .values(request_id=table.c.request_id + f"-{day:%d}"))
        with sources.engine("reviews").begin() as conn:
            table = sources.table("reviews", "review")
            conn.execute(update(table).where(table.c.review_id.like("NV%"), ~table.c.review_id.contains("-"))
                         .values(review_id=table.c.review_id + f"-{day:%d}"))
        incremental = run(sources, store, city, now)
        full = run(sources, InProcessStore(), city, now, full=True)
        assert_same_snapshots(incremental, full)
        heads.append(incremental.meta["heads"])
    sources.dispose()
    assert [h["request"] for h in heads] == ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01", "2026-12-22",
                                             "2026-12-23"]
    assert heads[3]["review"] < heads[4]["review"] == "2026-12-01" < heads[5]["review"]


def test_a_wider_late_window_makes_the_next_refresh_full(base, tmp_path, city):
    """The heads of a snapshot end where its next cutoff was planned; a refresh whose late window reaches
    further back runs in full, and one with a narrower window starts at the heads (reading more days)."""
    for file in base.glob("*.sqlite"):
        shutil.copy(file, tmp_path / file.name)
    sources = sqlite_sources(tmp_path)
    store = InProcessStore()
    run(sources, store, city, NOW1)
    later = NOW1 + timedelta(hours=6)
    narrower = refresh(sources, store, city, later, deadlines=RULES, late_hours=24)
    assert narrower is not None and store.current().meta["kind"] == "incremental"
    assert store.current().meta["cutoff"] == "2026-11-19"  # the heads of the first refresh, not 11-20
    wider = refresh(sources, store, city, later + timedelta(hours=1), deadlines=RULES, late_hours=96)
    sources.dispose()
    assert wider is not None and store.current().meta["kind"] == "full"


def test_a_snapshot_missing_a_frame_is_refreshed_in_full(base, tmp_path, city):
    """The cutoff is planned from the previous snapshot's meta while its frames are read; when the frames turn out
    unfit to merge into (here one is missing), the refresh runs in full instead, and publishes what a full
    refresh does."""
    for file in base.glob("*.sqlite"):
        shutil.copy(file, tmp_path / file.name)
    sources = sqlite_sources(tmp_path)
    store = InProcessStore()
    first = run(sources, store, city, NOW1)
    store.publish({name: frame for name, frame in first.frames.items() if name != "proc_item_month"},
                  first.as_of, first.meta)
    later = NOW1 + timedelta(hours=6)
    after = run(sources, store, city, later)
    full = run(sources, InProcessStore(), city, later, full=True)
    sources.dispose()
    assert after.meta["kind"] == "full" and set(after.frames) == set(full.frames)
    for name in full.frames:
        assert_frame_equal(after.frames[name], full.frames[name], obj=name)
