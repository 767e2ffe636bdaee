"""Snapshot refresh against one hand-written pass over the rows and against its own SQL run bare, its peak
memory, one new day, and a worker's snapshot load.

Refresh-speed issue: a full refresh within 3x the independent baseline, one GROUP BY over each fact table written
by hand in the engine's own SQL (`one_pass_sql`), measured in the same run on the same server.

Goals (refresh issue): a full refresh at most 1.3x the time the engine takes for the very statements the
refresh sends, run bare (raw DBAPI cursor, every row fetched, no pandas); refresh peak memory at most 1 GB at
10M requests; refreshing one new day within 1 s at 10M on PostgreSQL; plus the time a worker takes to load
the current snapshot. Each refresh runs in a fresh `python -m bench.refresh --child` process, like
`python -m dashboard refresh`, whose peak resident memory (VmHWM) is the refresh's. PostgreSQL comes from
ONESCREEN_BENCH_POSTGRES_URL or ONESCREEN_TEST_POSTGRES_URL (a scratch database, dropped afterwards); Redis,
optional, from ONESCREEN_BENCH_REDIS_URL or ONESCREEN_TEST_REDIS_URL (a unique prefix, deleted afterwards).
`python -m bench refresh --scale 10000000 --engines postgresql`. docs/benchmarks.md explains every figure.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from itertools import groupby, pairwise
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, func, insert, literal, select
from sqlalchemy.engine import make_url

from bench.load import postgres_server, scratch_postgresql, scratch_sqlite, sources_at
from dashboard.aggregation import HOUR_EDGES
from dashboard.refresh import READ_THREADS, refresh
from dashboard.regions import load_city
from dashboard.snapshot import LocalStore, RedisStore, SnapshotReader
from data_sources.demo import run_demo
from data_sources.sql import connect_args

ROOT = Path(__file__).resolve().parents[1]
END = date(2026, 11, 20)  # last day of demo data: a fixed end, so every run generates the same rows
FULL_NOW = datetime.combine(END + timedelta(days=1), datetime.min.time()) + timedelta(hours=1)
NEW_DAY_NOW = FULL_NOW + timedelta(days=1)  # the appended day's end + 1 h
NEW_DAY_TABLES = {  # table: (source, time columns moved one day later, the first dating the row)
    "service_request": ("services", ("submitted_at", "completed_at", "deadline_at")),
    "review": ("reviews", ("created_at", "rectified_at", "visited_at")),
}
FIRST_STEP = "lock + previous snapshot + plan"
# The reads dashboard.refresh.aggregate runs READ_THREADS at a time: their statements are told apart by the
# thread that sent them, their seconds only as one step (from the first read's start to the merge).
READS = ("requests", "reviews", "open bad reviews", "indicators")
READ_STEP = "source reads"
STEPS = (FIRST_STEP, READ_STEP, "merge", "publish")
STEP_LABELS = {READ_STEP: f"source reads, {READ_THREADS} at once", "merge": "roll-up + merge/normalise",
               "publish": "publish (Arrow encode + write)"}
WORKER_READS = 5
GOAL_RATIO, GOAL_PEAK_MB, GOAL_NEW_DAY_S, GOAL_SCALE = 1.3, 1024, 1.0, 10_000_000
GOAL_ONE_PASS = 3.0  # refresh-speed issue: a full refresh within 3x one hand-written pass over the rows


def redis_server() -> str | None:
    """The Redis server to measure a worker's load from, if any."""
    return os.environ.get("ONESCREEN_BENCH_REDIS_URL") or os.environ.get("ONESCREEN_TEST_REDIS_URL") or None


def memory_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB: VmRSS (now) or VmHWM (peak so far).

    Not ru_maxrss: Linux carries the parent's peak over into a child at exec (subprocess forks with vfork),
    so a child started by a parent that just loaded 10M rows would report the parent's 1 GB as its own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class MarkedStore(LocalStore):
    """A LocalStore that notes when publishing starts and ends, so the refresh's steps can be told apart."""

    def __init__(self, folder: Path, mark):
        super().__init__(folder)
        self.mark = mark

    def publish(self, frames, as_of, meta=None):
        """Publish as LocalStore does, between two marks."""
        self.mark("publish")
        version = super().publish(frames, as_of, meta)
        self.mark("end")
        return version


