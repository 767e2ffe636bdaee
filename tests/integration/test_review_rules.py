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
from dashboard.workdays import deadlines
from data_sources.demo import run_demo
from data_sources.sql import SqlSources

NOW = datetime(2026, 11, 21, 9, 30)
RULES = deadlines(15, 1)


def test_a_source_without_the_optional_columns_says_not_available_never_zero(tmp_path, city):
    urls = {s: f"sqlite:///{tmp_path / (s + '.sqlite')}" for s in ("services", "reviews", "indicators")}
    sources = SqlSources(urls)
    sources.create_schema()
    run_demo(sources, city, scale=3_000, seed=5, end=date(2026, 11, 20), bad_share=0.01)
    full_store = InProcessStore()
    refresh(sources, full_store, city, NOW, deadlines=RULES)
    sources.dispose()
    with sources.engine("reviews").begin() as conn:  # an older review system: none of the optional columns
        conn.execute(text("DROP INDEX IF EXISTS ix_review_created_at"))
        for column in OPTIONAL_REVIEW_COLUMNS:
            conn.execute(text(f"ALTER TABLE review DROP COLUMN {column}"))
        conn.execute(text("CREATE INDEX ix_review_created_at ON review (created_at)"))

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
