"""Real databases and Redis for the integration tier.

SQLite always runs. PostgreSQL, MariaDB and Redis run when their ONESCREEN_TEST_*_URL is set (.ci/run sets all
three); without one, its tests are skipped with the reason, unless ONESCREEN_TEST_REQUIRE_SERVERS=1 makes that
a failure. Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from data_sources.demo import run_demo
from data_sources.sql import SqlSources
from tests.conftest import TEST_URLS, server_url


def require(kind: str) -> str:
    """The URL of a real server, or skip (fail in CI) saying which variable is missing."""
    url = server_url(kind)
    if url is None:
        reason = f"{TEST_URLS[kind]} is not set: no {kind} server to test against"
        if os.environ.get("ONESCREEN_TEST_REQUIRE_SERVERS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


def _scratch_database(server: str, quote: str, extra: str = ""):
    """Create a uniquely named database on a server; return (url of it, function that drops it)."""
    name = f"onescreen_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {quote}{name}{quote} {extra}"))

    def drop():
        force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}"))
        admin.dispose()

    return make_url(server).set(database=name), drop


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request, tmp_path):
    """A fresh, empty database on each engine, as a URL string."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.sqlite'}"
        return
    server = require(request.param)
    if request.param == "postgresql":
        url, drop = _scratch_database(server, '"')
    else:
        url, drop = _scratch_database(server, "`", "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        url = url.update_query_dict({"charset": "utf8mb4"})
    yield url.render_as_string(hide_password=False)
    drop()


@pytest.fixture
def redis_url():
    """A real Redis URL (skipped without one)."""
    return require("redis")


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of this test's own, deleted afterwards."""
    import redis

    prefix = f"onescreen-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def postgres_demo(city):
    """A scratch PostgreSQL database with demo data; yields its URL."""
    url, drop = _scratch_database(require("postgresql"), '"')
    url = url.render_as_string(hide_password=False)
    prep = SqlSources({"services": url, "reviews": url, "indicators": url})
    prep.create_schema()
    run_demo(prep, city, scale=3_000, seed=8, end=date(2026, 11, 20), bad_share=0.02)
    prep.dispose()
    yield url
    drop()
