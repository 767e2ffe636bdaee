"""How a callback reaches the app's runtime and the page language."""

from __future__ import annotations

import flask

from dashboard.i18n import normalise
from dashboard.routes import query_lang
from dashboard.runtime import Runtime

EXTENSION = "onescreen"


def runtime() -> Runtime:
    """The runtime of the app serving this request."""
    return flask.current_app.extensions[EXTENSION]


def page_lang(search: str | None) -> str:
    """The language of a page: `?lang=` when valid, else the configured default."""
    return normalise(query_lang(search), runtime().settings.language)


def prefix() -> str:
    """The path prefix the app is served under (ends with a slash)."""
    return flask.current_app.config.get("ONESCREEN_PREFIX", "/")
