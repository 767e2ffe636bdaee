"""Shared fixtures: isolated settings, the Harbin city, and the optional real servers."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime

import pytest
from argon2 import profiles as argon2_profiles

from dashboard import users
from dashboard.regions import load_city
from dashboard.settings import Settings

# URLs of real servers for the integration tier; .ci/run sets them, a developer may too.
TEST_URLS = {
    "postgresql": "ONESCREEN_TEST_POSTGRES_URL",
    "mariadb": "ONESCREEN_TEST_MARIADB_URL",
    "redis": "ONESCREEN_TEST_REDIS_URL",
}


def server_url(kind: str) -> str | None:
    """The URL of a real server for the integration tier, or None when not configured."""
    return os.environ.get(TEST_URLS[kind]) or None


# The "now" of every test that does not set its own: the product reads it from its one clock (dashboard/clock.py),
# so no test depends on the machine's date, time of day, weekday or time zone. Fixed test data is dated around it.
TEST_NOW = datetime(2026, 11, 22, 12, 0, 0)
# The session-signing key of tests (outside the embedded demo the app refuses to start without one).
TEST_SECRET = "test-secret-key-0123456789abcdef0123456789abcdef"


def fixed_settings(**values) -> Settings:
    """Settings for a test: no .env file, the clock fixed at TEST_NOW unless `now` is given."""
    values.setdefault("now", TEST_NOW)
    values.setdefault("secret_key", TEST_SECRET)
    values.setdefault("demo_live", False)  # the live demo feed only where a test asks for it
    return Settings(_env_file=None, **values)


def fixed_env(**values: str) -> dict[str, str]:
    """ONESCREEN_* variables for a command run in a new process, with its clock fixed at TEST_NOW."""
    fixed = {"ONESCREEN_NOW": TEST_NOW.isoformat(), "ONESCREEN_SECRET_KEY": TEST_SECRET,
             "ONESCREEN_DEMO_LIVE": "false"}
    return {**fixed, **{f"ONESCREEN_{k.upper()}": v for k, v in values.items()}}


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    """No ONESCREEN_* setting of the developer's shell leaks into a test (the test URLs stay)."""
    for name in list(os.environ):
        if name.startswith("ONESCREEN_") and name not in TEST_URLS.values():
            monkeypatch.delenv(name)
    monkeypatch.setenv("ONESCREEN_SECRET_KEY", TEST_SECRET)  # a test of its absence deletes it


@pytest.fixture
def make_settings(tmp_path):
    """Build settings for a test: data in a temporary folder, no .env file."""

    def build(**values) -> Settings:
        values.setdefault("data_dir", tmp_path / "data")
        values.setdefault("demo_scale", 2_000)  # the embedded default's first start, kept small for tests
        values.setdefault("refresh_seconds", 0)  # no background thread unless a test asks for one
        return fixed_settings(**values)

    return build


@pytest.fixture(scope="session")
def city():
    """The built-in Harbin city definition."""
    return load_city("harbin")


# --- who the tests are -----------------------------------------------------------------------------------------

TEST_PASSWORD = "correct horse battery staple"

# Every app a test builds hashes its demo accounts and test users with argon2: at the product's cost (about
# 120 ms a hash) that was a quarter of the unit tier. Tests in this process use argon2-cffi's CHEAPEST profile
# (still argon2id); processes a test starts, and the product, keep users.HASH_PARAMETERS.
PRODUCT_HASH_PARAMETERS = users.HASH_PARAMETERS
users.HASH_PARAMETERS = argon2_profiles.CHEAPEST


def as_viewer(rt, role: str = "leader", units=()):
    """An access decision for a test viewer of a role (for answers called directly)."""
    from dashboard.access import Viewer

    return rt.decide(Viewer(f"test-{role}", role, frozenset(units)))


def leader_view(rt):
    """The current snapshot seen by a leader (every unit)."""
    return rt.view(as_viewer(rt, "leader"))


@contextlib.contextmanager
def as_leader(app, role: str = "leader", units=()):
    """A request context whose viewer is a test user of `role` (callbacks called directly read it from flask.g)."""
    import flask

    rt = app.server.extensions["onescreen"]
    with app.server.test_request_context("/"):
        flask.g.viewer = None
        flask.g.decision = as_viewer(rt, role, units)
        yield


def sign_in(client, app, role: str = "analyst", units=()) -> dict:
    """Make `client` a signed-in test user of `role` (created if need be) and return the headers a callback POST
    needs (Dash's CSRF header matching its cookie)."""
    rt = app.server.extensions["onescreen"]
    name = f"test-{role}-{'-'.join(units) or 'all'}"
    if rt.users.get(name) is None:
        rt.users.add(name, role, TEST_PASSWORD, units)
    with client.session_transaction() as session:
        session["user"] = name
        session["seen"] = rt.clock.now().timestamp()
    client.set_cookie("_csrf_token", "test-csrf-token")
    return {"X-CSRFToken": "test-csrf-token"}
