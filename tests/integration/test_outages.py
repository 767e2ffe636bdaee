"""Outages caused for real: a source behind a proxy the test cuts, and a redis-server of the test's own that it
stops and starts empty. Pages keep serving the last snapshot and say it is stale, /health says what is down, the
refresh retries with backoff, and everything recovers without a restart."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url

from app import create_app
from callbacks.wall import poll_wall
from tests.conftest import TEST_NOW, as_leader, sign_in
from tests.servers import RedisServer, TcpProxy

PAGES = ("/", "/wall", "/district/230102", "/quality")
DATA = ("/api/v1/metrics?granularity=year&unit=city", "/api/v1/units",
        "/export/overview/unit_values.csv?metric=requests", "/export/district/230102/departments.csv")


def wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


def served(client) -> dict[str, bytes]:
    """Every page and data path once: each must answer below 500; the data bodies are returned."""
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    bodies = {}
    for path in DATA:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.data[:200])
        bodies[path] = response.data
    return bodies


def test_a_source_outage_serves_the_last_snapshot_retries_with_backoff_and_recovers(
    postgres_demo, make_settings, caplog
):
    caplog.set_level(logging.WARNING)
    target = make_url(postgres_demo)
    with TcpProxy(target.host, target.port or 5432) as proxy:
        url = target.set(port=proxy.port).render_as_string(hide_password=False)
        app = create_app(make_settings(services_url=url, reviews_url=url, indicators_url=url))
        rt = app.server.extensions["onescreen"]
        rt.settings = rt.settings.model_copy(update={"refresh_seconds": 1})
        try:
            client = app.server.test_client()
            sign_in(client, app, "analyst")
            first = client.get("/health").get_json()
            assert first["status"] == "ok" and first["version"] is not None
            before = served(client)

            proxy.stop()  # the source is unreachable from here on
            rt.start_scheduler()  # the refresher starts after the cut, so no round publishes meanwhile
            rt.clock.set(TEST_NOW + timedelta(hours=2))  # and time passes: the data grows old
            sign_in(client, app, "analyst")  # (the earlier session has been idle too long by now)
            failure = wait_until(lambda: client.get("/health").get_json()["last_refresh"]["failure"], 15,
                                 "a failed refresh in /health")
            assert "Connection refused" in failure["reason"]
            assert served(client) == before  # the same last snapshot, every page and data path answering
            health = client.get("/health").get_json()
            assert health["status"] == "degraded" and health["version"] == first["version"]
            assert health["age_seconds"] == 2 * 3600
            with as_leader(app):
                _version, badge, cls = poll_wall(1, first["version"], "", "?lang=en")
            assert cls == "wall-badge stale" and "refresh failing since" in badge
            wait_until(lambda: len(retries(caplog)) >= 2, 15, "two retries")
            delays = retries(caplog)
            assert delays[:2] == [1, 2]  # backoff: each retry waits longer

            proxy.start()  # the source answers again: the next retry publishes, no restart
            wait_until(lambda: client.get("/health").get_json()["version"] != first["version"], 30,
                       "a new version after the source returned")
            health = wait_until(lambda: (h := client.get("/health").get_json())["status"] == "ok" and h, 15,
                                "health ok again")
            assert health["last_refresh"]["failure"] is None and health["age_seconds"] == 0
            with as_leader(app):
                _version, badge, cls = poll_wall(2, first["version"], "", "?lang=en")
            assert cls == "wall-badge" and badge == ""
        finally:
            rt.stop_scheduler()
            rt.sources.dispose()


def retries(caplog) -> list[float]:
    return [r.retry_in_s for r in caplog.records if getattr(r, "event", None) == "refresh_retry"]


def test_workers_serve_their_copy_while_redis_is_down_and_converge_when_it_returns(tmp_path, make_settings):
    with RedisServer(tmp_path / "redis") as redis_server:
        settings = make_settings(redis_url=redis_server.url)
        apps = [create_app(settings), create_app(settings, worker=True)]  # the first prepares and publishes
        runtimes = [app.server.extensions["onescreen"] for app in apps]
        clients = [app.server.test_client() for app in apps]
        for client, app in zip(clients, apps, strict=True):
            sign_in(client, app, "analyst")
        versions = {client.get("/health").get_json()["version"] for client in clients}
        assert len(versions) == 1 and None not in versions
        (first,) = versions
        before = [served(client) for client in clients]

        redis_server.stop()
        for client, app, earlier in zip(clients, apps, before, strict=True):
            assert served(client) == earlier  # the copy in memory, no 5xx
            health = client.get("/health").get_json()
            assert health["status"] == "degraded" and health["version"] == first
            assert health["store"]["ok"] is False and health["store"]["serving"] == "memory"
            assert redis_server.password not in str(health)
            with as_leader(app):
                _version, badge, cls = poll_wall(1, first, "", "?lang=en")
            assert cls == "wall-badge stale" and "snapshot store" in badge and redis_server.password not in badge
        with pytest.raises(Exception, match="onnect"):  # the refresher's round fails; run_every retries it
            runtimes[0].refresh_now()

        redis_server.start()  # back, and empty: no persistence
        for rt in runtimes:
            rt.clock.set(TEST_NOW + timedelta(hours=1))
        for client, app in zip(clients, apps, strict=True):
            sign_in(client, app, "analyst")
        newer = runtimes[0].refresh_now()
        assert newer > first  # versions never repeat, though Redis forgot its counter

        def converged():
            found = [client.get("/health").get_json() for client in clients]
            return all(h["version"] == newer and h["status"] == "ok" for h in found) and found

        found = wait_until(converged, 10, "every worker on the new version")
        assert all(h["store"]["serving"] == "store" for h in found)
        now = [json.loads(served(client)["/api/v1/units"]) for client in clients]
        assert {n["meta"]["version"] for n in now} == {newer}
        assert [n["rows"] for n in now] == [json.loads(before[0]["/api/v1/units"])["rows"]] * 2
        for rt in runtimes:
            rt.sources.dispose()


def test_a_worker_started_while_redis_is_down_serves_once_it_answers(tmp_path, make_settings):
    redis_server = RedisServer(tmp_path / "redis").start()
    redis_server.stop()
    app = create_app(make_settings(redis_url=redis_server.url))  # no traceback, no crash: Redis is still the store
    rt = app.server.extensions["onescreen"]
    client = app.server.test_client()
    response = client.get("/health")
    assert response.status_code == 503 and response.get_json()["status"] == "starting"
    store = response.get_json()["store"]
    assert (store["backend"], store["ok"], store["serving"], store["version_in_memory"]) == (
        "redis", False, "memory", None)
    assert str(redis_server.port) in store["store_error"] and redis_server.password not in store["store_error"]
    form = client.get("/login").data.decode()  # the login rate limit lives in Redis too: logins still answer
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    refused = client.post("/login", data={"username": "demo-admin", "password": "wrong", "csrf": csrf})
    assert refused.status_code == 401
    redis_server.start()
    try:
        version = rt.refresh_now()
        health = wait_until(lambda: (h := client.get("/health").get_json())["status"] == "ok" and h, 10,
                            "serving once Redis answers")
        assert health["version"] == version
    finally:
        redis_server.stop()
        rt.sources.dispose()
