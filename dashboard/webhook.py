"""Alerts pushed out: a signed JSON POST to the city's own messaging platform when a breach starts or ends.

Only the refresher sends (dashboard.refresh calls `AlertWebhook.send` once a version is published), so each event
goes out from one process however many web workers run. A message is one event:

    {"event": "breach_started" | "breach_ended", "unit": "230104", "unit_name_zh": "道外区",
     "unit_name_en": "Daowai", "rule": "overdue" | "bad_rate", "value": 25.0, "threshold": 20.0, "reviews": 0,
     "since": "2026-11-22 12:00:00", "at": "2026-11-22 12:05:00", "version": 42,
     "link": "https://onescreen.intranet/district/230104"}

Headers: `X-OneScreen-Timestamp` (seconds since the epoch, by the app's clock) and `X-OneScreen-Signature`
= `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>` with ONESCREEN_ALERT_WEBHOOK_SECRET; a receiver recomputes
it and refuses old timestamps (replays). A send that gets no answer, a 429 or a 5xx is retried after 1, 2 and 4 s
(RETRY_DELAYS); other 4xx answers are final. Each attempt is logged (event `webhook_attempt`), without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

from dashboard.clock import Clock
from dashboard.regions import City
from dashboard.snapshot import safe_url

log = logging.getLogger(__name__)

RETRY_DELAYS = (1.0, 2.0, 4.0)
TIMEOUT_SECONDS = 5.0
SIGNATURE_HEADER = "X-OneScreen-Signature"
TIMESTAMP_HEADER = "X-OneScreen-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def message(event: dict, version: int, city: City, link_base: str) -> dict:
    """The JSON body of one event."""
    unit = city.unit(event["unit"])
    return {
        "event": event["event"],
        "unit": event["unit"],
        "unit_name_zh": unit.name("zh") if unit else event["unit"],
        "unit_name_en": unit.name("en") if unit else event["unit"],
        "rule": event["kind"],
        "value": event["value"],
        "threshold": event["threshold"],
        "reviews": event.get("reviews", 0),
        "since": event.get("since"),
        "at": event["at"],
        "version": version,
        "link": f"{link_base.rstrip('/')}/district/{event['unit']}",
    }


class AlertWebhook:
    """Sends alert events to one URL, signed, with retries."""

    def __init__(self, url: str, secret: str, city: City, link_base: str, clock: Clock,
                 delays: Sequence[float] = RETRY_DELAYS, sleep: Callable[[float], None] = time.sleep):
        self.url, self.secret, self.city, self.link_base, self.clock = url, secret, city, link_base, clock
        self.delays, self.sleep = tuple(delays), sleep

    def send(self, events: list[dict], version: int) -> list[bool]:
        """Send each event; True for each one the receiver accepted (2xx)."""
        return [self._deliver(message(e, version, self.city, self.link_base)) for e in events]

    def _deliver(self, body: dict) -> bool:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        for attempt in range(1, len(self.delays) + 2):
            timestamp = str(int(self.clock.now().timestamp()))
            request = urllib.request.Request(self.url, data=data, method="POST", headers={
                "Content-Type": "application/json; charset=utf-8",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(self.secret, timestamp, data),
            })
            status, error = None, None
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (urllib.error.URLError, OSError) as exc:
                error = str(getattr(exc, "reason", exc))[:200]
            ok = status is not None and 200 <= status < 300
            final = ok or (status is not None and 400 <= status < 500 and status != 429)
            last = attempt > len(self.delays)
            level = logging.INFO if ok else logging.WARNING if not (final or last) else logging.ERROR
            log.log(level, "alert webhook %s %s for %s: %s", body["event"], body["rule"], body["unit"],
                    status if status is not None else error,
                    extra={"event": "webhook_attempt", "attempt": attempt, "status": status, "error": error,
                           "url": safe_url(self.url), "alert": body["event"], "unit": body["unit"],
                           "rule": body["rule"]})
            if final or last:
                return ok
            self.sleep(self.delays[attempt - 1])
        return False
