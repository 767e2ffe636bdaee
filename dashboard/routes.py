"""Page routes of the app: one parser used by the page router and by the HTTP 404 check."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Route:
    """A parsed page path: its page name and, for a district page, the unit code."""

    page: str
    code: str | None = None


def parse_route(pathname: str | None, prefix: str = "/") -> Route:
    """Map a URL path (below the app's prefix) to a page: overview, quality, wall, district or not_found."""
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
    if len(parts) == 2 and parts[0] == "district":
        return Route("district", parts[1])
    return Route("not_found")


def query_lang(search: str | None) -> str | None:
    """The `lang` query parameter of a URL search string, if any."""
    values = parse_qs((search or "").lstrip("?")).get("lang")
    return values[0] if values else None
