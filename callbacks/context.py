"""How a callback reaches the app's runtime and the page language."""

from __future__ import annotations

import flask
from dash import set_props
from dash.exceptions import MissingCallbackContextException

from dashboard.access import Decision
from dashboard.i18n import normalise
from dashboard.routes import query_lang
from dashboard.runtime import Runtime
from layouts.ids import ERROR

EXTENSION = "onescreen"


def runtime() -> Runtime:
    """The runtime of the app serving this request."""
    return flask.current_app.extensions[EXTENSION]


def decision() -> Decision:
    """What the viewer of this request may see and do (decided once per request by api.auth)."""
    found = flask.g.get("decision")
    return found if found is not None else runtime().decide(None)


def current_view():
    """The current snapshot pinned for this request and seen through the viewer's scope (None before the first
    snapshot); AccessDenied when the viewer may not view."""
    return runtime().view(decision())


def page_lang(search: str | None) -> str:
    """The language of a page: `?lang=` when valid, else the configured default."""
    return normalise(query_lang(search), runtime().settings.language)


def clear_error() -> None:
    """Empty the page's error line after a callback succeeded (a no-op when called outside a callback)."""
    try:
        set_props(ERROR, {"children": ""})
    except MissingCallbackContextException:  # called directly, as tests do
        pass


def prefix() -> str:
    """The path prefix the app is served under (ends with a slash)."""
    return flask.current_app.config.get("ONESCREEN_PREFIX", "/")
