"""The embedded default: SQLite source files in the data folder, prepared on first start."""

from __future__ import annotations

from dashboard.regions import City
from dashboard.settings import Settings
from dashboard.sources import SOURCES
from data_sources.mapping import load_mapping
from data_sources.sql import SqlSources


def sources_for(settings: Settings) -> SqlSources:
    """The sources named by the settings (SQLite files in the data folder where a URL is not set)."""
    if settings.embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    mapping = load_mapping(settings.mapping_file) if settings.mapping_file is not None else None
    return SqlSources({s: settings.source_url(s) for s in SOURCES}, mapping=mapping, timezone=settings.timezone)


def prepare_embedded(settings: Settings, city: City) -> SqlSources:
    """Create the SQLite sources and their reference rows on first start; return the sources."""
    sources = sources_for(settings)
    sources.create_schema()
    sources.write_reference(city)
    return sources
