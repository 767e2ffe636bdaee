"""Sources read with SQLAlchemy Core from any database SQLAlchemy speaks to."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from dashboard.regions import City
from dashboard.sources import SOURCES, SourceError, Sources
from data_sources import copyread, quality
from data_sources.mapping import Mapping, build_canonical, check_mapping, optional_review_columns
from data_sources.schema import METADATA


def _describe(exc: SQLAlchemyError) -> str:
    """A one-line reason from a driver error, without the SQL statement."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0][:200]


def connect_args(url, work_mem: str = "64MB") -> dict:
    """The DBAPI connection arguments of a source (docs/benchmarks.md). On PostgreSQL: no JIT, which compiles each
    large aggregate statement anew (about 1 s per refresh statement at 10M rows, more than it saves); `work_mem`
    for the refresh's groupings (with the default 4MB a 10M-row refresh sorts each grain on disk: 68 s instead
    of 30 s for the request statement); and a connect timeout, so that a source that has gone away answers
    "unreachable" within seconds, not after the OS's TCP timeout."""
    if make_url(url).get_backend_name() != "postgresql":
        return {}
    options = "-c jit=off" + (f" -c work_mem={work_mem}" if work_mem else "")
    return {"options": options, "connect_timeout": 5}


class SqlSources(Sources):
    """Three sources, each at its own SQLAlchemy URL (they may be the same database)."""

    def __init__(self, urls: dict[str, str], mapping: Mapping | None = None, timezone: str = "Asia/Shanghai",
                 work_mem: str = "64MB"):
        self.urls = dict(urls)
        self.work_mem = work_mem
        self.mapping = mapping
        self.timezone = timezone
        self._engines: dict[str, Engine] = {}
        self._meta = {name: factory() for name, factory in METADATA.items()}
        self._mapped: dict[str, Any] = {}
        self._optional: dict[str, bool] | None = None
        # a refresh reads from several threads at once (dashboard.refresh.aggregate): engines, mapped tables and
        # the optional columns are made and replaced under this lock, so that none is made twice
        self._lock = threading.RLock()

    def engine(self, source: str) -> Engine:
        """The engine of one source, created on first use."""
        with self._lock:
            if source not in self._engines:
                url = make_url(self.urls[source])
                args = connect_args(url, self.work_mem)
                self._engines[source] = create_engine(url, pool_pre_ping=True, connect_args=args)
            return self._engines[source]

    def table(self, source: str, name: str):
        """A canonical table of a source, as the demo generator and the embedded default write it."""
        return self._meta[source].tables[name]

    def canonical(self, name: str):
        """A selectable with the canonical columns of a fact or reference table, read from its source.

        Every query of One Screen reads through this, so a mapping onto a real database's own names and
        codes (data_sources/mapping.py) applies everywhere at once.
        """
        source = next(s for s, md in self._meta.items() if name in md.tables)
        physical = self._meta[source].tables[name]
        with self._lock:
            absent = [c for c, there in self.optional_columns().items() if not there] if name == "review" else []
            if (self.mapping is None or not self.mapping.covers(name)) and not absent:
                return physical
            if name not in self._mapped:
                self._mapped[name] = build_canonical(self.mapping or Mapping(), self.engine(source), physical,
                                                     self.timezone, absent)
            return self._mapped[name]

    def optional_columns(self, ask: bool = False) -> dict[str, bool]:
        """Which optional review columns the review source provides: asked once and kept, or asked again with
        `ask` (each refresh does, so a column added to the real table is seen without a restart)."""
        with self._lock:
            if self._optional is None or ask:
                try:
                    found = optional_review_columns(self.mapping, self.engine("reviews"))
                except SQLAlchemyError as exc:
                    raise SourceError(f"reviews source: {_describe(exc)}") from exc
                if found != self._optional:
                    self._mapped.pop("review", None)  # rebuilt with the columns the source has now
                self._optional = found
            return self._optional

    def review_columns(self) -> pd.DataFrame:
        """The optional review columns and whether this source provides each, asked now (a snapshot frame)."""
        found = self.optional_columns(ask=True)
        return pd.DataFrame({"column": list(found), "available": [bool(v) for v in found.values()]})

    def check(self) -> list[str]:
        """Problems of the mapping against the real databases (none without a mapping); see check_mapping."""
        if self.mapping is None:
            return []
        return check_mapping(self.mapping, {s: self.engine(s) for s in SOURCES}, self.timezone)

    def source_of(self, name: str) -> str:
        """The source (services, reviews, indicators) that holds a canonical table."""
        return next(s for s, md in self._meta.items() if name in md.tables)

    def create_schema(self) -> None:
        """Create the canonical tables that do not exist yet."""
        for source, md in self._meta.items():
            md.create_all(self.engine(source))

    def write_reference(self, city: City) -> int:
        """Insert the city's units into an empty district table; return rows written."""
        table = self.table("services", "district")
        with self.engine("services").begin() as conn:
            if conn.execute(select(table.c.code).limit(1)).first() is not None:
                return 0
            conn.execute(insert(table), [u.__dict__ for u in city.units])
        return len(city.units)

    def read_units(self) -> pd.DataFrame:
        """The district reference table, ordered by code."""
        return self.read_reference("district").astype({"population": "int64"})

    def read_reference(self, name: str) -> pd.DataFrame:
        """A reference table of the services source (district, department, service_item), ordered by code."""
        table = self.canonical(name)
        try:
            with self.engine("services").connect() as conn:
                return quality.result_frame(conn.execute(select(table).order_by(table.c.code)))
        except SQLAlchemyError as exc:
            raise SourceError(f"services source: {_describe(exc)}") from exc

    def ping(self) -> dict[str, str | None]:
        """Run SELECT 1 on each source."""
        result: dict[str, str | None] = {}
        for source in SOURCES:
            try:
                with self.engine(source).connect() as conn:
                    conn.execute(text("SELECT 1"))
                result[source] = None
            except SQLAlchemyError as exc:
                result[source] = _describe(exc)
        return result

    def dispose(self) -> None:
        """Close every pooled connection."""
        for engine in self._engines.values():
            engine.dispose()

    def bad_row_counts(self, codes, now: datetime, since: dict | None = None, tables=None) -> pd.DataFrame:
        """Bad rows per source, table, reason and month, counted by the source databases."""
        return self._guarded(quality.bad_row_counts, self, codes, now, since, tuple(tables or quality.REASONS))

    def bad_row_sample(self, codes, now: datetime, per_reason: int, since: dict | None = None,
                       tables=None) -> pd.DataFrame:
        """The newest bad rows, at most `per_reason` per table and reason."""

        def read() -> pd.DataFrame:
            pages = [quality.bad_row_sample(self, t, codes, now, per_reason, since) for t in tables or quality.REASONS]
            return pd.concat(pages, ignore_index=True)

        return self._guarded(read)

    def bad_rows(self, table: str, codes, now: datetime, ids, since: dict | None = None) -> pd.DataFrame:
        """The bad rows of some id groups (see data_sources.quality.bad_rows_of)."""
        return self._guarded(quality.bad_rows_of, self, table, codes, now, ids, since)

    def clean(self, table: str, codes, now: datetime, restrict=None):
        """Good rows of a fact table as a selectable (see data_sources.quality.clean)."""
        return quality.clean(self, table, codes, now, restrict)

    def classified(self, table: str, codes, now: datetime, restrict=None):
        """Every row of a fact table with its `reason` (see data_sources.quality.classified)."""
        return quality.classified(self, table, codes, now, restrict)

    def read(self, table: str, statement) -> pd.DataFrame:
        """Run a statement in the source that holds a table."""

        def run() -> pd.DataFrame:
            with self.engine(self.source_of(table)).connect() as conn:
                copied = copyread.copied_frame(conn, statement)
                return quality.result_frame(conn.execute(statement)) if copied is None else copied

        return self._guarded(run)

    @staticmethod
    def _guarded(fn, *args):
        """Run a read; a database error becomes a SourceError naming what failed."""
        try:
            return fn(*args)
        except SQLAlchemyError as exc:
            raise SourceError(f"source query failed: {_describe(exc)}") from exc
