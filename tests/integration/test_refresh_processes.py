"""One refresher at a time across processes, and a CLI refresh reaches the store the server reads."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from app import create_app
from dashboard.snapshot import LocalStore, RedisStore
from tests.conftest import fixed_env

ROOT = Path(__file__).resolve().parents[2]


def cli(env: dict, *args: str, wait: bool = True):
    """Run `python -m dashboard ...` in a new process with these settings."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ONESCREEN_")} | env
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", *args],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if wait:
        out, err = proc.communicate(timeout=240)
        return proc.returncode, out, err
    return proc


@pytest.fixture
def embedded(tmp_path):
    return fixed_env(data_dir=str(tmp_path / "data"), demo_scale="2000", refresh_seconds="0")


def test_cli_refresh_shows_up_on_the_page(embedded, make_settings, tmp_path):
    app = create_app(make_settings(data_dir=tmp_path / "data"))
    rt = app.server.extensions["onescreen"]
    client = app.server.test_client()
    first = client.get("/health").get_json()["version"]
    with rt.sources.engine("services").begin() as conn:
        conn.execute(
            insert(rt.sources.table("services", "service_request")),
            [
                {
                    "request_id": "CLI-1",
                    "district_code": "230127",
                    "department_code": "GAJ",
                    "item_code": "GAJ-01",
                    "channel": "web",
                    "submitted_at": rt.clock.now() - timedelta(minutes=1),
                    "completed_at": None,
                    "status": "submitted",
                    "deadline_at": None,
                }
            ],
        )
    before = int(rt.reader.get().frames["req_day"]["submitted"].sum())
    code, out, err = cli(embedded, "refresh")
    assert code == 0, err
    assert "published version" in out
    health = client.get("/health").get_json()
    assert health["version"] == first + 1 and health["last_refresh"]["published"]["kind"] == "incremental"
    assert int(rt.reader.get().frames["req_day"]["submitted"].sum()) == before + 1


def test_a_second_refresher_waits_its_turn(embedded, tmp_path):
    code, _, err = cli(embedded, "refresh")
    assert code == 0, err
    store = LocalStore(tmp_path / "data" / "snapshots")
    version = store.current_version()
    with store.refresh_lock() as held:
        assert held
        code, _, err = cli(embedded, "refresh")
        assert code == 1 and "another refresh is running" in err
    assert store.current_version() == version
    code, _, err = cli(embedded, "refresh")
    assert code == 0 and store.current_version() == version + 1


def test_several_refreshers_started_together_publish_whole_versions(embedded, tmp_path):
    assert cli(embedded, "refresh")[0] == 0
    procs = [cli(embedded, "refresh", "--full", wait=False) for _ in range(4)]
    results = [(p.wait(timeout=240), p.stderr.read()) for p in procs]
    published = sum(1 for code, _ in results if code == 0)
    assert published >= 1
    assert all(code == 0 or "another refresh is running" in err for code, err in results)
    snap = LocalStore(tmp_path / "data" / "snapshots").current()
    assert snap.version == 1 + published and snap.meta["kind"] == "full"


def test_redis_lock_is_held_across_processes(redis_url, redis_prefix, embedded):
    env = embedded | {"ONESCREEN_REDIS_URL": redis_url, "ONESCREEN_REDIS_PREFIX": redis_prefix}
    assert cli(env, "refresh")[0] == 0
    store = RedisStore(redis_url, redis_prefix)
    first = store.current_version()
    with store.refresh_lock() as held:
        assert held
        code, _, err = cli(env, "refresh")
        assert code == 1 and "another refresh is running" in err
    assert cli(env, "refresh")[0] == 0
    assert store.current_version() == first + 1
