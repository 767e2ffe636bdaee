"""The live demo feed: rows arrive as the clock moves, the wall's today tiles equal them, a stopped feed fills the
gap, nothing is written ahead of the clock, and only databases marked as demo data are ever written to."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from app import create_app
from dashboard.answers import wall as wall_answers
from data_sources.demo import run_demo, slow_visit_units
from data_sources.feed import Feed, FeedRefused, fed_until, is_demo
from data_sources.sql import SqlSources
from tests.conftest import fixed_env, leader_view

ROOT = Path(__file__).resolve().parents[2]
MONDAY_0900 = datetime(2026, 11, 23, 9, 0)
OPTIONAL = ("visited_at", "real_name", "appeal_status", "is_default", "rectification_rating")


def live_reviews(sources: SqlSources) -> list:
    """The feed's reviews with their optional columns, as the engine returns them."""
    v = sources.table("reviews", "review")
    with sources.engine("reviews").connect() as conn:
        return conn.execute(select(v.c.district_code, v.c.channel, v.c.score, v.c.created_at, v.c.rectified_at,
                                   *(v.c[c] for c in OPTIONAL)).where(v.c.review_id.like("RLIVE%"))).all()


def check_optional_columns(reviews: list, until: datetime) -> None:
    """What holds for every live review: the Boolean columns round-trip, the codes are DATA.md's, default ratings
    are 5s, visits are of bad reviews and not ahead of the clock, ratings are of rectified real-name ones."""
    assert all(isinstance(r.real_name, bool) and isinstance(r.is_default, bool) for r in reviews)
    assert {r.appeal_status for r in reviews} <= {"none", "pending", "upheld", "rejected"}
    assert all(r.score <= 2 for r in reviews if r.appeal_status != "none")
    decided = [r for r in reviews if r.appeal_status in ("upheld", "rejected")]
    assert all(until - r.created_at >= timedelta(days=3) for r in decided)  # decided 3 to 20 days after
    assert all(r.score == 5 and not r.real_name for r in reviews if r.is_default)
    assert all(r.score <= 2 and r.created_at <= r.visited_at <= until for r in reviews if r.visited_at is not None)
    assert all(r.score <= 2 and r.rectified_at is not None and r.real_name
               for r in reviews if r.rectification_rating is not None)


def scalar(url: str, sql: str, **params):
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql), params).scalar()
    engine.dispose()
    return value


def test_the_wall_today_moves_with_the_feed_and_equals_the_source_rows(make_settings):
    app = create_app(make_settings(now=MONDAY_0900, demo_live=True, demo_scale=60_000))  # data up to 09:00
    rt = app.server.extensions["onescreen"]
    url = rt.settings.source_url("services").removeprefix("sqlite:///")
    reviews = rt.settings.source_url("reviews")

    def today_tiles():
        return wall_answers.tiles_model(wall_answers.tiles(leader_view(rt))).today

    def source_today(now: datetime) -> dict:
        day, nxt = now.date().isoformat(), (now.date() + timedelta(days=1)).isoformat()
        requests = scalar(f"sqlite:///{url}", "SELECT count(*) FROM service_request WHERE submitted_at >= :d "
                                              "AND submitted_at < :n", d=day, n=nxt)
        online = scalar(f"sqlite:///{url}", "SELECT count(*) FROM service_request WHERE submitted_at >= :d AND "
                                            "submitted_at < :n AND channel IN ('web', 'app')", d=day, n=nxt)
        mean = scalar(reviews, "SELECT avg(score) FROM review WHERE created_at >= :d AND created_at < :n",
                      d=day, n=nxt)
        return {"requests": requests, "online_share": online / requests if requests else None, "mean_score": mean}

    early = today_tiles()
    assert early["requests"].current == source_today(MONDAY_0900)["requests"] > 0  # "today" is not empty at 09:00
    later = MONDAY_0900 + timedelta(hours=2, minutes=30)
    rt.clock.set(later)
    counts = rt.feed_step(later)
    assert counts["requests"] > 0 and counts["completed"] > 0
    rt.refresh_now()
    now_tiles, truth = today_tiles(), source_today(later)
    assert now_tiles["requests"].current == truth["requests"] > early["requests"].current  # today moved on
    assert now_tiles["online_share"].current == pytest.approx(truth["online_share"])
    assert now_tiles["mean_score"].current == pytest.approx(truth["mean_score"])
    latest = scalar(f"sqlite:///{url}", "SELECT max(submitted_at) FROM service_request WHERE request_id LIKE 'LIVE%'")
    assert datetime.fromisoformat(str(latest)) <= later  # nothing ahead of the clock
    bad_before = rt.reader.get().frames["quality_counts"]["rows"].sum()
    rt.clock.set(later + timedelta(minutes=20))
    rt.feed_step(rt.clock.now())
    rt.refresh_now()
    assert rt.reader.get().frames["quality_counts"]["rows"].sum() == bad_before  # no new bad rows from the feed


