"""URLs map to pages; anything else is 'not found', never another page."""

from __future__ import annotations

import pytest

from dashboard.routes import Route, parse_route, query_lang


@pytest.mark.parametrize(
    ("path", "prefix", "route"),
    [
        ("/", "/", Route("overview")),
        (None, "/", Route("overview")),
        ("/district/230102", "/", Route("district", "230102")),
        ("/district/230102/", "/", Route("district", "230102")),
        ("/app/district/230104", "/app/", Route("district", "230104")),
        ("/app/", "/app/", Route("overview")),
        ("/district", "/", Route("not_found")),
        ("/district/230102/extra", "/", Route("not_found")),
        ("/wall", "/", Route("wall")),
        ("/wall-of-text", "/", Route("not_found")),
    ],
)
def test_parse_route(path, prefix, route):
    assert parse_route(path, prefix) == route


def test_query_lang():
    assert query_lang("?lang=en") == "en"
    assert query_lang("?x=1&lang=zh") == "zh"
    assert query_lang("") is None and query_lang(None) is None
