"""Log lines as JSON, one per line, with every secret taken out.

Every entry point (the single-process server, gunicorn's workers and master, the refresher) calls
`configure_logging(settings)`. A line carries `time`, `level`, `logger`, `message` and the record's `extra`
fields (`event`, `path`, `status`, `ms`, `version` ...). Before a line is written, the whole line, traceback
included, loses: the password of any URL (`//user:***@`), the value of any `token=`, `password=` or `secret=`
parameter, and every secret value the settings hold (the URLs' passwords and the session key).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from urllib.parse import unquote, urlsplit

from pythonjsonlogger.json import JsonFormatter

_URL_PASSWORD = re.compile(r"(//[^:/@\s\"']*:)[^@/\s]*@")
_SECRET_PARAMETER = re.compile(r"((?:token|password|passwd|secret|api_key|csrf_token)=)[^&\s\"',;]+", re.IGNORECASE)
MASK = "***"
# Loggers that would repeat a request line with its query string (tokens included); the app logs requests itself.
QUIET = ("werkzeug", "gunicorn.access")


def secrets_of(settings) -> set[str]:
    """The secret values in these settings: every URL's password and the session-signing key."""
    found = set()
    for name in ("services_url", "reviews_url", "indicators_url", "users_url", "redis_url", "celery_broker_url",
                 "alert_webhook_url"):
        url = getattr(settings, name, None)
        if url:
            try:
                password = urlsplit(url).password
            except ValueError:
                password = None
            if password:
                found.update({password, unquote(password)})
    for name in ("secret_key", "alert_webhook_secret"):
        if getattr(settings, name, None):
            found.add(getattr(settings, name))
    return {s for s in found if len(s) >= 3}


def redact(text: str, secrets: set[str] | frozenset[str] = frozenset()) -> str:
    """The text without URL passwords, secret parameters or any of `secrets` (also in their JSON-escaped form)."""
    text = _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)
    text = _SECRET_PARAMETER.sub(rf"\g<1>{MASK}", text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
        escaped = json.dumps(secret)[1:-1]
        if escaped != secret:
            text = text.replace(escaped, MASK)
    return text


def redact_values(value, secrets: set[str] | frozenset[str] = frozenset()):
    """`value` with every string inside it redacted (dicts and lists walked; keys, numbers and booleans kept), so
    that a secret that happens to look like a number or a key never breaks the JSON around it."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_values(v, secrets) for v in value]
    return value


class JsonLines(JsonFormatter):
    """python-json-logger's formatter, with every string field (message and traceback included) redacted."""

    def __init__(self, *args, secrets: set[str] | frozenset[str] = frozenset(), **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)
        self.secrets = frozenset(secrets)

    def process_log_record(self, log_data):
        return redact_values(super().process_log_record(log_data), self.secrets)


def configure_logging(settings=None, stream=None, level: int = logging.INFO, extra_secrets=()) -> logging.Handler:
    """Replace the root logger's handlers with one JSON-lines handler on `stream` (stderr by default).
    `extra_secrets`: secrets the settings do not hold (the demo's session key kept in the data folder)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    secrets = (secrets_of(settings) if settings is not None else set()) | {s for s in extra_secrets if s}
    handler.setFormatter(JsonLines(secrets=secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return handler


def gunicorn_logconfig(settings) -> dict:
    """gunicorn's `logconfig_dict`: its own error log through the same JSON-lines formatter, no access log (the
    app logs each request, without secrets in the query)."""
    formatter = {"()": JsonLines, "secrets": secrets_of(settings)}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
        },
    }