def step_seconds(marks: list[tuple[str, float]]) -> dict[str, float]:
    """Seconds from each mark to the next, by the label of the first; the marks of the reads (made from the
    read threads, in any order) are one step from the first of them to the next mark after them."""
    steps = [next(run) for _, run in groupby(((READ_STEP if label in READS else label, at) for label, at in marks),
                                             key=lambda mark: mark[0])]
    return {label: later - at for (label, at), (_, later) in pairwise(steps)}


def child(work: Path) -> None:
    """Run the refresh asked for in work/request.pickle in this fresh process; pickle its time, steps, peak
    memory and SQL statements to work/result.pickle."""
    url, folder, now, full = pickle.loads((work / "request.pickle").read_bytes())
    city = load_city("harbin")
    sources = sources_at(url)
    marks: list[tuple[str, float]] = []
    statements: list[tuple[str, str, object]] = []
    local = threading.local()  # per thread: the label of its last mark, which its statements belong to

    def mark(label: str) -> None:
        local.label = label
        marks.append((label, time.perf_counter()))

    def record(conn, cursor, sql, params, context, many) -> None:
        statements.append((getattr(local, "label", FIRST_STEP), sql, params))

    event.listen(Engine, "before_cursor_execute", record)
    store = MarkedStore(Path(folder), mark)
    rss_before = memory_mb("VmRSS")
    mark(FIRST_STEP)
    version = refresh(sources, store, city, now, full=full, progress=mark)
    seconds = time.perf_counter() - marks[0][1]
    sources.dispose()
    if version is None:
        raise SystemExit(f"refresh did not publish: {store.last_failure()}")
    result = {
        "seconds": seconds,
        "steps": step_seconds(marks),
        "rss_before_mb": rss_before,
        "peak_mb": memory_mb("VmHWM"),
        "statements": statements,
    }
    (work / "result.pickle").write_bytes(pickle.dumps(result))


def refresh_in_child(url: str, folder: Path, now: datetime, full: bool) -> dict:
    """Refresh in a fresh Python process (as `python -m dashboard refresh` would) and return what it measured."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "request.pickle").write_bytes(pickle.dumps((url, folder, now, full)))
        subprocess.run([sys.executable, "-m", "bench.refresh", "--child", str(work)], check=True, cwd=ROOT)
        return pickle.loads((work / "result.pickle").read_bytes())


def run_bare(url: str, statements: list[tuple[str, str, object]]) -> dict[str, float]:
    """Seconds per label for the engine to run each (label, SQL text, parameters) and hand over every row, bare:
    a raw DBAPI cursor, rows fetched as tuples (a COPY's CSV read and dropped), no SQLAlchemy result handling,
    no pandas."""
    engine = create_engine(url, connect_args=connect_args(url))  # the refresh's own session settings
    raw = engine.raw_connection()
    seconds: dict[str, float] = {}
    try:
        cursor = raw.cursor()
        for label, sql, params in statements:
            start = time.perf_counter()
            if sql.startswith("COPY "):  # a result the refresh read through COPY (data_sources.copyread)
                with cursor.copy(sql) as copy:
                    for _ in copy:
                        pass
            else:
                if params is None:
                    cursor.execute(sql)
                else:
                    cursor.execute(sql, params)
                cursor.fetchall()
            seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return seconds


def replay(url: str, statements: list[tuple[str, str, object]]) -> dict[str, float]:
    """Seconds per refresh step and per read for the recorded statements run bare, one after another (every step
    and read present, 0 when it sent none); the reads' sum is the READ_STEP's."""
    bare = dict.fromkeys((*STEPS, *READS), 0.0) | run_bare(url, statements)
    bare[READ_STEP] = sum(bare[read] for read in READS)
    return bare


def one_pass_sql(dialect: str) -> dict[str, str]:
    """The independent baseline: one GROUP BY over each fact table, written by hand in the engine's own SQL, with
    the grain the refresh's daily frames need. Requests by unit x day x channel x processing-time bucket (with
    completed and on-time counts); reviews by unit x day x channel (with score sum, bad and rectified counts). No
    bad-row rules, no duplicates, no month tables: what one pass over the rows costs the engine."""
    if dialect == "postgresql":  # width_bucket: the hours computed once per row
        day, hours = "CAST({} AS date)", "EXTRACT(EPOCH FROM completed_at - submitted_at) / 3600.0"
        edges = ", ".join(str(float(e)) for e in HOUR_EDGES[1:])
        bucket = f"width_bucket({hours}, ARRAY[{edges}]::double precision[])"
    else:
        day, hours = "date({})", "(julianday(completed_at) - julianday(submitted_at)) * 24.0"
        bucket = "CASE " + " ".join(f"WHEN {hours} < {e} THEN {i - 1}" for i, e in enumerate(HOUR_EDGES) if i)
        bucket += f" ELSE {len(HOUR_EDGES) - 1} END"
    return {
        "requests": f"SELECT district_code, {day.format('submitted_at')} AS day, channel,"
                    f" CASE WHEN completed_at IS NULL THEN -1 ELSE {bucket} END AS bucket, count(*) AS n,"
                    " sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed,"
                    " sum(CASE WHEN status = 'completed' AND completed_at <= deadline_at THEN 1 ELSE 0 END) AS on_time"
                    " FROM service_request GROUP BY 1, 2, 3, 4",
        "reviews": f"SELECT district_code, {day.format('created_at')} AS day, channel, count(*) AS n,"
                   " sum(score) AS score_sum, sum(CASE WHEN score <= 2 THEN 1 ELSE 0 END) AS bad,"
                   " sum(CASE WHEN score <= 2 AND rectified_at IS NOT NULL THEN 1 ELSE 0 END) AS rectified"
                   " FROM review GROUP BY 1, 2, 3",
    }


def one_pass(url: str) -> dict[str, float]:
    """Seconds for the engine to run the hand-written one-pass baseline and hand over every row (raw cursor)."""
    dialect = make_url(url).get_backend_name()
    return run_bare(url, [(name, sql, None) for name, sql in one_pass_sql(dialect).items()])


def next_day(column, dialect: str):
    """A timestamp column one day later, in the engine's own storage format (NULL stays NULL)."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H:%M:%S.000000", column, "+1 day")
    return column + timedelta(days=1)


