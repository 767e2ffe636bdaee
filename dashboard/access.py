"""Who may see what: roles, district scope and actions, decided in one place (`decide`) that the pinned view
applies. Deny by default: no viewer, no role, a disabled account or a manager with no granted unit sees nothing.

Roles (docs/security.md):
- leader:  every unit, every page;
- manager: only the granted units, on every page, callback, export and API route (city and group aggregates
  stay, as context; other units' figures, names and rows do not);
- analyst: every unit, plus export and the API;
- admin:   users, tokens and the audit log (no data pages).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("leader", "manager", "analyst", "admin")
# What each role may do besides seeing its units' pages.
ACTIONS = {
    "leader": {"view"},
    "manager": {"view", "export", "api"},
    "analyst": {"view", "export", "api"},
    "admin": {"admin"},
}
# Pages that show rows no unit-scoped viewer may see (the quality listing holds raw rows of every unit and of
# unknown codes): only viewers whose scope is the whole city.
WHOLE_CITY_PAGES = {"quality"}


class AccessDenied(Exception):
    """The viewer may not do this; the message says what, never what the data would have been."""

    status = 403


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a user or a wall token, its role and granted units (for a manager or a scoped token)."""

    name: str
    role: str | None
    units: frozenset[str] = field(default_factory=frozenset)
    kind: str = "user"  # user or token


@dataclass(frozen=True)
class Decision:
    """What a viewer may see and do."""

    units: frozenset[str]
    actions: frozenset[str]
    whole_city: bool


def decide(viewer: Viewer | None, city_codes) -> Decision:
    """The one access decision: the units a viewer may see and the actions it may take (empty: nothing)."""
    codes = frozenset(city_codes)
    if viewer is None or viewer.role not in ROLES:
        return Decision(frozenset(), frozenset(), False)
    actions = frozenset(ACTIONS[viewer.role])
    if viewer.kind == "token":
        actions = frozenset({"view"})  # a wall token only reads pages
    if viewer.role == "admin":
        return Decision(frozenset(), actions, False)
    if viewer.role == "manager" or (viewer.kind == "token" and viewer.units):
        units = viewer.units & codes
        return Decision(units, actions if units else frozenset(), units == codes)
    return Decision(codes, actions, True)


def require(decision: Decision, action: str, page: str | None = None) -> None:
    """Raise AccessDenied unless the decision allows the action (and the page, for a scoped viewer)."""
    if action not in decision.actions:
        raise AccessDenied(f"not allowed: {action}")
    if action == "view" and not decision.units:
        raise AccessDenied("no units granted")
    if page in WHOLE_CITY_PAGES and not decision.whole_city:
        raise AccessDenied(f"not allowed: the {page} page shows every unit's rows")
