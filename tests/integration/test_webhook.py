"""Alerts pushed out, to an HTTP server the test starts: the refresher posts a signed message when a breach starts
and when it ends, retries a receiver that fails, logs every attempt, and a receiver that is down never stops a
refresh from publishing."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app import create_app
from dashboard import wall
from dashboard.refresh import refresh
from dashboard.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.conftest import TEST_NOW

SECRET = "webhook-shared-secret-5d2c"
RULES = {"wall_bad_rate_alert": 0.0001, "wall_min_reviews": 1, "wall_overdue_alert": 0}  # any bad review


class Receiver:
    """A local HTTP server that records each POST and answers with the next status of `statuses` (then 200)."""

    def __init__(self, statuses=()):
        self.statuses, self.received, self.lock = list(statuses), [], threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server's name for it
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append((self.headers, body, status))  # names case-insensitive
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/onescreen"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def accepted(self) -> list[dict]:
        return [json.loads(body) for _, body, status in self.received if status == 200]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver(statuses=[503])  # the first message is refused once: it must be retried
    yield found
    found.close()


def test_breaches_that_start_and_end_are_posted_signed_once_each(receiver, make_settings, caplog):
    caplog.set_level(logging.INFO, logger="dashboard.webhook")
    settings = make_settings(alert_webhook_url=receiver.url, alert_webhook_secret=SECRET,
                             public_url="https://onescreen.example.intranet/", **RULES)
    app = create_app(settings)  # the first refresh finds the breaches and posts them
    rt = app.server.extensions["onescreen"]
    snap = rt.reader.get()
    status = wall.unit_status(snap.frames, TEST_NOW, settings.deadlines().rectify)
    breaching = set(status.index[status["bad"] >= 1])
    started = receiver.accepted()
    assert breaching and {m["unit"] for m in started} == breaching and len(started) == len(breaching)
    first = next(m for m in started if m["unit"] == sorted(breaching)[0])
    unit = rt.city.unit(first["unit"])
    assert first["event"] == "breach_started" and first["rule"] == "bad_rate"
    assert first["unit_name_zh"] == unit.name("zh") and first["threshold"] == 0.0001
    assert first["value"] == pytest.approx(status.loc[first["unit"], "bad_rate"])
    assert first["since"] == first["at"] == "2026-11-22 12:00:00" and first["version"] == snap.version
    assert first["link"] == f"https://onescreen.example.intranet/district/{first['unit']}"
    for headers, body, _status in receiver.received:
        timestamp = headers[TIMESTAMP_HEADER]
        expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    attempts = [r for r in caplog.records if getattr(r, "event", None) == "webhook_attempt"]
    assert [r.status for r in attempts[:2]] == [503, 200] and attempts[1].attempt == 2  # retried, then accepted
    assert all(SECRET not in r.getMessage() for r in caplog.records)

    receiver.received.clear()
    refresh(rt.sources, rt.store, rt.city, rt.clock.now(), alert_rules=rt.settings.alert_rules(),
            on_alert_events=rt.alert_sink)  # still on: nothing is posted again
    assert receiver.received == []
    version = refresh(rt.sources, rt.store, rt.city, rt.clock.now(),
                      alert_rules={"bad_rate_alert": 0.99, "min_reviews": 1, "overdue_alert": 0},
                      on_alert_events=rt.alert_sink)  # every unit now under the threshold: each breach ends
    ended = receiver.accepted()
    assert {m["unit"] for m in ended} == breaching and {m["event"] for m in ended} == {"breach_ended"}
    assert all(m["since"] == "2026-11-22 12:00:00" and m["version"] == version for m in ended)


def test_a_receiver_that_is_down_never_stops_a_refresh(receiver, make_settings, caplog):
    caplog.set_level(logging.WARNING, logger="dashboard.webhook")
    url = receiver.url
    receiver.close()  # nothing listens any more
    settings = make_settings(alert_webhook_url=url, alert_webhook_secret=SECRET, **RULES)
    app = create_app(make_settings(**RULES))  # prepare the demo without a webhook
    rt = app.server.extensions["onescreen"]
    from dashboard.webhook import AlertWebhook

    hook = AlertWebhook(url, SECRET, rt.city, "http://x/", rt.clock, delays=(0.01, 0.01))
    before = rt.store.current_version()
    version = refresh(rt.sources, rt.store, rt.city, rt.clock.now(), full=True,
                      alert_rules={"bad_rate_alert": 0.99, "min_reviews": 1, "overdue_alert": 0},
                      on_alert_events=hook.send)
    assert version == before + 1  # published, every breach ended, and the receiver's silence changed nothing
    failed = [r for r in caplog.records if getattr(r, "event", None) == "webhook_attempt"]
    assert failed and all(r.status is None and r.error for r in failed)
    assert max(r.attempt for r in failed) == 3 and settings.alert_webhook_url == url
