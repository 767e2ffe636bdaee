"""A review source without the optional columns of DATA.md: every figure that needs one is "not available from
this source", never 0, and everything else is as before."""

from __future__ import annotations

import math
from datetime import date, datetime

from sqlalchemy import text

from dashboard.aggregation import OPTIONAL_REVIEW_COLUMNS
from dashboard.answers import overview as overview_answers
from dashboard.metrics import CITY, NEEDS, metric_table, unavailable
from dashboard.refresh import refresh
from dashboard.snapshot import InProcessStore
from dashboard.view import AnswerCache, Scope, View
from dashboard.workdays import Deadlines, Rule, WorkCalendar, calendar_for, deadlines
from data_sources.demo import run_demo
from data_sources.sql import SqlSources

NOW = datetime(2026, 11, 21, 9, 30)
RULES = deadlines(15, 1)


def test_a_source_without_the_optional_columns_says_not_available_never_zero(db_url, city):
    """On SQLite, PostgreSQL and MariaDB: the absent columns read as typed NULLs in every statement."""
    urls = dict.fromkeys(("services", "reviews", "indicators"), db_url)
    sources = SqlSources(urls)
    sources.create_schema()
    run_demo(sources, city, scale=3_000, seed=5, end=date(2026, 11, 20), bad_share=0.01)
    full_store = InProcessStore()
    refresh(sources, full_store, city, NOW, deadlines=RULES)
    with sources.engine("reviews").begin() as conn:  # an older review system: none of the optional columns
        for column in OPTIONAL_REVIEW_COLUMNS:
            conn.execute(text(f"ALTER TABLE review DROP COLUMN {column}"))
    sources.dispose()

    older = SqlSources(urls)
    assert older.optional_columns() == dict.fromkeys(OPTIONAL_REVIEW_COLUMNS, False)
    store = InProcessStore()
    assert refresh(older, store, city, NOW, deadlines=RULES) is not None
    older.dispose()
    frames = store.current().frames
    assert unavailable(frames) == frozenset(NEEDS)
    table = metric_table(frames, "year", NOW, RULES.rectify, RULES.visit).xs("2025", level="period")
    for metric in NEEDS:
        assert table[metric].isna().all(), metric  # not 0
    # Without appeal_status nothing is removed: the reviews are the full source's plus its upheld appeals.
    with_columns = metric_table(full_store.current().frames, "year", NOW, RULES.rectify, RULES.visit)
    full = with_columns.loc[(CITY, "2025")]
    assert table.loc[CITY, "reviews"] == full["reviews"] + full["appeals_upheld"]
    assert not math.isnan(table.loc[CITY, "rectification_on_time_rate"])  # needs no optional column

    view = View(store.current(), city, Scope(frozenset(city.codes)), AnswerCache(64), RULES, {}, "Asia/Shanghai")
    p = overview_answers.parse(view, "return_visit_rate", "2025", city.codes[0])
    answer = overview_answers.city_value(view, p)
    assert answer.provenance.notes["not_available_from_source"] is True
    assert math.isnan(answer.rows["value"].iloc[0])
    p = overview_answers.parse(view, "bad_rate", "2025", city.codes[0])
    assert "not_available_from_source" not in overview_answers.city_value(view, p).provenance.notes


def test_a_column_added_to_the_source_is_seen_by_the_next_refresh(tmp_path, city):
    urls = {s: f"sqlite:///{tmp_path / (s + '.sqlite')}" for s in ("services", "reviews", "indicators")}
    sources = SqlSources(urls)
    sources.create_schema()
    run_demo(sources, city, scale=2_000, seed=6, end=date(2026, 11, 20), bad_share=0.0)
    with sources.engine("reviews").begin() as conn:
        conn.execute(text("ALTER TABLE review DROP COLUMN is_default"))
    store = InProcessStore()
    refresh(sources, store, city, NOW, deadlines=RULES)
    assert "active_rating_rate" in unavailable(store.current().frames)
    with sources.engine("reviews").begin() as conn:  # the review system is upgraded while One Screen runs
        conn.execute(text("ALTER TABLE review ADD COLUMN is_default BOOLEAN"))
        conn.execute(text("UPDATE review SET is_default = 1 WHERE channel = 'window' AND score = 5"))
    refresh(sources, store, city, NOW, deadlines=RULES, full=True)
    sources.dispose()
    frames = store.current().frames
    assert "active_rating_rate" not in unavailable(frames)
    rate = metric_table(frames, "year", NOW, RULES.rectify, RULES.visit).loc[(CITY, "2025"), "active_rating_rate"]
    assert 0 < rate < 1


def test_deadline_figures_of_days_with_a_provisional_deadline_say_so(tmp_path, city):
    urls = {s: f"sqlite:///{tmp_path / (s + '.sqlite')}" for s in ("services", "reviews", "indicators")}
    sources = SqlSources(urls)
    sources.create_schema()
    run_demo(sources, city, scale=2_000, seed=8, end=date(2026, 11, 20), bad_share=0.0)
    official = calendar_for(None)
    known_2025 = WorkCalendar(official.holidays, official.workdays, frozenset({2024, 2025}))
    rules = Deadlines(Rule(15, "working", known_2025), Rule(1, "working", known_2025))
    store = InProcessStore()
    refresh(sources, store, city, NOW, deadlines=rules)
    sources.dispose()
    view = View(store.current(), city, Scope(frozenset(city.codes)), AnswerCache(64), rules, {}, "Asia/Shanghai")
    for metric in ("rectification_on_time_rate", "return_visit_rate"):
        later = overview_answers.city_value(view, overview_answers.parse(view, metric, "2026-06", city.codes[0]))
        start = later.provenance.notes["deadlines_provisional_from"]
        assert "2025-12-01" <= start <= "2025-12-31"
        earlier = overview_answers.city_value(view, overview_answers.parse(view, metric, "2025-06", city.codes[0]))
        assert "deadlines_provisional_from" not in earlier.provenance.notes
    p = overview_answers.parse(view, "bad_rate", "2026-06", city.codes[0])  # no deadline in a bad rate
    assert "deadlines_provisional_from" not in overview_answers.city_value(view, p).provenance.notes
