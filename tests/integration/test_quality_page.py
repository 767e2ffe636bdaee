"""The data-quality page on each database: what it shows is what the source rows say."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from app import create_app
from callbacks.quality import update_quality
from callbacks.router import render_page
from dashboard.errors import BadInput
from data_sources.sql import SqlSources
from tests.conftest import as_leader
from tests.integration.test_quality import BAD, GOOD


@pytest.fixture
def app(db_url, city, make_settings):
    src = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    src.create_schema()
    src.write_reference(city)
    for table in GOOD:
        with src.engine(src.source_of(table)).begin() as conn:
            conn.execute(insert(src.table(src.source_of(table), table)), GOOD[table] + list(BAD[table].values()))
    src.dispose()
    return create_app(make_settings(services_url=db_url, reviews_url=db_url, indicators_url=db_url))


def summary_row(tree, table: str) -> list[str]:
    """The cells of the summary-table row whose bad-rows cell names `table`."""
    if isinstance(tree, list):
        return next((row for item in tree if (row := summary_row(item, table))), [])
    if not isinstance(tree, dict):
        return []
    children = tree.get("props", {}).get("children")
    if tree.get("type") == "Tr" and isinstance(children, list):
        cells = [c["props"] for c in children]
        if any(c.get("data-table") == table for c in cells):
            return [c["children"] for c in cells]
    return summary_row(children, table)


def bar_totals(fig) -> dict[str, int]:
    """Sum of every stacked segment per legend entry."""
    return {trace.name: int(sum(trace.y)) for trace in fig.data}


def test_counts_listing_and_summary_match_the_injected_rows(app):
    with as_leader(app):
        by_reason, by_month, rows = update_quality("all", "all", "?lang=en")
        page = render_page("/quality", "?lang=en")
    # 19 injected bad rows: 6 requests, 7 reviews, 6 indicators; every one listed, none twice
    assert sum(bar_totals(by_reason).values()) == 19 == sum(bar_totals(by_month).values())
    assert len(rows) == 19 and len({(r["table"], r["row_id"], r["reason"]) for r in rows}) == 19
    assert bar_totals(by_reason)["Duplicate id"] == 3 and bar_totals(by_reason)["Unknown unit code"] == 3
    assert "no date" in by_month.layout.xaxis.categoryarray  # the null_time rows have no month
    assert summary_row(page, "service_request") == ["Service requests", "9", "6", "66.667%"]


def test_filters_narrow_charts_and_listing(app):
    with as_leader(app):
        by_reason, _, rows = update_quality("review", "bad_score", "")
    assert bar_totals(by_reason) == {"评分不在1–5": 1}
    assert [r["row_id"] for r in rows] == ["x3"]


@pytest.mark.parametrize(("table", "reason"), [("users", "all"), ("all", "drop table"), (None, None)])
def test_unknown_filter_values_are_refused(app, table, reason):
    with as_leader(app), pytest.raises(BadInput):
        update_quality(table, reason, "")
