"""Imports point inward: the core in dashboard/ imports neither dash nor flask, nor any outer layer (sources,
callbacks, layouts, the app, its wiring or the CLI). `dashboard/__main__.py`, the `python -m dashboard` entry
point, is the one file allowed to call outward (the CLI)."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "dashboard"
FORBIDDEN = (
    "dash", "dash_ag_grid", "dash_bootstrap_components", "dash_mantine_components", "flask",
    "data_sources", "callbacks", "layouts", "app", "wiring", "cli",
)
ENTRY_POINT = CORE / "__main__.py"


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_dash_flask_or_outer_layer():
    offenders = {
        str(p.relative_to(CORE)): sorted(imported_modules(p) & set(FORBIDDEN))
        for p in CORE.rglob("*.py")
        if p != ENTRY_POINT
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_the_check_sees_a_dash_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from dash import html\n    import data_sources.sql\n    return html\n")
    assert {"dash", "data_sources"} <= imported_modules(bad)


def test_the_entry_point_only_calls_the_cli():
    assert imported_modules(ENTRY_POINT) == {"sys", "cli"}
