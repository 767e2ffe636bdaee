"""Documentation stays true: every setting is documented, and only real settings are."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.settings import Settings, env_name

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [env_name(f) for f in Settings.model_fields if f"`{env_name(f)}`" not in text]
    assert not missing, f"undocumented settings: {missing}"


def test_documentation_names_no_setting_that_does_not_exist():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = {n for n in re.findall(r"`(ONESCREEN_[A-Z_]+)`", text) if not n.startswith("ONESCREEN_TEST_")}
    real = {env_name(f) for f in Settings.model_fields}
    assert documented <= real, f"documented but not settings: {sorted(documented - real)}"


def test_readme_first_screen_gives_the_two_commands():
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:40])
    assert "make run" in first_screen and "make test" in first_screen
    assert "docs/screenshots/overview.png" in first_screen