def append_new_day(url: str) -> dict[str, int]:
    """Copy the last day's requests and reviews one day later with new ids (INSERT ... SELECT, indexes kept
    in place as with rows arriving one by one); return rows added per table."""
    sources = sources_at(url)
    start = datetime.combine(END, datetime.min.time())
    added = {}
    for name, (source, times) in NEW_DAY_TABLES.items():
        engine, table = sources.engine(source), sources.table(source, name)
        dialect = engine.dialect.name
        moved = {
            c.name: next_day(c, dialect) if c.name in times else (c + literal("N") if c.name.endswith("_id") else c)
            for c in table.columns
        }
        last_day = select(*[moved[c.name].label(c.name) for c in table.columns]).where(
            table.c[times[0]] >= start, table.c[times[0]] < start + timedelta(days=1)
        )
        with engine.begin() as conn:
            added[name] = conn.execute(select(func.count()).select_from(last_day.subquery())).scalar_one()
            conn.execute(insert(table).from_select(list(moved), last_day))
    sources.dispose()
    return added


def snapshot_bytes(folder: Path) -> int:
    """Bytes of the current version's files in a LocalStore folder."""
    version = LocalStore(folder).current_version()
    return sum(p.stat().st_size for p in (folder / f"v{version:08d}").iterdir())


def worker_load(open_store) -> float:
    """Median seconds for a fresh SnapshotReader to read and decode the current snapshot."""
    seconds = []
    for _ in range(WORKER_READS):
        reader = SnapshotReader(open_store())
        start = time.perf_counter()
        snap = reader.get()
        seconds.append(time.perf_counter() - start)
        assert snap is not None and snap.frames
    return statistics.median(seconds)


