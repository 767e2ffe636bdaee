"""Portable SQL functions for SQLite, PostgreSQL and MariaDB, compiled per dialect (SQLAlchemy only, no dash).

Format strings travel as bound parameters, so no dialect's paramstyle has to escape a '%'.
"""

from __future__ import annotations

from sqlalchemy import Float, String, extract, func, literal_column
from sqlalchemy.ext.compiler import compiles
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


class day_text(GenericFunction):
    """'YYYY-MM-DD' of a timestamp, in the stored (local) time."""

    type = String()
    inherit_cache = True


@compiles(day_text, "sqlite")
def _day_sqlite(element, compiler, **kw):
    (value,) = element.clauses
    return compiler.process(func.strftime("%Y-%m-%d", value), **kw)


@compiles(day_text, "postgresql")
def _day_postgresql(element, compiler, **kw):
    (value,) = element.clauses
    return compiler.process(func.to_char(value, "YYYY-MM-DD"), **kw)


@compiles(day_text, "mysql")
@compiles(day_text, "mariadb")
def _day_mysql(element, compiler, **kw):
    (value,) = element.clauses
    return compiler.process(func.date_format(value, "%Y-%m-%d"), **kw)


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
