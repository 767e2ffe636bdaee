"""Portable SQL functions for SQLite, PostgreSQL and MariaDB, compiled per dialect.

Format strings travel as bound parameters, so no dialect's paramstyle has to escape a '%'.
"""

from __future__ import annotations

from sqlalchemy import String, func
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
