"""Log lines are JSON, one per line, and no secret survives in them: not in a URL, a parameter or a traceback."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app import logged_query
from dashboard.logs import configure_logging, redact, redact_values, secrets_of
from dashboard.refresh import RETRY_MAX_SECONDS, retry_delay, run_every
from tests.conftest import fixed_settings


@pytest.fixture(autouse=True)
def _restore_logging():
    """configure_logging changes the root logger: put everything back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in ("werkzeug", "gunicorn.access")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)
    logging.captureWarnings(False)


def test_a_secret_that_looks_like_a_number_or_a_key_never_breaks_the_json():
    answer = {"status": "ok", "version": 1712345, "ok": True, "error": "auth failed for 1234 and status"}
    out = redact_values(answer, {"1234", "status", "true"})
    assert out == {"status": "ok", "version": 1712345, "ok": True, "error": "auth failed for *** and ***"}


def test_the_logged_query_is_read_as_flask_decodes_it_with_secret_parameters_masked():
    from werkzeug.datastructures import MultiDict

    args = MultiDict([("tok" + "en", "abc123"), ("lang", "en"), ("next", "/wall?token=x"), ("X-Api-Key", "k")])
    assert logged_query(args) == "token=***&lang=en&next=/wall?token=x&X-Api-Key=***"


def test_redact_takes_out_url_passwords_secret_parameters_and_known_secrets():
    text = ('postgresql://app:pa"ss@db/x?sslmode=require /wall?token=abc123&lang=en password=hunter2 '
            "key=the-session-key-0123456789")
    out = redact(text, {"the-session-key-0123456789"})
    assert 'pa"ss' not in out and "abc123" not in out and "hunter2" not in out and "the-session-key" not in out
    assert "postgresql://app:***@db/x?sslmode=require" in out and "lang=en" in out


def test_the_settings_secrets_are_every_url_password_and_the_session_key(tmp_path):
    settings = fixed_settings(
        data_dir=tmp_path, services_url="postgresql://a:pw-services@h/db", reviews_url="mysql+pymysql://b:pw-rev@h/db",
        indicators_url="sqlite:///x.db", redis_url="redis://:pw-redis@h:6379/0",
        secret_key="k" * 40,
    )
    assert secrets_of(settings) == {"pw-services", "pw-rev", "pw-redis", "k" * 40}


def test_a_log_line_is_json_with_its_fields_and_without_the_secret(tmp_path):
    settings = fixed_settings(data_dir=tmp_path, redis_url="redis://:pw-in-redis-url@h:6379/0")
    stream = io.StringIO()
    handler = configure_logging(settings, stream=stream)
    try:
        log = logging.getLogger("onescreen.test")
        log.info("published version %s", 7, extra={"event": "refresh_published", "version": 7})
        try:
            raise RuntimeError("cannot reach redis://:pw-in-redis-url@h:6379/0 (pw-in-redis-url)")
        except RuntimeError:
            log.exception("refresh failed")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == "published version 7" and lines[0]["event"] == "refresh_published"
    assert lines[0]["version"] == 7 and lines[0]["level"] == "INFO" and lines[0]["logger"] == "onescreen.test"
    assert "RuntimeError" in lines[1]["exc_info"]
    assert "pw-in-redis-url" not in stream.getvalue()


def test_failed_refreshes_retry_sooner_then_back_off_and_success_returns_to_the_interval():
    assert [retry_delay(60, n) for n in range(1, 8)] == [5, 10, 20, 40, 80, 160, 300]
    assert [retry_delay(1, n) for n in (1, 2, 3)] == [1, 2, 4]
    assert retry_delay(3600, 20) == 3600 and retry_delay(60, 30) == RETRY_MAX_SECONDS
    outcomes = iter([True, False, "raise", False, True, True])
    waits = []

    def step():
        outcome = next(outcomes)
        if outcome == "raise":
            raise ConnectionError("source down")
        return outcome

    def wait(seconds):
        waits.append(round(seconds))
        return len(waits) == 6

    run_every(step, 30, wait)  # a step that raises does not end the loop
    assert waits == [30, 5, 10, 20, 30, 30]
