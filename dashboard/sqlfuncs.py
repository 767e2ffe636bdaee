"""Portable SQL functions for SQLite, PostgreSQL and MariaDB, compiled per dialect (SQLAlchemy only, no dash).

Format strings travel as bound parameters, so no dialect's paramstyle has to escape a '%'.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, String, TypeDecorator, case, extract, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import GenericFunction


class year_month(GenericFunction):
    """'YYYY-MM' of a date or timestamp, in the stored (local) time."""

    type = String()
    inherit_cache = True


@compiles(year_month, "sqlite")
def _ym_sqlite(element, compiler, **kw):
    (value,) = element.clauses
    return compiler.process(func.strftime("%Y-%m", value), **kw)


@compiles(year_month, "postgresql")
def _ym_postgresql(element, compiler, **kw):
    (value,) = element.clauses
    return compiler.process(func.to_char(value, "YYYY-MM"), **kw)


@compiles(year_month, "mysql")
@compiles(year_month, "mariadb")
def _ym_mysql(element, compiler, **kw):
    (value,) = element.clauses
    return compiler.process(func.date_format(value, "%Y-%m"), **kw)


class hours_between(GenericFunction):
    """Hours from the second timestamp to the first, as a float."""

    type = Float()
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _hours_sqlite(element, compiler, **kw):
    end, start = element.clauses
    return compiler.process((func.julianday(end) - func.julianday(start)) * 24.0, **kw)


@compiles(hours_between, "postgresql")
def _hours_postgresql(element, compiler, **kw):
    end, start = element.clauses
    return compiler.process(extract("epoch", end - start) / 3600.0, **kw)


@compiles(hours_between, "mysql")
@compiles(hours_between, "mariadb")
def _hours_mysql(element, compiler, **kw):
    end, start = element.clauses
    return compiler.process(func.timestampdiff(literal_column("SECOND"), start, end) / 3600.0, **kw)


class KeyType(TypeDecorator):
    """The type of a day or month grouping key: text to SQLAlchemy (no result processing); the refresh's
    statements hand the grouped keys over as ISO text (iso_key)."""

    impl = String
    cache_ok = True


class day_key(GenericFunction):
    """The day of a timestamp as the engine computes it most cheaply, for grouping: text 'YYYY-MM-DD' on SQLite,
    a DATE elsewhere (a CAST, not to_char/date_format on every row). iso_key turns the grouped keys into text."""

    type = KeyType()
    inherit_cache = True


@compiles(day_key, "sqlite")
def _day_key_sqlite(element, compiler, **kw):
    (value,) = element.clauses
    return compiler.process(func.date(value), **kw)


@compiles(day_key, "postgresql")
@compiles(day_key, "mysql")
@compiles(day_key, "mariadb")
def _day_key_cast(element, compiler, **kw):
    (value,) = element.clauses
    return f"CAST({compiler.process(value, **kw)} AS DATE)"


class month_key(GenericFunction):
    """The month of a timestamp for grouping: 'YYYY-MM' text on SQLite and MariaDB, the month's first day as a
    DATE on PostgreSQL (date_trunc, not to_char); iso_key turns it into 'YYYY-MM'."""

    type = KeyType()
    inherit_cache = True


@compiles(month_key, "sqlite")
@compiles(month_key, "mysql")
@compiles(month_key, "mariadb")
def _month_key_text(element, compiler, **kw):
    (value,) = element.clauses
    return compiler.process(year_month(value), **kw)


@compiles(month_key, "postgresql")
def _month_key_postgresql(element, compiler, **kw):
    (value,) = element.clauses
    return f"CAST(date_trunc('month', {compiler.process(value, **kw)}) AS DATE)"


class hour_bucket(ColumnElement):
    """Index of the processing-time bucket of an hour count: the number of edges after the first that are at
    most it (so below the second edge is 0, at or past the last edge is the last index). One width_bucket() on
    PostgreSQL, which evaluates the hours once; a CASE over the edges elsewhere, which evaluates them once per
    edge. `hour_bucket(hours, edges)`, edges ascending numbers."""

    type = Integer()
    inherit_cache = False

    def __init__(self, hours, edges):
        self.hours = hours
        self.edges = tuple(edges)

    @property
    def _from_objects(self):
        return self.hours._from_objects


@compiles(hour_bucket)
def _hour_bucket_case(element, compiler, **kw):
    hours, edges = element.hours, element.edges
    return compiler.process(case(*[(hours < edge, i - 1) for i, edge in enumerate(edges) if i],
                                 else_=len(edges) - 1), **kw)


@compiles(hour_bucket, "postgresql")
def _hour_bucket_postgresql(element, compiler, **kw):
    array = ", ".join(repr(float(edge)) for edge in element.edges[1:])
    return f"width_bucket({compiler.process(element.hours, **kw)}, ARRAY[{array}]::double precision[])"


class iso_key(ColumnElement):
    """A grouped day or month key (day_key, month_key) as ISO text, 'YYYY-MM-DD' (width 10) or 'YYYY-MM'
    (width 7): formatted by the engine on the grouped rows, so that the driver hands over short strings, not a
    date object per row for Python to format. `iso_key(key, width)`."""

    type = String()
    inherit_cache = False

    def __init__(self, key, width: int):
        self.key = key
        self.width = width

    @property
    def _from_objects(self):
        return self.key._from_objects


@compiles(iso_key)
def _iso_key_text(element, compiler, **kw):  # SQLite: both keys are text already
    return compiler.process(element.key, **kw)


@compiles(iso_key, "postgresql")
def _iso_key_postgresql(element, compiler, **kw):
    pattern = "YYYY-MM-DD" if element.width == 10 else "YYYY-MM"
    return compiler.process(func.to_char(element.key, pattern), **kw)


@compiles(iso_key, "mysql")
@compiles(iso_key, "mariadb")
def _iso_key_mysql(element, compiler, **kw):  # the month key is 'YYYY-MM' text already
    if element.width != 10:
        return compiler.process(element.key, **kw)
    return compiler.process(func.date_format(element.key, "%Y-%m-%d"), **kw)


def id_in(column, ids, dialect: str):
    """`column IN (ids)`, ids a one-column SELECT: the rows of some id groups, read through the id's index.

    On PostgreSQL `column = ANY(ARRAY(ids))`: the ids are gathered once (an InitPlan) and looked up in the
    index. A plain IN is planned from the ids' estimated count, and PostgreSQL, which overestimates the rows of a
    time range ORed over several columns, joined a parallel scan of the whole table instead (10M requests, the
    ids of three days: 1.55 s against 0.5 s; docs/benchmarks.md)."""
    return _any_array(column, ids) if dialect == "postgresql" else column.in_(ids)


class _any_array(ColumnElement):
    """PostgreSQL's `column = ANY(ARRAY(ids))` (id_in)."""

    type = Boolean()
    inherit_cache = False

    def __init__(self, column, ids):
        self.column = column
        self.ids = ids

    @property
    def _from_objects(self):
        return self.column._from_objects


@compiles(_any_array, "postgresql")
def _any_array_postgresql(element, compiler, **kw):
    ids = compiler.process(element.ids.scalar_subquery().self_group(), **kw)
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY{ids})"
