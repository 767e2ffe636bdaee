"""The refresher as a Celery beat task, for a city that already runs Celery with a Redis broker.

    celery -A celery_app worker --beat --concurrency 1

Beat sends `onescreen.refresh` every ONESCREEN_REFRESH_SECONDS; a worker runs it with the same settings as the web
workers. Run one beat (Celery's own rule); any number of workers may take the task, and the snapshot store's
refresh lock lets one refresh run at a time (another finds the lock held and skips). A refresh that fails
(a source or the store unreachable) is retried with backoff by Celery, and a task older than one interval expires
unrun instead of piling up behind an outage. The broker is ONESCREEN_CELERY_BROKER_URL, else ONESCREEN_REDIS_URL.
The web workers (gunicorn) never refresh either way: docs/deploy.md.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging

import wiring
from dashboard.logs import configure_logging
from dashboard.refresh import RETRY_MAX_SECONDS

_settings = wiring.load_settings()
_interval = _settings.refresh_seconds or 300
app = Celery("onescreen", broker=_settings.celery_broker_url or _settings.redis_url)
app.conf.update(
    beat_schedule={"onescreen-refresh": {"task": "onescreen.refresh", "schedule": float(_interval),
                                         "options": {"expires": float(_interval)}}},
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    timezone=_settings.timezone,
)


class RefreshFailed(Exception):
    """A refresh did not publish because a source failed (recorded in the store for /health and the wall)."""


@setup_logging.connect
def _json_logs(**_kwargs) -> None:
    configure_logging(_settings)


@app.task(name="onescreen.refresh", autoretry_for=(Exception,), retry_backoff=5,
          retry_backoff_max=int(RETRY_MAX_SECONDS), retry_jitter=False, max_retries=5)
def refresh_task() -> int | None:
    """One refresh with the environment's settings: the new version, or None when another refresh holds the lock."""
    settings, city = wiring.settings_and_city()
    sources = wiring.sources(settings, city, prepare=True)
    store = wiring.store(settings)
    try:
        version = wiring.refresh_with_settings(settings, city, sources, store)
    finally:
        sources.dispose()
    if version is None and store.last_failure() is not None:
        raise RefreshFailed(store.last_failure()["reason"])
    return version
