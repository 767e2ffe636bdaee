"""Page routes of the app: one parser used by the page router and by the HTTP 404 check."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from dashboard.errors import BadInput

# Longest path, unit code and query string the app reads; anything longer names no page.
MAX_PATH = 256
MAX_CODE = 32
MAX_QUERY = 2048


@dataclass(frozen=True)
class Route:
    """A parsed page path: its page name and, for a district page, the unit code."""

    page: str
    code: str | None = None

    def path(self, prefix: str = "/") -> str:
        """The canonical path of this route below the app's prefix ('' segments for a page that is not found)."""
        tail = {"overview": "", "quality": "quality", "wall": "wall"}.get(self.page)
        if self.page == "district":
            tail = f"district/{self.code}"
        return prefix + (tail if tail is not None else "not-found")


def parse_route(pathname: str | None, prefix: str = "/") -> Route:
    """Map a URL path (below the app's prefix) to a page: overview, quality, wall, district or not_found."""
    if pathname is not None and (not isinstance(pathname, str) or len(pathname) > MAX_PATH):
        return Route("not_found")
    path = pathname or prefix
    if path.startswith(prefix):
        path = "/" + path[len(prefix):]
    parts = [p for p in path.split("/") if p]
    if not parts:
        return Route("overview")
    if parts == ["quality"]:
        return Route("quality")
    if parts == ["wall"]:
        return Route("wall")
    if len(parts) == 2 and parts[0] == "district" and len(parts[1]) <= MAX_CODE:
        return Route("district", parts[1])
    return Route("not_found")


def query_string(search) -> str:
    """A URL's query string as the app reads it: '' for none; anything but a bounded string is refused."""
    if search is None:
        return ""
    if not isinstance(search, str) or len(search) > MAX_QUERY:
        raise BadInput("bad query string")
    return search


def query_lang(search: str | None) -> str | None:
    """The `lang` query parameter of a URL search string, if any."""
    if not isinstance(search, str) or len(search) > MAX_QUERY:
        return None
    values = parse_qs(search.lstrip("?")).get("lang")
    return values[0] if values else None
