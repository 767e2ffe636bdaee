"""gunicorn for One Screen (`make serve`): web workers that only serve; one refresher runs beside them
(`python -m dashboard refresh --every SECONDS`, or a systemd timer / Celery beat; docs/deploy.md)."""

import os

from dashboard.logs import gunicorn_logconfig
from dashboard.settings import load_settings

_settings = load_settings()
bind = f"{_settings.host}:{_settings.port}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("ONESCREEN_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
# No gunicorn access log: its line would carry the query string (a wall's ?token=). The app logs each request as
# a JSON line with secrets taken out (dashboard/logs.py); gunicorn's own messages use the same JSON lines.
accesslog = None
errorlog = "-"
logconfig_dict = gunicorn_logconfig(_settings)
# Requests are small: a callback posts a few inputs (the app refuses bodies over 256 KB itself).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
proc_name = "onescreen"


def on_starting(server):
    """Before any worker starts: prepare the embedded demo, accounts, key and first snapshot once."""
    import wiring

    wiring.prepare(_settings)
