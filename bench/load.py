"""Demo generation and bulk loading into SQLite and PostgreSQL, against a bare COPY measured in the same run.

Goal (demo-data issue): 10M requests and about 3M reviews into PostgreSQL in under 3 minutes, end to end.
PostgreSQL comes from ONESCREEN_BENCH_POSTGRES_URL or ONESCREEN_TEST_POSTGRES_URL; a scratch database is
created on that server and dropped afterwards. `python -m bench load --scale 10000000 --engines postgresql`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd
from psycopg.copy import LibpqWriter
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from dashboard.regions import load_city
from data_sources.bulk import arrow_batch, clear_table, csv_buffer, load_frames, quoted
from data_sources.demo import demo_batches, run_demo
from data_sources.sql import SqlSources

END = date(2026, 11, 22)  # a fixed end, so that every run generates the same rows
BIG_TABLES = ("service_request", "review")


@contextmanager
def scratch_sqlite() -> Iterator[str]:
    """The URL of a SQLite file in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite'}"


@contextmanager
def scratch_postgresql(server: str) -> Iterator[str]:
    """A uniquely named database on a PostgreSQL server, dropped afterwards; yields its URL."""
    name = f"onescreen_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def timed(action: Callable[[], object]) -> tuple[float, object]:
    """Seconds an action takes, and its result."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def generate(scale: int, seed: int, bad_share: float) -> dict[str, list[pd.DataFrame]]:
    """Every demo frame in memory, by table."""
    frames: dict[str, list[pd.DataFrame]] = {}
    for batch in demo_batches(load_city("harbin"), scale=scale, seed=seed, end=END, bad_share=bad_share):
        frames.setdefault(batch.table, []).append(batch.frame)
    return frames


def sources_at(url: str) -> SqlSources:
    """All three sources in one database."""
    return SqlSources({"services": url, "reviews": url, "indicators": url})


def load_generated(url: str, frames: dict[str, list[pd.DataFrame]]) -> dict[str, float]:
    """Seconds to load the big tables' pre-generated frames with load_frames (indexes rebuilt included)."""
    sources = sources_at(url)
    sources.create_schema()
    seconds = {}
    for name in BIG_TABLES:
        source = sources.source_of(name)
        engine, table = sources.engine(source), sources.table(source, name)
        clear_table(engine, table)
        seconds[name], _ = timed(lambda e=engine, t=table, n=name: load_frames(e, t, frames[n]))
    sources.dispose()
    return seconds


def bare_copy(url: str, frames: dict[str, list[pd.DataFrame]]) -> dict[str, float]:
    """Seconds PostgreSQL takes to COPY the big tables from in-memory CSV buffers into index-free tables."""
    sources = sources_at(url)
    seconds = {}
    for name in BIG_TABLES:
        source = sources.source_of(name)
        engine, table = sources.engine(source), sources.table(source, name)
        clear_table(engine, table)
        with engine.begin() as conn:
            for index in table.indexes:
                index.drop(conn, checkfirst=True)
        buffers = [csv_buffer(arrow_batch(frame, table)) for frame in frames[name]]
        table_name, columns = quoted(engine, table)
        raw = engine.raw_connection()
        start = time.perf_counter()
        cursor = raw.driver_connection.cursor()
        with cursor.copy(f"COPY {table_name} ({columns}) FROM STDIN (FORMAT csv)", writer=LibpqWriter(cursor)) as copy:
            for buffer in buffers:
                copy.write(memoryview(buffer))
        raw.commit()
        seconds[name] = time.perf_counter() - start
        raw.close()
    sources.dispose()
    return seconds


def end_to_end(url: str, scale: int, seed: int, bad_share: float) -> tuple[float, dict[str, int]]:
    """Seconds of run_demo (generation and loading interleaved, as `python -m dashboard demo` runs it)."""
    sources = sources_at(url)
    seconds, result = timed(
        lambda: run_demo(sources, load_city("harbin"), scale=scale, seed=seed, end=END, bad_share=bad_share)
    )
    sources.dispose()
    return seconds, result.rows


def postgres_server() -> str | None:
    """The PostgreSQL server to benchmark against, if any."""
    return os.environ.get("ONESCREEN_BENCH_POSTGRES_URL") or os.environ.get("ONESCREEN_TEST_POSTGRES_URL") or None


def line(label: str, seconds: float, rows: int | None = None, note: str = "") -> None:
    """One row of the report."""
    rate = f"{rows / seconds:>14,.0f}" if rows else f"{'':>14}"
    print(f"{label:<52}{seconds:>10.1f}{rate}  {note}")


def main(argv: list[str] | None = None) -> None:
    """Print generation time, load time and rows/s per engine, and PostgreSQL's bare COPY as the baseline."""
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000, help="service requests to generate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--bad-share", type=float, default=0.002)
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    args = parser.parse_args(argv)
    engines = args.engines.split(",")

    gen_seconds, frames = timed(lambda: generate(args.scale, args.seed, args.bad_share))
    rows = {name: sum(len(f) for f in parts) for name, parts in frames.items()}
    big = sum(rows[n] for n in BIG_TABLES)
    print(f"scale {args.scale:,}: {rows['service_request']:,} requests, {rows['review']:,} reviews, "
          f"{rows['district_indicator']:,} indicator rows")
    print(f"{'step':<52}{'seconds':>10}{'rows/s':>14}")
    line("generate (numpy/pandas, in memory)", gen_seconds, big)

    if "sqlite" in engines:
        with scratch_sqlite() as url:
            load = load_generated(url, frames)
            line("sqlite: load_frames requests + reviews", sum(load.values()), big)
            seconds, _ = end_to_end(url, args.scale, args.seed, args.bad_share)
            line("sqlite: run_demo end to end", seconds, big)

    server = postgres_server()
    if "postgresql" in engines and server is None:
        print("postgresql: skipped, set ONESCREEN_BENCH_POSTGRES_URL or ONESCREEN_TEST_POSTGRES_URL")
    elif "postgresql" in engines:
        with scratch_postgresql(server) as url:
            load = load_generated(url, frames)
            baseline = bare_copy(url, frames)
            ratio = sum(load.values()) / sum(baseline.values())
            line("postgresql: bare COPY from CSV buffers (baseline)", sum(baseline.values()), big)
            line("postgresql: load_frames requests + reviews", sum(load.values()), big, f"{ratio:.2f}x baseline")
            seconds, _ = end_to_end(url, args.scale, args.seed, args.bad_share)
            goal = "goal < 180 s at 10M" if args.scale >= 10_000_000 else ""
            line("postgresql: run_demo end to end", seconds, big, goal)


if __name__ == "__main__":
    main()