def redis_load(url: str, folder: Path) -> tuple[float, int]:
    """Publish the current snapshot to Redis under a unique prefix, time a worker's load, delete it again;
    return the median seconds and the bytes stored."""
    prefix = f"onescreen-bench-{uuid.uuid4().hex[:10]}"
    snap = LocalStore(folder).current()
    store = RedisStore(url, prefix)
    try:
        store.publish(snap.frames, snap.as_of, snap.meta)
        size = sum(len(v) for v in store.client.hgetall(store._key("snap", store.current_version())).values())
        return worker_load(lambda: RedisStore(url, prefix)), size
    finally:
        for key in store.client.scan_iter(f"{prefix}:*"):
            store.client.delete(key)


def verdict(value: float, goal: float, applies: bool, scope: str = "10M") -> str:
    """'met' or 'MISSED by N%' where the goal applies to this run, else what it applies to."""
    if not applies:
        return f"(goal is for {scope})"
    return "met" if value <= goal else f"MISSED by {100 * (value / goal - 1):.0f}%"


def print_report(engine: str, scale: int, figures: dict) -> None:
    """One table of figures beside their goals, then where the time of each refresh went."""
    full, new_day, bare_full, bare_new = (figures[k] for k in ("full", "new_day", "bare_full", "bare_new"))
    ratio = full["seconds"] / bare_total(bare_full)
    at_goal_scale = scale >= GOAL_SCALE
    new_day_goal = at_goal_scale and engine == "postgresql"
    one = figures["one_pass"]
    baseline_ratio = full["seconds"] / sum(one.values())
    rows = [
        ("demo load (run_demo, not a goal)", f"{figures['load_s']:.1f} s", "", ""),
        ("full refresh", f"{full['seconds']:.2f} s", "", ""),
        ("one pass by hand (baseline)", f"{sum(one.values()):.2f} s", "", ""),
        ("  requests / reviews", f"{one['requests']:.2f} / {one['reviews']:.2f}", "", ""),
        ("full refresh / one pass", f"{baseline_ratio:.2f}x", f"<= {GOAL_ONE_PASS}x",
         verdict(baseline_ratio, GOAL_ONE_PASS, engine == "postgresql" and scale >= 1_000_000, "1M+ on PostgreSQL")),
        ("bare SQL, same statements, one at a time", f"{bare_total(bare_full):.2f} s", "", ""),
        ("full refresh / its own statements bare", f"{ratio:.2f}x", f"<= {GOAL_RATIO}x",
         verdict(ratio, GOAL_RATIO, True)),
        ("refresh peak RSS (VmHWM)", f"{full['peak_mb']:,.0f} MiB", f"<= {GOAL_PEAK_MB} MiB",
         verdict(full["peak_mb"], GOAL_PEAK_MB, at_goal_scale)),
        ("  of which before the refresh", f"{full['rss_before_mb']:,.0f} MiB", "", ""),
        (f"one new day (+{figures['added']:,} rows), incremental", f"{new_day['seconds']:.2f} s",
         f"<= {GOAL_NEW_DAY_S:.0f} s", verdict(new_day["seconds"], GOAL_NEW_DAY_S, new_day_goal, "10M on PostgreSQL")),
        ("  its bare SQL, one at a time", f"{bare_total(bare_new):.2f} s", "", ""),
        ("  its peak RSS", f"{new_day['peak_mb']:,.0f} MiB", "", ""),
        ("worker load, LocalStore (median of 5)", f"{1000 * figures['local_s']:.1f} ms", "", ""),
        ("snapshot size, LocalStore files", f"{figures['local_bytes'] / 1e6:.2f} MB", "", ""),
    ]
    if figures.get("redis") is not None:
        seconds, size = figures["redis"]
        rows += [("worker load, RedisStore (median of 5)", f"{1000 * seconds:.1f} ms", "", ""),
                 ("snapshot size, Redis hash values", f"{size / 1e6:.2f} MB", "", "")]
    else:
        rows.append(("worker load, RedisStore", "skipped", "", "set ONESCREEN_BENCH_REDIS_URL (or _TEST_)"))
    best = f", best of {figures['rounds']} rounds" if figures["rounds"] > 1 else ""
    print(f"\n{engine}: {scale:,} requests, {figures['reviews']:,} reviews{best}")
    print(f"{'figure':<44}{'measured':>14}  {'goal':<14}{'verdict'}")
    for label, value, goal, note in rows:
        print(f"{label:<44}{value:>14}  {goal:<14}{note}")
    print(f"\n{'seconds per step':<44}{'full':>9}{'bare SQL':>10}{'new day':>10}{'bare SQL':>10}")
    for step in (*STEPS[:2], *READS, *STEPS[2:]):
        label = f"  {step}" if step in READS else STEP_LABELS.get(step, step)
        cells = [full["steps"].get(step, 0), bare_full[step], new_day["steps"].get(step, 0), bare_new[step]]
        text = [f"{v:.2f}" if v or (i % 2 == 0 and step not in READS) else "-" for i, v in enumerate(cells)]
        print(f"{label:<44}{text[0]:>9}{text[1]:>10}{text[2]:>10}{text[3]:>10}")
    totals = [full["seconds"], bare_total(bare_full), new_day["seconds"], bare_total(bare_new)]
    print(f"{'total':<44}{totals[0]:>9.2f}{totals[1]:>10.2f}{totals[2]:>10.2f}{totals[3]:>10.2f}")


