"""A Redis that does not answer at start is still the store: the log says so without the URL's password, and
readers serve what they hold (nothing yet) instead of a store of their own with versions of its own."""

from __future__ import annotations

import logging

from dashboard.snapshot import RedisStore, SnapshotReader, open_store, safe_url


def test_a_silent_redis_stays_the_store_and_the_log_line_hides_its_password(caplog, tmp_path):
    caplog.set_level(logging.ERROR)
    store = open_store("redis://:topsecret-pw@127.0.0.1:1/0", "onescreen", tmp_path)  # nothing listens on port 1
    assert isinstance(store, RedisStore)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "does not answer" in logged and "topsecret-pw" not in logged and ":***@127.0.0.1:1" in logged
    reader = SnapshotReader(store)
    assert reader.get() is None  # nothing to serve yet, and no exception for the page to show
    status = reader.status()
    assert status["serving"] == "memory" and "topsecret-pw" not in str(status)
    assert store.health()["ok"] is False


def test_safe_url_keeps_everything_but_the_password():
    assert safe_url("redis://user:pw@h:6379/2") == "redis://user:***@h:6379/2"
    assert safe_url("rediss://h:6380/0") == "rediss://h:6380/0"
