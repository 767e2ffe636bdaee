"""Load against the production serving stack: `make serve` (gunicorn's workers and the one refresher) on loopback,
50 simulated clients for 60 s, against a trivial Dash callback served by the same gunicorn configuration and hit
by the same clients in the same run.

Clients: wall screens (a wall token; poll for a new version, redraw when it changes, i.e. after each refresh),
district managers (three units; change the district page's filters: dates, grain, channel, department, almost
always a combination nobody asked before, so answers are built cold) and analysts (an export of a random panel as
CSV or XLSX, or an API call). Each client waits for its answer, then for its pace, before its next request
(closed loop). `--pace people` (default): walls poll every ONESCREEN_WALL_POLL_SECONDS (15 s), a manager changes
a filter every 5 s, an analyst exports every 10 s. `--pace hammer`: every 1, 1 and 2 s, about ten times the
offered load, to find where the two cores saturate.

Scenarios: `normal`; `source-down` (the services source becomes unreachable from 1/3 to 2/3 of the run: its
SQLite file is replaced by a directory, as a lost mount would); `redis-restart` (snapshots in a redis-server of
the run's own, stopped at 1/3 of the run and started again, empty, 5 s later).
Prints requests per second, p50 and p99 per kind, errors (HTTP >= 400 or no answer) and the server's RSS (every
process of `make serve`) at start and end. Goal (reliability issue): no errors, p99 <= 100 ms.
`python -m bench load-serve [--seconds 60] [--clients 50] [--scale 100000]
[--scenario normal|source-down|redis-restart]`
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import requests

from bench.overview import callback_body
from tests.servers import RedisServer, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 1234 load"
MANAGED = ("230102", "230184", "230125")
CHANNELS = [None, "web", "app", "window", "self_service", "hotline"]
GRAINS = ["month", "week", "day"]
EXPORTS = ["/export/overview/unit_values.csv?metric=requests", "/export/overview/balance_trend.xlsx?metric=bad_rate",
           "/export/wall/tiles.csv", "/export/quality/counts.csv", "/export/district/230113/departments.xlsx",
           "/export/district/230113/trends.csv?by=week", "/api/v1/metrics?granularity=year&unit=city",
           "/api/v1/balance?metric=online_share", "/api/v1/units"]


def rss_kib(pgid: int) -> int:
    """Resident memory of every process in a process group, in KiB (from /proc)."""
    total = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def dependencies(base: str, session: requests.Session) -> list[dict]:
    return session.get(f"{base}/_dash-dependencies", timeout=30).json()


class Recorder:
    """Latencies and errors per kind of request, from every client thread."""

    def __init__(self, warm_up: float = 3.0):
        self.lock = threading.Lock()
        self.from_time = time.monotonic() + warm_up  # each client's first requests open connections: not counted
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def timed(self, kind: str, send) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = send()
        except requests.RequestException as exc:
            with self.lock:
                self.errors[kind].append(f"{type(exc).__name__}: {str(exc)[:160]}")
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            if time.monotonic() >= self.from_time:
                self.ms[kind].append(elapsed)
            if response.status_code >= 400:
                self.errors[kind].append(f"HTTP {response.status_code}")
        return response


def signed_in(base: str, name: str) -> requests.Session:
    """A session logged in through the login form (one per role: the form is rate-limited per address)."""
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=30).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    response = session.post(f"{base}/login", data={"username": name, "password": PASSWORD, "csrf": csrf},
                            timeout=30, allow_redirects=False)
    assert response.status_code == 303, (name, response.status_code, response.text[:200])
    return session


def with_csrf(session: requests.Session) -> dict:
    return {"X-CSRFToken": session.cookies.get("_csrf_token", "")}


PACES = {"people": {"wall": 15.0, "manager": 5.0, "analyst": 10.0},
         "hammer": {"wall": 1.0, "manager": 1.0, "analyst": 2.0}}


def wall_client(base, token, deps, rec, pace, stop):
    session = requests.Session()
    session.get(f"{base}/wall?token={token}", timeout=30)  # the token becomes this screen's session
    poll = next(d for d in deps if "wall-badge.children" in d["output"] and "wall-version.data" in d["output"])
    draw = next(d for d in deps if "wall-map.figure" in d["output"])
    version, n = None, 0
    stop.wait(random.uniform(0, pace))  # screens were not all switched on in the same second
    while not stop.is_set():
        n += 1
        body = callback_body(poll, {"wall-poll.n_intervals": n, "wall-version.data": version, "url.search": ""})
        response = rec.timed("wall poll", lambda b=body: session.post(
            f"{base}/_dash-update-component", json=b, headers=with_csrf(session), timeout=30))
        if response is not None and response.status_code == 200:
            new = response.json()["response"]["wall-version"]["data"]
            if new != version:
                version = new
                body = callback_body(draw, {"wall-version.data": version, "wall-viewport.data": {"w": 1920, "h": 1080},
                                            "url.search": ""})
                rec.timed("wall redraw", lambda b=body: session.post(
                    f"{base}/_dash-update-component", json=b, headers=with_csrf(session), timeout=30))
        stop.wait(pace)


def manager_client(base, session, deps, rec, seed, pace, stop):
    rng = random.Random(seed)
    main = next(d for d in deps if "district-departments.rowData" in d["output"])
    stop.wait(rng.uniform(0, pace))
    while not stop.is_set():
        code = rng.choice(MANAGED)
        end_month = rng.randint(1, 10)
        values = {
            "district-dates.start_date": f"2026-{end_month:02d}-01",
            "district-dates.end_date": f"2026-{end_month + 1:02d}-{rng.randint(1, 28):02d}",
            "district-by.value": rng.choice(GRAINS),
            "district-department.value": rng.choice([None, "GAJ", "RSJ", "SWJ"]),
            "district-channel.value": rng.choice(CHANNELS),
            "url.pathname": f"/district/{code}",
            "url.search": "",
        }
        body = callback_body(main, values)
        rec.timed("manager filter", lambda b=body: session.post(
            f"{base}/_dash-update-component", json=b, headers=with_csrf(session), timeout=30))
        stop.wait(pace)


def analyst_client(base, session, rec, seed, pace, stop):
    rng = random.Random(seed)
    stop.wait(rng.uniform(0, pace))
    while not stop.is_set():
        path = rng.choice(EXPORTS)
        kind = "analyst API" if path.startswith("/api/") else "analyst export"
        rec.timed(kind, lambda p=path: session.get(f"{base}{p}", timeout=30))
        stop.wait(pace)


def trivial_client(base, rec, pace, stop):
    session = requests.Session()
    body = {"output": "out.children", "outputs": {"id": "out", "property": "children"},
            "inputs": [{"id": "in", "property": "children", "value": "x"}], "changedPropIds": ["in.children"]}
    stop.wait(random.uniform(0, pace))
    while not stop.is_set():
        rec.timed("trivial callback", lambda: session.post(f"{base}/_dash-update-component", json=body, timeout=30))
        stop.wait(pace)


def run_clients(targets: list, seconds: float) -> None:
    stop = threading.Event()
    threads = [threading.Thread(target=t, args=(*a, stop), daemon=True) for t, a in targets]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=40)


def start(cmd: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def wait_ready(base: str, process: subprocess.Popen, seconds: float = 900) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped while starting"
        try:
            if requests.get(f"{base}/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise TimeoutError("the server did not become ready")


def trivial_baseline(env: dict, clients: int, seconds: float, pace: float) -> Recorder:
    """The same gunicorn configuration serving a Dash app whose one callback echoes its input."""
    port = free_port()
    server = start([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bench.trivial:server"],
                   env | {"ONESCREEN_PORT": str(port)})
    rec = Recorder()
    try:
        wait_for_port(port, seconds=60)
        run_clients([(trivial_client, (f"http://127.0.0.1:{port}", rec, pace))] * clients, seconds)
    finally:
        stop_group(server)
    return rec


def outage(scenario: str, data_dir: Path, redis: RedisServer | None, seconds: float, log: list[str]) -> None:
    """Cause the scenario's outage at a third of the run (in a thread beside the clients)."""
    time.sleep(seconds / 3)
    started = time.monotonic()
    if scenario == "source-down":
        source = data_dir / "services.sqlite"
        source.rename(data_dir / "services.sqlite.away")
        source.mkdir()
        log.append(f"{time.monotonic() - started:5.1f}s services source unreachable")
        time.sleep(seconds / 3)
        source.rmdir()
        (data_dir / "services.sqlite.away").rename(source)
        log.append(f"{time.monotonic() - started:5.1f}s services source back")
    elif scenario == "redis-restart" and redis is not None:
        redis.stop()
        log.append(f"{time.monotonic() - started:5.1f}s redis stopped")
        time.sleep(5)
        redis.start()
        log.append(f"{time.monotonic() - started:5.1f}s redis started again (empty)")