@pytest.fixture
def demo_db(db_url, city):
    """A database on each engine, filled by the demo (and so marked as demo data) up to 2026-11-22."""
    sources = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    run_demo(sources, city, scale=30_000, seed=7, end=date(2026, 11, 22), bad_share=0.0)  # ~27 requests a day
    yield sources
    sources.dispose()


def test_a_stopped_feed_fills_the_gap_without_a_hole_on_every_engine(demo_db, city):
    feed = Feed(demo_db, city, seed=7)
    assert fed_until(demo_db) == datetime(2026, 11, 23)
    feed.step(MONDAY_0900)
    stopped_for = MONDAY_0900 + timedelta(days=2, hours=6)  # down from Monday 09:00 to Wednesday 15:00
    counts = feed.step(stopped_for)
    assert counts["requests"] > 0 and counts["reviews"] > 0 and fed_until(demo_db) == stopped_for
    engine = demo_db.engine("services")
    with engine.connect() as conn:
        for day in (23, 24, 25):  # every day of the gap has its office hours' requests
            n = conn.execute(text("SELECT count(*) FROM service_request WHERE request_id LIKE 'LIVE%' AND "
                                  "submitted_at >= :a AND submitted_at < :b"),
                             {"a": datetime(2026, 11, day, 9), "b": datetime(2026, 11, day, 15)}).scalar()
            assert n > 0, day
        night = conn.execute(text("SELECT count(*) FROM service_request WHERE request_id LIKE 'LIVE%' AND "
                                  "submitted_at >= :a AND submitted_at < :b"),
                             {"a": datetime(2026, 11, 24, 2), "b": datetime(2026, 11, 24, 4)}).scalar()
        office = conn.execute(text("SELECT count(*) FROM service_request WHERE request_id LIKE 'LIVE%' AND "
                                   "submitted_at >= :a AND submitted_at < :b"),
                              {"a": datetime(2026, 11, 24, 9), "b": datetime(2026, 11, 24, 11)}).scalar()
        assert night < office  # quiet nights
        ahead = conn.execute(text("SELECT count(*) FROM service_request WHERE submitted_at > :t OR "
                                  "completed_at > :t"), {"t": stopped_for}).scalar()
        assert ahead == 0
    reviews = live_reviews(demo_db)
    assert reviews
    check_optional_columns(reviews, stopped_for)
    assert feed.step(stopped_for) == {"requests": 0, "completed": 0, "reviews": 0, "visited": 0,
                                      "rectified": 0}  # idempotent


def test_the_feed_visits_rectifies_and_rates_its_bad_reviews_with_the_demo_patterns(tmp_path, city):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    sources = SqlSources({"services": url, "reviews": url, "indicators": url})
    run_demo(sources, city, scale=300_000, seed=7, end=date(2026, 11, 22), bad_share=0.0)  # ~80 reviews a day
    until = datetime(2026, 12, 7)
    counts = Feed(sources, city, seed=7).step(until)  # two weeks
    assert counts["visited"] > 0 and counts["rectified"] > 0
    reviews = live_reviews(sources)
    sources.dispose()
    check_optional_columns(reviews, until)
    assert 0.7 < sum(r.real_name for r in reviews) / len(reviews) < 0.95
    defaults = [r for r in reviews if r.is_default]
    assert defaults and {r.channel for r in defaults} <= {"window", "self_service"}
    window_fives = [r for r in reviews if r.channel == "window" and r.score == 5]
    assert 0.15 < sum(r.is_default for r in window_fives) / len(window_fives) < 0.45
    bad = [r for r in reviews if r.score <= 2 and r.created_at < until - timedelta(days=2)]
    slow = set(slow_visit_units(city))

    def visited_within_a_day(rows: list) -> float:
        return sum(r.visited_at is not None and r.visited_at - r.created_at <= timedelta(days=1)
                   for r in rows) / len(rows)

    slow_rate = visited_within_a_day([r for r in bad if r.district_code in slow])
    other_rate = visited_within_a_day([r for r in bad if r.district_code not in slow])
    assert slow_rate < 0.5 < 0.75 < other_rate, (slow_rate, other_rate)
    assert any(r.rectification_rating for r in reviews)
    appealed = [r for r in reviews if r.appeal_status != "none"]
    assert appealed and any(r.appeal_status in ("upheld", "rejected") for r in appealed), appealed


def test_the_feed_refuses_a_database_not_marked_as_demo(tmp_path, city):
    url = f"sqlite:///{tmp_path / 'real.sqlite'}"
    sources = SqlSources({"services": url, "reviews": url, "indicators": url})
    sources.create_schema()
    assert not is_demo(sources)
    with pytest.raises(FeedRefused, match="not marked as demo data"):
        Feed(sources, city)
    env = fixed_env(services_url=url, reviews_url=url, indicators_url=url)
    done = subprocess.run([sys.executable, "-m", "dashboard", "demo", "--live"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin", **env})
    assert done.returncode == 2 and "refused" in done.stderr and "not marked as demo data" in done.stderr
    assert scalar(url, "SELECT count(*) FROM service_request") == 0
