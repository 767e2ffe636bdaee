"""The live demo feed: rows arrive as the clock moves, the wall's today tiles equal them, a stopped feed fills the
gap, nothing is written ahead of the clock, and only databases marked as demo data are ever written to."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from dashboard.answers import wall as wall_answers
from data_sources.demo import run_demo
from data_sources.feed import Feed, FeedRefused, fed_until, is_demo
from data_sources.sql import SqlSources
from tests.conftest import fixed_env, leader_view

ROOT = Path(__file__).resolve().parents[2]
MONDAY_0900 = datetime(2026, 11, 23, 9, 0)


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
    assert feed.step(stopped_for) == {"requests": 0, "completed": 0, "reviews": 0, "rectified": 0}  # idempotent


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
