"""Module-level callbacks registered per app.

`dash.callback` puts callbacks in a global list that the first app to start takes for itself, so a second
app in the same process (tests, several apps under one server) would have none. `page_callback` records the
callback beside its module-level function instead, and `register_all(app)` attaches every one to an app.
"""

from __future__ import annotations

import importlib

# Modules whose callbacks every app gets; importing one records its callbacks.
PAGE_MODULES = (
    "callbacks.router", "callbacks.overview", "callbacks.district", "callbacks.quality", "callbacks.wall",
    "callbacks.export",
)

_CALLBACKS: list[tuple[tuple, dict, object]] = []


def page_callback(*args, **kwargs):
    """Like `dash.callback`: record the callback; the function stays plain and importable."""

    def record(func):
        _CALLBACKS.append((args, kwargs, func))
        return func

    return record


def register_all(app) -> None:
    """Import every page module (recording its callbacks) and attach each recorded callback to this app."""
    for module in PAGE_MODULES:
        importlib.import_module(module)
    for args, kwargs, func in _CALLBACKS:
        app.callback(*args, **kwargs)(func)