def bare_total(bare: dict[str, float]) -> float:
    """Seconds of every statement of a refresh run bare, one after another."""
    return sum(bare[step] for step in STEPS)


def rounds_of(url: str, folder: Path, now: datetime, full: bool, rounds: int) -> tuple[dict, dict[str, float]]:
    """The fastest of `rounds` refreshes, each followed by its statements run bare, and the fastest bare run.

    An incremental round starts again from the snapshot the folder held before the first round."""
    start_state = folder.with_name(folder.name + "-start") if folder.exists() else None
    if start_state is not None:
        shutil.copytree(folder, start_state)
    refreshes, bares = [], []
    for _ in range(rounds):
        if start_state is not None:
            shutil.rmtree(folder)
            shutil.copytree(start_state, folder)
        refreshes.append(refresh_in_child(url, folder, now, full))
        bares.append(replay(url, refreshes[-1]["statements"]))
    return min(refreshes, key=lambda r: r["seconds"]), min(bares, key=bare_total)


def best_one_pass(url: str, rounds: int) -> dict[str, float]:
    """The fastest of `rounds` runs of the one-pass baseline."""
    return min((one_pass(url) for _ in range(rounds)), key=lambda s: sum(s.values()))


def measure(url: str, scale: int, seed: int, rounds: int, redis_url: str | None) -> dict:
    """Load the demo, refresh in full, run its SQL bare, append a day, refresh it, and read the snapshot."""
    sources = sources_at(url)
    start = time.perf_counter()
    result = run_demo(sources, load_city("harbin"), scale=scale, seed=seed, end=END, bad_share=0.002)
    figures = {"load_s": time.perf_counter() - start, "reviews": result.rows["review"], "rounds": rounds}
    sources.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "snapshots"
        figures["one_pass"] = best_one_pass(url, rounds)
        figures["full"], figures["bare_full"] = rounds_of(url, folder, FULL_NOW, True, rounds)
        figures["added"] = sum(append_new_day(url).values())
        figures["new_day"], figures["bare_new"] = rounds_of(url, folder, NEW_DAY_NOW, False, rounds)
        figures["local_s"] = worker_load(lambda: LocalStore(folder))
        figures["local_bytes"] = snapshot_bytes(folder)
        figures["redis"] = redis_load(redis_url, folder) if redis_url else None
    return figures


def main(argv: list[str] | None = None) -> None:
    """Print, per engine, the refresh figures beside their goals."""
    parser = argparse.ArgumentParser(prog="python -m bench refresh", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000, help="service requests to generate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each refresh and its bare SQL; best kept")
    args = parser.parse_args(argv)
    engines = args.engines.split(",")
    redis_url = redis_server()
    if "sqlite" in engines:
        with scratch_sqlite() as url:
            print_report("sqlite", args.scale, measure(url, args.scale, args.seed, args.rounds, redis_url))
    server = postgres_server()
    if "postgresql" in engines and server is None:
        print("\npostgresql: skipped, set ONESCREEN_BENCH_POSTGRES_URL or ONESCREEN_TEST_POSTGRES_URL")
    elif "postgresql" in engines:
        with scratch_postgresql(server) as url:
            print_report("postgresql", args.scale, measure(url, args.scale, args.seed, args.rounds, redis_url))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(Path(sys.argv[2]))
    else:
        main(sys.argv[1:])
