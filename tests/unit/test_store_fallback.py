"""A Redis that does not answer at start: the fallback says so in the log without the URL's password."""

from __future__ import annotations

import logging

from dashboard.snapshot import InProcessStore, open_store, safe_url


def test_the_fallback_log_line_hides_the_redis_password(caplog, tmp_path):
    caplog.set_level(logging.ERROR)
    store = open_store("redis://:topsecret-pw@127.0.0.1:1/0", "onescreen", tmp_path)  # nothing listens on port 1
    assert isinstance(store, InProcessStore)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "does not answer" in logged and "topsecret-pw" not in logged and ":***@127.0.0.1:1" in logged


def test_safe_url_keeps_everything_but_the_password():
    assert safe_url("redis://user:pw@h:6379/2") == "redis://user:***@h:6379/2"
    assert safe_url("rediss://h:6380/0") == "rediss://h:6380/0"
