"""Shared fixtures: isolated settings, the Harbin city, and the optional real servers."""

from __future__ import annotations

import os
from datetime import datetime

import pytest

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


def fixed_settings(**values) -> Settings:
    """Settings for a test: no .env file, the clock fixed at TEST_NOW unless `now` is given."""
    values.setdefault("now", TEST_NOW)
    return Settings(_env_file=None, **values)


def fixed_env(**values: str) -> dict[str, str]:
    """ONESCREEN_* variables for a command run in a new process, with its clock fixed at TEST_NOW."""
    return {"ONESCREEN_NOW": TEST_NOW.isoformat(), **{f"ONESCREEN_{k.upper()}": v for k, v in values.items()}}


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch):
    """No ONESCREEN_* setting of the developer's shell leaks into a test (the test URLs stay)."""
    for name in list(os.environ):
        if name.startswith("ONESCREEN_") and name not in TEST_URLS.values():
            monkeypatch.delenv(name)


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
