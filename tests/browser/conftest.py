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
from tests.conftest import fixed_settings

CHROMIUM = os.environ.get("ONESCREEN_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--no-first-run",
]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The embedded demo served on a free port of 127.0.0.1; yields its base URL."""
    settings = fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=20_000)
    app = create_app(settings)
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


@pytest.fixture
def page(browser):
    """A fresh page at 1600×1000 that records every request it makes (page.requested: their URLs)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, device_scale_factor=1)
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
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(
        url=f"http://127.0.0.1:{server.server_port}", runtime=app.server.extensions["onescreen"], data_dir=data_dir
    )
    server.shutdown()
    thread.join(timeout=10)
