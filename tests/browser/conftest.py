"""Real headless Chromium (Debian's) driven by Playwright against the app served on 127.0.0.1.

The app runs in a werkzeug server with a real shutdown (not dash.testing's threaded server, which kills
threads started after it; see ../shared/NOTES.md).
"""

from __future__ import annotations

import os
import shutil
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from app import create_app
from tests.conftest import TEST_PASSWORD, fixed_settings

CHROMIUM = os.environ.get("ONESCREEN_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--no-first-run",
]


BROWSER_USER = "browser-analyst"  # every test server has it, with the same password and signing key


def add_browser_user(app) -> None:
    """The user the browser signs in as (an analyst: every unit, export and API)."""
    store = app.server.extensions["onescreen"].users
    if store.get(BROWSER_USER) is None:
        store.add(BROWSER_USER, "analyst", TEST_PASSWORD)


def sign_in_page(page, base_url: str, user: str = BROWSER_USER, password: str = TEST_PASSWORD) -> None:
    """Sign in through /login as a person would."""
    page.goto(f"{base_url}/login?lang=en")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The embedded demo served on a free port of 127.0.0.1; yields its base URL."""
    # The live feed on: "today" has rows up to the fixed clock (the README's wall screenshots show them).
    settings = fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=20_000, demo_live=True)
    app = create_app(settings)
    add_browser_user(app)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make system-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def auth_state(browser, live_server, tmp_path_factory):
    """Cookies of a browser signed in through /login, for new contexts (valid on every test server: they share
    the signing key and the user)."""
    context = browser.new_context()
    page = context.new_page()
    sign_in_page(page, live_server)
    path = tmp_path_factory.mktemp("auth") / "state.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


@pytest.fixture
def page(browser, auth_state):
    """A fresh signed-in page at 1600×1000 that records every request it makes (page.requested: their URLs)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, device_scale_factor=1,
                                  storage_state=auth_state)
    page = context.new_page()
    page.requested = []
    page.on("request", lambda req: page.requested.append(req.url))
    yield page
    context.close()


def outside(urls: list[str]) -> list[str]:
    """The URLs that leave this machine: any network scheme to a host other than 127.0.0.1."""
    return [u for u in urls if urlsplit(u).scheme not in ("blob", "data") and urlsplit(u).hostname != "127.0.0.1"]


@pytest.fixture(scope="module")
def wall_server(tmp_path_factory):
    """A separate embedded demo for wall tests that change its data: no refresh thread, so the test decides
    when a snapshot is published or a refresh fails. Yields url, runtime and data_dir."""
    from types import SimpleNamespace

    data_dir = tmp_path_factory.mktemp("wall-data")
    settings = fixed_settings(data_dir=data_dir, demo_scale=20_000, refresh_seconds=0)
    app = create_app(settings)
    add_browser_user(app)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(
        url=f"http://127.0.0.1:{server.server_port}", runtime=app.server.extensions["onescreen"], data_dir=data_dir
    )
    server.shutdown()
    thread.join(timeout=10)
