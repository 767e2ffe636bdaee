"""Results read from PostgreSQL through COPY (data_sources.copyread) equal the rows read as tuples, down to whole
refreshed snapshots."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    cast,
    event,
    func,
    literal,
    select,
    type_coerce,
)

from dashboard.refresh import refresh
from dashboard.snapshot import InProcessStore
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
                  Column("at", DateTime), Column("score", Numeric(3, 1)))
    engine = sources.engine("services")
    table.create(engine)
    rows = [{"name": name, "n": None if i % 4 == 3 else i, "x": None if i % 3 == 2 else i * 1.125,
             "at": datetime(2026, 11, 1 + i), "score": 4} for i, name in enumerate(AWKWARD)]
    rows.append({"name": None, "n": 7, "x": 0, "at": datetime(2026, 11, 20), "score": 4})
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    yield sources, table
    sources.dispose()
    drop()


def copies(engine) -> list[str]:
    """The COPY statements sent on an engine from now on (its statement listeners see them)."""
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: seen.append(sql) if sql.startswith("COPY ") else None)
    return seen


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
    seen = copies(engine)  # statement listeners (the refresh benchmark records through them) see the COPY too
    with engine.connect() as conn:
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
        assert copyread.copied_frame(conn, select(t.c.name, t.c.at)) is None
    sqlite = SqlSources({"services": f"sqlite:///{tmp_path / 's.sqlite'}"})
    with sqlite.engine("services").connect() as conn:
        assert copyread.copied_frame(conn, select(literal(1).label("one"))) is None
    sqlite.dispose()


def test_a_one_column_result_keeps_its_null_row(postgres_rows):
    """COPY writes a one-column NULL row as an empty line: a row, not a blank line to skip."""
    sources, t = postgres_rows
    sent = copies(sources.engine("services"))
    names = sources.read("service_request", select(t.c.name).order_by(t.c.name))["name"]
    assert sent and len(names) == len(AWKWARD) + 1 and names.isna().sum() == 1 and (names == "").sum() == 1


def test_text_that_does_not_parse_as_the_declared_type_is_read_as_tuples(postgres_rows, caplog):
    """A mapping may declare a source's NUMERIC(3,1) score Integer: its sum comes as 44.0, which Arrow refuses as
    an integer. The read falls back to tuples, with the numbers right and no value in the log."""
    sources, t = postgres_rows
    stmt = select(func.sum(type_coerce(t.c.score, Integer)).label("score_sum"))
    sent = copies(sources.engine("services"))
    with caplog.at_level(logging.WARNING, logger="data_sources.copyread"):
        frame = sources.read("service_request", stmt)
    assert sent[0].startswith("COPY (") and float(frame["score_sum"].iloc[0]) == 44.0
    assert [r.event for r in caplog.records] == ["copy_read_fallback"] and "44" not in caplog.text


def test_a_database_in_another_encoding_is_read_as_utf8(caplog):
    """COPY asks for UTF-8 whatever the connection's client encoding (a Chinese-locale server may use EUC_CN)."""
    url, drop = _scratch_database(require("postgresql"), '"',
                                  "ENCODING 'EUC_CN' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    sources = SqlSources({"services": url.render_as_string(hide_password=False)})
    table = Table("names", MetaData(), Column("name", String(20)))
    try:
        table.create(sources.engine("services"))
        with sources.engine("services").begin() as conn:
            conn.execute(table.insert(), [{"name": n} for n in ("道里区", "南岗区", "哈尔滨")])
        sent = copies(sources.engine("services"))
        with caplog.at_level(logging.WARNING, logger="data_sources.copyread"):
            read = sources.read("service_request", select(table.c.name).order_by(table.c.name))
        assert sent and sorted(read["name"]) == sorted(["道里区", "南岗区", "哈尔滨"])
        assert not caplog.records  # parsed from the COPY itself, not read again as tuples
    finally:
        sources.dispose()
        drop()


def test_an_empty_result_is_an_empty_frame_with_the_columns(postgres_rows):
    sources, t = postgres_rows
    sent = copies(sources.engine("services"))
    frame = sources.read("service_request", select(t.c.name, t.c.n).where(t.c.n > 1000))
    assert sent and frame.empty and list(frame.columns) == ["name", "n"]


def test_a_statement_failing_in_copy_is_a_source_error_and_the_source_reads_on(postgres_rows):
    sources, t = postgres_rows
    sent = copies(sources.engine("services"))
    failing = select(cast(t.c.name, Integer).label("as_number"))  # '道里区' is no integer
    with pytest.raises(SourceError, match="source query failed: invalid input syntax for type integer"):
        sources.read("service_request", failing)
    assert sent[0].startswith("COPY (")
    assert sources.read("service_request", select(func.count().label("rows")).select_from(t))["rows"].tolist() == [11]


def test_refreshed_snapshots_are_the_same_read_through_copy_or_as_tuples(postgres_demo, city, monkeypatch):
    """Every frame of a full and of an incremental refresh, read through COPY, equals the frame read as tuples
    (types included): the refresh's frames do not depend on the reader."""
    now = datetime(2026, 11, 21, 1, 0)
    urls = {"services": postgres_demo, "reviews": postgres_demo, "indicators": postgres_demo}

    def snapshots(copy: bool) -> list:
        if not copy:
            monkeypatch.setattr(copyread, "copied_frame", lambda conn, statement: None)
        sources, store = SqlSources(urls), InProcessStore()
        sent = copies(sources.engine("services"))
        out = []
        for at, full in ((now, True), (now + timedelta(days=1), False)):
            refresh(sources, store, city, at, full=full)
            out.append(store.current())
        sources.dispose()
        monkeypatch.undo()
        assert bool(sent) == copy
        return out

    for copied, tuples in zip(snapshots(True), snapshots(False), strict=True):
        assert copied.meta["kind"] == tuples.meta["kind"] and copied.frames.keys() == tuples.frames.keys()
        for name in copied.frames:
            assert_frame_equal(copied.frames[name], tuples.frames[name], check_exact=True, obj=name)


def test_a_connection_lost_during_copy_is_a_source_error_and_the_next_read_reconnects(postgres_rows):
    sources, t = postgres_rows
    sent = copies(sources.engine("services"))
    suicide = select(cast(func.pg_terminate_backend(func.pg_backend_pid()), Integer).label("gone"))
    with pytest.raises(SourceError, match=r"source query failed: .*terminat"):
        sources.read("service_request", suicide)
    assert sent[0].startswith("COPY (")
    assert sources.read("service_request", select(func.count().label("rows")).select_from(t))["rows"].tolist() == [11]
