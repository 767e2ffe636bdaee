"""Grouped results read from PostgreSQL through COPY (data_sources.copyread) equal the rows read as tuples."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Numeric, String, Table, cast, event, func, literal, select

from dashboard.sources import SourceError
from data_sources import copyread, quality
from data_sources.sql import SqlSources
from tests.integration.conftest import _scratch_database, require

AWKWARD = ["道里区", "a,b", 'say "hi"', "two\nlines", "back\\slash", "", " lead", "N", "\\N", "NULL"]


@pytest.fixture
def postgres_rows():
    """A scratch PostgreSQL table `t` of awkward text, integers and numbers, some NULL; yields its sources and
    table."""
    url, drop = _scratch_database(require("postgresql"), '"')
    sources = SqlSources({"services": url.render_as_string(hide_password=False)})
    table = Table("t", MetaData(), Column("name", String(40)), Column("n", Integer), Column("x", Numeric(12, 3)),
                  Column("at", DateTime))
    engine = sources.engine("services")
    table.create(engine)
    rows = [{"name": name, "n": None if i % 4 == 3 else i, "x": None if i % 3 == 2 else i * 1.125,
             "at": datetime(2026, 11, 1 + i)} for i, name in enumerate(AWKWARD)]
    rows.append({"name": None, "n": 7, "x": 0, "at": datetime(2026, 11, 20)})
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    yield sources, table
    sources.dispose()
    drop()


def _values(frame: pd.DataFrame) -> list[tuple]:
    """Rows as plain values, every missing value None, numbers as floats: the two readers type columns with
    NULLs differently (objects from tuples, float or str from Arrow), the refresh normalises both."""
    def plain(v):
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return None
        return float(v) if isinstance(v, int | float) or hasattr(v, "as_tuple") else v
    return [tuple(plain(v) for v in row) for row in frame.astype(object).itertuples(index=False)]


def test_a_grouped_statement_reads_the_same_through_copy_as_through_tuples(postgres_rows):
    sources, t = postgres_rows
    since = datetime(2026, 11, 2)  # a datetime parameter and an expanding IN list, bound client-side
    stmt = (
        select(t.c.name, func.count().label("rows"), func.sum(t.c.n).label("n_sum"), func.max(t.c.x).label("x_max"),
               literal("part").label("part"))
        .where(t.c.at >= since, t.c.name.not_in(["N", "no such"]) | t.c.name.is_(None))
        .group_by(t.c.name)
        .order_by(t.c.name)
    )
    engine = sources.engine("services")
    seen = []  # statement listeners (the refresh benchmark records through them) see the COPY too
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: seen.append(sql))
    with engine.connect() as conn:
        assert copyread.copyable(conn, stmt)
        copied = copyread.copied_frame(conn, stmt)
        tuples = quality.result_frame(conn.execute(stmt))
    assert seen[0].startswith("COPY (SELECT") and "'2026-11-02" in seen[0] and "'no such'" in seen[0]
    assert copied is not None and list(copied.columns) == ["name", "rows", "n_sum", "x_max", "part"]
    assert _values(copied) == _values(tuples)
    names = list(copied["name"])
    assert len(copied) == len(AWKWARD) - 2 + 1  # the first day and "N" left out, the NULL name in
    assert {"", "two\nlines", 'say "hi"', "\\N", "NULL", "a,b", " lead"} <= set(names[:-1])  # text kept as is
    assert pd.isna(names[-1]) and "N" not in names  # the NULL name: missing, not the text "NULL" or ""
    assert copied["rows"].dtype == "int64"


def test_statements_with_dates_or_on_other_engines_are_read_as_tuples(postgres_rows, tmp_path):
    sources, t = postgres_rows
    with sources.engine("services").connect() as conn:
        assert not copyread.copyable(conn, select(t.c.name, t.c.at))
    sqlite = SqlSources({"services": f"sqlite:///{tmp_path / 's.sqlite'}"})
    with sqlite.engine("services").connect() as conn:
        assert not copyread.copyable(conn, select(literal(1).label("one")))
    sqlite.dispose()


def test_an_empty_result_is_an_empty_frame_with_the_columns(postgres_rows):
    sources, t = postgres_rows
    frame = sources.read("service_request", select(t.c.name, t.c.n).where(t.c.n > 1000))
    assert frame.empty and list(frame.columns) == ["name", "n"]


def test_a_statement_failing_in_copy_is_a_source_error_and_the_source_reads_on(postgres_rows):
    sources, t = postgres_rows
    failing = select(cast(t.c.name, Integer).label("as_number"))  # '道里区' is no integer
    with pytest.raises(SourceError, match="source query failed: invalid input syntax for type integer"):
        sources.read("service_request", failing)
    assert sources.read("service_request", select(func.count().label("rows")).select_from(t))["rows"].tolist() == [11]
