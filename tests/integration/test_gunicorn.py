"""Production serving: gunicorn with two workers prepares the demo once, its workers never refresh, and the one
refresher's snapshots reach every worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import fixed_env

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