def report(title: str, rec: Recorder, seconds: float) -> None:
    print(title)
    print(f"  {'kind':<18}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind in sorted(rec.ms.keys() | rec.errors.keys()):
        ms = rec.ms.get(kind, [])
        p50 = statistics.median(ms) if ms else float("nan")
        p99 = statistics.quantiles(ms, n=100)[98] if len(ms) >= 2 else float("nan")
        errors = len(rec.errors.get(kind, []))
        print(f"  {kind:<18}{len(ms):>9}{len(ms) / seconds:>8.1f}{p50:>9.1f}{p99:>9.1f}{errors:>8}")
    everything = [m for ms in rec.ms.values() for m in ms]
    if everything:
        print(f"  {'all':<18}{len(everything):>9}{len(everything) / seconds:>8.1f}"
              f"{statistics.median(everything):>9.1f}{statistics.quantiles(everything, n=100)[98]:>9.1f}"
              f"{sum(len(e) for e in rec.errors.values()):>8}")
    kinds = {e for errors in rec.errors.values() for e in errors}
    for kind in sorted(kinds):
        print(f"  error: {kind}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench load-serve")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--scale", type=int, default=100_000, help="demo requests behind the snapshot")
    parser.add_argument("--scenario", choices=["normal", "source-down", "redis-restart"], default="normal")
    parser.add_argument("--pace", choices=sorted(PACES), default="people")
    parser.add_argument("--refresh-seconds", type=int, default=20,
                        help="the refresher's interval (each new version makes every wall redraw)")
    args = parser.parse_args(argv or [])
    walls, managers = round(args.clients * 0.6), round(args.clients * 0.24)
    analysts = args.clients - walls - managers
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        data_dir = Path(tmp) / "data"
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")} | {
            "ONESCREEN_DATA_DIR": str(data_dir), "ONESCREEN_DEMO_SCALE": str(args.scale),
            "ONESCREEN_PORT": str(port), "ONESCREEN_SECRET_KEY": secrets.token_hex(32),
            "ONESCREEN_NOW": "2026-11-22 12:00:00",  # a fixed day, so that every run serves the same data
        }
        redis = None
        if args.scenario == "redis-restart":
            redis = stack.enter_context(RedisServer(Path(tmp) / "redis"))
            env["ONESCREEN_REDIS_URL"] = redis.url
        subprocess.run([sys.executable, "-m", "dashboard", "refresh"], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # first start: the demo and a snapshot, before the clock starts
        pace = PACES[args.pace]
        baseline = trivial_baseline(env, args.clients, min(args.seconds, 20), 1.0)
        add_users(env)
        server = start(["make", "-s", "serve", f"REFRESH_SECONDS={args.refresh_seconds}"], env)
        stack.callback(stop_group, server)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, server)
        rss_start = rss_kib(server.pid)
        token = make_token(env)
        manager_session, analyst_session = signed_in(base, "bench-manager"), signed_in(base, "bench-analyst")
        deps = dependencies(base, manager_session)
        rec, events = Recorder(), []
        targets = [(wall_client, (base, token, deps, rec, pace["wall"]))] * walls
        targets += [(manager_client, (base, manager_session, deps, rec, i, pace["manager"])) for i in range(managers)]
        targets += [(analyst_client, (base, analyst_session, rec, i, pace["analyst"])) for i in range(analysts)]
        if args.scenario != "normal":
            threading.Thread(target=outage, args=(args.scenario, data_dir, redis, args.seconds, events),
                             daemon=True).start()
        health_before = requests.get(f"{base}/health", timeout=10).json()
        run_clients([(fn, a) for fn, a in targets], args.seconds)
        time.sleep(args.refresh_seconds + 2)  # one refresh interval after the run, to see the recovery in /health
        health_after = requests.get(f"{base}/health", timeout=10).json()
        rss_end = rss_kib(server.pid)
    print(f"load-serve: scenario {args.scenario}, {args.seconds:.0f} s, {args.clients} clients "
          f"({walls} walls, {managers} managers, {analysts} analysts; pace {args.pace}: every "
          f"{pace['wall']:.0f}/{pace['manager']:.0f}/{pace['analyst']:.0f} s), demo of {args.scale:,} requests, "
          f"`make serve` = gunicorn ({os.environ.get('WEB_CONCURRENCY', '2')} workers) + 1 refresher every "
          f"{args.refresh_seconds} s; the first 3 s of each part are a warm-up, not counted")
    report(f"trivial Dash callback, same gunicorn configuration, {args.clients} clients polling every 1 s "
           f"(baseline, {min(args.seconds, 20):.0f} s):", baseline, min(args.seconds, 20))
    report("One Screen:", rec, args.seconds)
    for event in events:
        print(f"  outage: {event}")
    print(f"  health before: {health_before['status']} v{health_before['version']}; after: {health_after['status']} "
          f"v{health_after['version']} (store serving {health_after['store'].get('serving')})")
    print(f"  server RSS (all processes of make serve): start {rss_start / 1024:.0f} MiB, end {rss_end / 1024:.0f} MiB")
    print("  goal: no errors, p99 <= 100 ms")


def add_users(env: dict) -> None:
    """A manager of three units and an analyst, straight into the users database the server reads."""
    code = ("from dashboard.settings import load_settings; from dashboard.users import UserStore; "
            "import json, sys; s = load_settings(); u = UserStore(s.users_database()); "
            "args = json.loads(sys.argv[1]); "
            "[u.add(n, r, p, units, now=s.clock().now()) for n, r, p, units in args if u.get(n) is None]")
    users = [["bench-manager", "manager", PASSWORD, list(MANAGED)], ["bench-analyst", "analyst", PASSWORD, []]]
    subprocess.run([sys.executable, "-c", code, json.dumps(users)], cwd=ROOT, env=env, check=True)


def make_token(env: dict) -> str:
    done = subprocess.run([sys.executable, "-m", "dashboard", "tokens", "create", f"bench-{secrets.token_hex(3)}"],
                          cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    main(sys.argv[1:])
