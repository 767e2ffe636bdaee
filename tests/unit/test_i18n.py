"""Every UI text exists in Chinese and English, and every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from dashboard.i18n import TEXT, normalise, t

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def fields(text: str) -> set[str]:
    """Placeholder names in a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(TEXT))
def test_both_languages_present_with_the_same_placeholders(key):
    zh, en = TEXT[key]
    assert zh.strip() and en.strip()
    assert fields(zh) == fields(en)
    assert CJK.search(zh) or key == "nav.language", f"{key}: Chinese text has no Chinese"


def test_every_key_used_in_code_exists():
    used = set()
    for folder in ("app.py", "layouts", "callbacks", "dashboard"):
        path = ROOT / folder
        for file in [path] if path.is_file() else path.rglob("*.py"):
            used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", file.read_text(encoding="utf-8")))
    assert used, "the scan found no t() calls"
    assert used <= set(TEXT), f"missing keys: {sorted(used - set(TEXT))}"


def test_lookup_and_fallback():
    assert t("app.title", "en") == "One Screen"
    assert t("app.title", "zh") == "一屏观城"
    assert t("app.title", "xx") == "一屏观城"
    assert t("error.unknown_unit", "en", code="1") == "There is no unit with code 1."
    assert normalise("en") == "en" and normalise("<script>", "en") == "en" and normalise(None) == "zh"
