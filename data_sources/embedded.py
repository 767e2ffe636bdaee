"""The embedded default: SQLite source files in the data folder, prepared on first start."""

from __future__ import annotations

import fcntl
import sys
from datetime import timedelta

from sqlalchemy import select

from dashboard.regions import City
from dashboard.settings import Settings
from dashboard.sources import SOURCES
from data_sources.demo import run_demo
from data_sources.mapping import load_mapping
from data_sources.sql import SqlSources


def sources_for(settings: Settings) -> SqlSources:
    """The sources named by the settings (SQLite files in the data folder where a URL is not set)."""
    if settings.embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    mapping = load_mapping(settings.mapping_file) if settings.mapping_file is not None else None
    return SqlSources({s: settings.source_url(s) for s in SOURCES}, mapping=mapping, timezone=settings.timezone,
                      work_mem=settings.source_work_mem)


def has_demo_data(sources: SqlSources) -> bool:
    """True when the first and the last fact table the demo writes both have rows (a finished generation)."""
    for source, name in (("services", "service_request"), ("indicators", "district_indicator")):
        table = sources.table(source, name)
        with sources.engine(source).connect() as conn:
            if conn.execute(select(1).select_from(table).limit(1)).first() is None:
                return False
    return True


def print_progress(label: str, done: int, total: int) -> None:
    """One line per table on stderr: updated in place on a terminal, printed once when done otherwise."""
    finished = done >= total
    if finished or sys.stderr.isatty():
        print(f"  {label:<20} {done:>12,} / {total:,}", end="\n" if finished else "\r", file=sys.stderr, flush=True)


def prepare_embedded(settings: Settings, city: City) -> SqlSources:
    """Create the SQLite sources on first start, with the city's units and synthetic demo data; return them. A
    file lock in the data folder makes a second process that starts meanwhile (`make serve`'s refresher beside
    gunicorn's master) wait, then find the data there: the demo is generated once."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "prepare.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _prepare(settings, city)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _prepare(settings: Settings, city: City) -> SqlSources:
    sources = sources_for(settings)
    sources.create_schema()
    sources.write_reference(city)
    if not has_demo_data(sources):
        # Up to yesterday: rows later today would lie ahead of the clock and count as future_time bad rows.
        end = settings.clock().today() - timedelta(days=1)
        print(
            f"One Screen, first start: generating SYNTHETIC demo data ({settings.demo_scale:,} requests up to {end},"
            f" seed {settings.demo_seed}) into {settings.data_dir}",
            file=sys.stderr,
        )
        run_demo(
            sources,
            city,
            scale=settings.demo_scale,
            seed=settings.demo_seed,
            end=end,
            bad_share=settings.demo_bad_share,
            progress=print_progress,
        )
    return sources
