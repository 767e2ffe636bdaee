"""The interface the core reads sources through; data_sources/ implements it."""

from __future__ import annotations

from abc import ABC, abstractmethod

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
    def ping(self) -> dict[str, str | None]:
        """Per source: None when it answers, else a short reason."""
