"""Production serving: gunicorn with two workers prepares the demo once, its workers never refresh, and the one
refresher's snapshots reach every worker."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy.engine import make_url

from dashboard.snapshot import RedisStore
from tests.conftest import fixed_env
from tests.servers import RedisServer

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> dict:
    import json

    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_gunicorn_workers_serve_and_only_the_refresher_publishes(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")} | fixed_env(
        data_dir=str(tmp_path / "data"), demo_scale="2000", refresh_seconds="5", port=str(port))
    env.pop("ONESCREEN_NOW")  # a real clock: the refresher's versions must move on
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "app:wsgi()"],
        cwd=ROOT, env=env | {"WEB_CONCURRENCY": "2"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = get_json(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.5)
        assert health["version"] == 1  # prepared once, before the workers started
        time.sleep(7)  # longer than ONESCREEN_REFRESH_SECONDS: a worker with a refresh thread would publish
        versions = {get_json(f"http://127.0.0.1:{port}/health")["version"] for _ in range(8)}
        assert versions == {1}  # no worker refreshed
        done = subprocess.run([sys.executable, "-m", "dashboard", "refresh"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        versions = {get_json(f"http://127.0.0.1:{port}/health")["version"] for _ in range(8)}
        assert versions == {2}  # every worker serves the refresher's snapshot
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a graceful stop that hangs (seen under faketime) must not hang the suite
            os.killpg(server.pid, signal.SIGKILL)
            output, _ = server.communicate(timeout=30)
    assert output.count("generating SYNTHETIC demo data") == 1  # the demo was generated once, not per worker
    assert output.count("Booting worker") == 2


def test_no_secret_in_any_log_line_or_health_answer_and_every_line_is_json(tmp_path, postgres_demo):
    """Passwords in every URL (sources, users, Redis), a session key and a wall token; gunicorn's workers and the
    refresher run, Redis goes away and comes back: no secret anywhere in their output or in /health."""
    secret_pg, secret_key = "pg-pass-4d1e9c", "session-key-" + "8f2b" * 8
    with RedisServer(tmp_path / "redis", password="redis-pass-77ab31") as redis_server:
        source = make_url(postgres_demo).set(username="postgres", password=secret_pg).render_as_string(
            hide_password=False)  # trust authentication: the server never asks, the URL still carries it
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")} | fixed_env(
            data_dir=str(tmp_path / "data"), port=str(port), services_url=source, reviews_url=source,
            indicators_url=source, users_url=source, redis_url=redis_server.url, secret_key=secret_key)
        made = subprocess.run([sys.executable, "-m", "dashboard", "tokens", "create", "wall-1"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        secrets = (secret_pg, secret_key, redis_server.password, token)
        refresher = subprocess.Popen([sys.executable, "-m", "dashboard", "refresh", "--every", "1"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        server = start_gunicorn(env)
        answers = []
        try:
            answers.append(wait_for_health(port, server))
            for path in (f"/wall?token={token}", f"/?token={token}&lang=en", "/login?next=/wall"):
                fetch(f"http://127.0.0.1:{port}{path}")
            fetch(f"http://127.0.0.1:{port}/login", data=f"username=demo-admin&password={secret_pg}".encode())
            redis_server.stop()
            time.sleep(2.5)  # the refresher fails and retries, the workers serve from memory
            answers.append(fetch(f"http://127.0.0.1:{port}/health"))
            redis_server.start()
            time.sleep(3)
            answers.append(fetch(f"http://127.0.0.1:{port}/health"))
        finally:
            output = stop(server) + stop(refresher)
    assert answers[1]["status"] == "degraded" and answers[1]["store"]["ok"] is False
    for secret in secrets:
        assert secret not in output, f"a secret in the log: …{output[output.find(secret) - 80:][:160]}…"
        assert all(secret not in json.dumps(answer) for answer in answers)
    lines = [line for line in output.splitlines() if line.strip()]
    events = [json.loads(line).get("event") for line in lines]  # every line is one JSON object
    assert {"request", "refresh_published", "refresh_failed", "refresh_retry"} <= set(events)


def start_gunicorn(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "app:wsgi()"],
        cwd=ROOT, env=env | {"WEB_CONCURRENCY": "2"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )


def wait_for_health(port: int, server: subprocess.Popen, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return get_json(f"http://127.0.0.1:{port}/health")
        except OSError:
            assert server.poll() is None, server.stdout.read()
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.5)


def fetch(url: str, data: bytes | None = None):
    """GET (or POST `data`) and return the JSON body, or None; any status below 500 is fine here."""
    try:
        with urllib.request.urlopen(url, data=data, timeout=10) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        assert exc.code < 500, (url, exc.code)
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def stop(process: subprocess.Popen) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate(timeout=30)
    return output


def test_celery_beat_is_the_one_refresher_with_a_real_redis_broker(tmp_path):
    """`celery -A celery_app worker --beat`: beat sends the refresh over a real Redis broker, either of two workers
    runs it and publishes to the Redis store, and versions only grow."""
    with RedisServer(tmp_path / "redis") as redis_server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")} | fixed_env(
            data_dir=str(tmp_path / "data"), demo_scale="2000", refresh_seconds="2", redis_url=redis_server.url)
        env.pop("ONESCREEN_NOW")  # a real clock: each refresh publishes a new version
        first = subprocess.run([sys.executable, "-m", "dashboard", "refresh"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        celery = str(Path(sys.executable).parent / "celery")
        workers = [
            subprocess.Popen([celery, "-A", "celery_app", "worker", *extra, "--concurrency", "1", "--pool", "solo",
                              "-n", f"w{i}@%h"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
            for i, extra in enumerate((["--beat", "-s", str(tmp_path / "beat-schedule")], []))
        ]
        store = RedisStore(redis_server.url, "onescreen")
        try:
            start = store.current_version()
            seen = [start]
            deadline = time.monotonic() + 90
            while len(set(seen)) < 4 and time.monotonic() < deadline:
                time.sleep(0.5)
                seen.append(store.current_version())
        finally:
            output = "".join(stop(worker) for worker in workers)
    versions = sorted(set(seen))
    assert len(versions) >= 4, output[-3000:]  # beat sent refreshes and workers published them
    assert seen == sorted(seen)  # never backwards
    assert "Traceback" not in output, output[-3000:]
