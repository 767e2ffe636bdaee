"""The interface the core reads sources through; data_sources/ implements it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

import pandas as pd

SOURCES = ("services", "reviews", "indicators")


class SourceError(Exception):
    """A source could not be read; the message names the source and what went wrong."""


class Sources(ABC):
    """The three source databases of One Screen, read through aggregate queries only."""

    @abstractmethod
    def read_units(self) -> pd.DataFrame:
        """The reference table of units: code, name_zh, name_en, kind, group, population."""

    @abstractmethod
    def read_reference(self, name: str) -> pd.DataFrame:
        """A small reference table of the services source by its canonical name: `department` (code, name_zh,
        name_en) or `service_item` (code, name_zh, name_en, department_code, promised_days), ordered by code."""

    @abstractmethod
    def ping(self) -> dict[str, str | None]:
        """Per source: None when it answers, else a short reason."""

    @abstractmethod
    def bad_row_counts(self, codes, now: datetime, since: dict | None = None, tables=None) -> pd.DataFrame:
        """Bad rows per source, table, reason and month ('' for no usable date), counted in the source;
        with `since` (table -> first datetime) only rows dated from then on, or undated; with `tables`, only
        those fact tables."""

    @abstractmethod
    def bad_row_sample(self, codes, now: datetime, per_reason: int, since: dict | None = None,
                       tables=None) -> pd.DataFrame:
        """The newest bad rows, at most `per_reason` for each table and reason (the bounded listing)."""

    @abstractmethod
    def bad_rows(self, table: str, codes, now: datetime, ids, since: dict | None = None) -> pd.DataFrame:
        """The bad rows of the id groups `ids` of a fact table, dated from `since[table]` on or undated, in the
        listing shape of bad_row_sample."""

    @abstractmethod
    def classified(self, table: str, codes, now: datetime, restrict=None):
        """A SQLAlchemy selectable of every row of a fact table with canonical columns and `reason` (NULL for a
        good row, else the bad-row rule it breaks), optionally only the id groups with a row meeting
        `restrict(columns)`."""

    @abstractmethod
    def source_of(self, table: str) -> str:
        """The source (services, reviews, indicators) that holds a canonical table."""

    @abstractmethod
    def clean(self, table: str, codes, now: datetime, restrict=None):
        """A SQLAlchemy selectable of a fact table's good rows with canonical columns (optionally only the
        id groups that have a row meeting `restrict(columns)`)."""

    @abstractmethod
    def read(self, table: str, statement) -> pd.DataFrame:
        """Run a statement in the source that holds a table; a failure raises SourceError."""

    @abstractmethod
    def review_columns(self) -> pd.DataFrame:
        """The optional review columns of DATA.md (`column`) and whether this source provides each
        (`available`); a failure raises SourceError."""
