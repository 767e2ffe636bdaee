"""The wall screen in Chromium: it fills 1920×1080 and 3840×2160 exactly, rotates without the server, says when
its data is stale and why, keeps alerts in a rail and is taken over for one dwell when a breach starts, and runs
hundreds of refresh cycles without its JS heap or DOM growing."""

from __future__ import annotations

import itertools
import shutil
import statistics
import time
from pathlib import Path

import pytest

from tests.browser.conftest import outside
from tests.frames import with_overdue

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
SIZES = [(1920, 1080), (3840, 2160)]

DRAWN = "() => document.getElementById('wall-drawn')?.textContent || ''"
MAP_IDLE = """() => {
  const gd = document.querySelector('#wall-map .js-plotly-plot');
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  return !!map && map.loaded() && map.queryRenderedFeatures().length > 0;
}"""

# Everything the fit test needs in one look: scrollbars, the root's box, each tile's box, and every element of
# the tiles, header, stage titles and alert whose content is wider or taller than its box.
FIT = """() => {
  const W = innerWidth, H = innerHeight, doc = document.documentElement;
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const over = [];
  for (const el of document.querySelectorAll(
      '.wall-tile, .wall-tile *, .wall-header, .wall-header *, .wall-panel-head *, .wall-alert.active *, .wall-rail'
      )) {
    if (el.clientWidth === 0 && el.clientHeight === 0) continue;  // inline or hidden: measured by its parent
    if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
      over.push(`${el.className}: ${el.textContent.slice(0, 40)} ${el.scrollWidth}x${el.scrollHeight}`
                + ` in ${el.clientWidth}x${el.clientHeight}`);
    }
  }
  return {
    scroll: [doc.scrollWidth, doc.scrollHeight, document.body.scrollWidth, document.body.scrollHeight],
    viewport: [W, H],
    root: box(document.getElementById('wall')),
    tiles: [...document.querySelectorAll('.wall-tile')].map(box),
    overflowing: over,
  };
}"""

ACTIVE = "() => [...document.querySelectorAll('.wall-panel.active')].map(p => p.id)"


def open_wall(page, base: str, query: str = "") -> None:
    """Load the wall and wait until it has drawn a snapshot and its map has rendered."""
    page.goto(f"{base}/wall{query}")
    page.wait_for_function(DRAWN, timeout=30_000)
    page.wait_for_selector("#wall-map .js-plotly-plot", state="attached", timeout=30_000)
    page.wait_for_function(MAP_IDLE, timeout=30_000)


def new_page(browser, auth_state, width: int, height: int):
    """A signed-in page of exactly this size that records the URLs it requests."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  storage_state=auth_state)
    page = context.new_page()
    page.requested = []
    page.on("request", lambda req: page.requested.append(req.url))
    return page


def assert_fits(page, width: int, height: int) -> None:
    """No scrollbar, the wall exactly the viewport, every tile inside it, no text wider or taller than its box."""
    fit = page.evaluate(FIT)
    assert fit["viewport"] == [width, height]
    assert fit["scroll"] == [width, height, width, height], "the page scrolls"
    assert fit["root"] == [0, 0, width, height]
    assert len(fit["tiles"]) == 6
    for left, top, right, bottom in fit["tiles"]:
        assert 0 <= left < right <= width and 0 <= top < bottom <= height
    assert fit["overflowing"] == []


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["1080p", "4k"])
def test_the_wall_fills_the_screen_in_both_languages(browser, auth_state, live_server, width, height):
    page = new_page(browser, auth_state, width, height)
    try:
        for lang in ("en", "zh"):  # English names are the longer ones
            open_wall(page, live_server, f"?lang={lang}&dwell=3600")
            assert_fits(page, width, height)
            title = "Harbin · One Screen" if lang == "en" else "哈尔滨市 · 一屏观城"
            assert page.locator(".wall-title").inner_text() == title
        assert page.locator(".app-header").count() == 0  # the light pages' header is not on the wall
        assert page.evaluate(ACTIVE) == ["wall-panel-map"]
        assert page.locator("#wall-as-of").inner_text().startswith("数据截至 ")
        assert page.locator("#wall-clock").inner_text()
        assert len(page.requested) > 5 and not outside(page.requested)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"wall-{width}x{height}.png"))
        page.evaluate("() => { document.querySelector('.wall-tile-title').textContent = 'Requests '.repeat(9); }")
        assert page.evaluate(FIT)["overflowing"], "the fit check must see text wider than its tile"
    finally:
        page.context.close()


def test_rotation_follows_the_playlist_in_the_browser_only(browser, auth_state, live_server):
    page = new_page(browser, auth_state, 1920, 1080)
    try:
        open_wall(page, live_server, "?panels=ranking,trend&dwell=2&poll=3600")
        calls = len([u for u in page.requested if "_dash-update-component" in u])
        seen, switches, clock = [], [], set()
        deadline = time.monotonic() + 7
        while time.monotonic() < deadline:
            active = page.evaluate(ACTIVE)
            assert len(active) == 1
            if not seen or seen[-1] != active[0]:
                seen.append(active[0])
                switches.append(time.monotonic())
            clock.add(page.locator("#wall-clock").inner_text())
            time.sleep(0.1)
        assert len(seen) >= 3 and set(seen) == {"wall-panel-ranking", "wall-panel-trend"}  # never the map
        dwells = [b - a for a, b in itertools.pairwise(switches[1:])]  # the first is cut by the test's start
        assert dwells and all(1.5 < d < 2.8 for d in dwells), dwells  # every 2 s
        assert len(clock) >= 5  # the clock ticks
        assert len([u for u in page.requested if "_dash-update-component" in u]) == calls  # no request at all
    finally:
        page.context.close()


def badge(page) -> dict:
    """The stale badge's text and whether it is visible."""
    return page.evaluate(
        """() => { const b = document.getElementById('wall-badge');
                   return {text: b.textContent, visible: getComputedStyle(b).visibility === 'visible'}; }"""
    )


def test_stale_badge_while_a_source_is_unreachable(browser, auth_state, wall_server):
    rt, services = wall_server.runtime, wall_server.data_dir / "services.sqlite"
    page = new_page(browser, auth_state, 1920, 1080)
    moved = services.with_name("services.sqlite.away")
    try:
        open_wall(page, wall_server.url, "?lang=en&poll=0.3")
        shown = page.evaluate(DRAWN)
        tiles = page.locator("#wall-tiles").inner_text()
        assert badge(page) == {"text": "", "visible": False}
        shutil.move(services, moved)
        rt.sources.dispose()  # drop pooled connections to the moved file; SQLite now opens an empty one
        assert rt.refresh_now() is None and rt.store.last_failure()
        page.wait_for_function("() => document.getElementById('wall-badge').textContent !== ''", timeout=10_000)
        stale = badge(page)
        assert stale["visible"] and stale["text"].startswith("Data may be out of date: refresh failing since ")
        assert "no such table" in stale["text"]
        assert_fits(page, 1920, 1080)
        assert page.evaluate(DRAWN) == shown and page.locator("#wall-tiles").inner_text() == tiles  # last good
    finally:
        rt.sources.dispose()
        if moved.exists():
            services.unlink(missing_ok=True)  # the empty file SQLite created in its place
            shutil.move(moved, services)
    try:
        version = rt.refresh_now()
        assert version is not None
        page.wait_for_function(f"() => document.getElementById('wall-drawn').textContent === '{version}'")
        page.wait_for_function("() => document.getElementById('wall-badge').textContent === ''", timeout=10_000)
        assert not badge(page)["visible"]
    finally:
        page.context.close()


def test_the_browser_says_the_data_is_old_when_the_server_is_unreachable(browser, auth_state, wall_server):
    rt = wall_server.runtime
    page = new_page(browser, auth_state, 1920, 1080)
    try:
        page.clock.install()
        open_wall(page, wall_server.url, "?lang=en&poll=0.5")
        page.route("**/_dash-update-component*", lambda route: route.abort())  # the server is gone
        page.clock.fast_forward("40:00")  # 40 minutes pass with no answer
        page.wait_for_function("() => document.getElementById('wall-badge').textContent !== ''", timeout=10_000)
        stale = badge(page)
        assert stale["visible"] and stale["text"].startswith("No new data for over 30 min (as of ")
        page.unroute("**/_dash-update-component*")  # it is back, with new data
        snap = rt.reader.get()
        version = rt.store.publish(snap.frames, snap.as_of, snap.meta)
        page.wait_for_function(f"() => document.getElementById('wall-drawn').textContent === '{version}'")
        page.wait_for_function("() => document.getElementById('wall-badge').textContent === ''", timeout=10_000)
    finally:
        page.context.close()


RAIL_KEYS = """() => [...document.querySelectorAll('#wall-rail .wall-rail-item')]
                   .map(e => e.dataset.unit + '/' + e.dataset.kind)"""


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_alerts_share_the_screen_and_take_over_only_when_a_breach_starts(browser, auth_state, wall_server, width,
                                                                          height):
    rt = wall_server.runtime
    snap = rt.reader.get()
    now = rt.clock.now()
    on_before = with_overdue(snap.frames, "230104", 25, now)
    rt.store.publish(on_before, snap.as_of, snap.meta)  # a breach that is on before the screen loads
    page = new_page(browser, auth_state, width, height)
    try:
        open_wall(page, wall_server.url, "?poll=0.3&dwell=2")
        assert page.evaluate(RAIL_KEYS) == ["230104/overdue"]
        rail = page.locator("#wall-rail.active")
        assert "道外区" in rail.inner_text() and "阈值 20" in rail.inner_text() and "自 " in rail.inner_text()
        page.wait_for_timeout(600)
        assert page.locator("#wall-alert.active").count() == 0  # already on at load: the rail only, no takeover
        assert_fits(page, width, height)

        started = rt.store.publish(with_overdue(on_before, "230102", 40, now), snap.as_of, snap.meta)
        page.wait_for_function(f"() => document.getElementById('wall-drawn').textContent === '{started}'")
        takeover = page.locator("#wall-alert.active")
        takeover.wait_for(timeout=5_000)  # a breach starts: the takeover covers the stage
        assert takeover.locator('li[data-unit="230102"][data-kind="overdue"]').count() == 1
        covers = page.evaluate(
            """() => { const a = document.getElementById('wall-alert').getBoundingClientRect();
                       const el = document.getElementById('wall-stage'), s = el.getBoundingClientRect();
                       const bx = el.clientLeft, by = el.clientTop;  // inside the stage's border
                       return [a.left - s.left - bx, a.top - s.top - by, s.right - bx - a.right,
                               s.bottom - by - a.bottom]; }"""
        )
        assert all(abs(v) <= 1 for v in covers), covers  # the takeover covers the whole stage
        assert_fits(page, width, height)
        panels_seen = {tuple(page.evaluate(ACTIVE))}
        deadline = time.monotonic() + 8
        while page.locator("#wall-alert.active").count() and time.monotonic() < deadline:
            panels_seen.add(tuple(page.evaluate(ACTIVE)))
            page.wait_for_timeout(100)
        assert page.locator("#wall-alert.active").count() == 0  # one dwell (2 s), then the stage shows again
        page.wait_for_timeout(2_200)
        panels_seen.add(tuple(page.evaluate(ACTIVE)))
        assert len(panels_seen) >= 2  # the rotation went on beneath the takeover
        assert page.evaluate(RAIL_KEYS) == ["230102/overdue", "230104/overdue"]  # worst first, still there

        cleared = rt.store.publish(snap.frames, snap.as_of, snap.meta)
        page.wait_for_function(f"() => document.getElementById('wall-drawn').textContent === '{cleared}'")
        assert page.evaluate(RAIL_KEYS) == [] and page.locator("#wall-rail.calm").count() == 1
        assert page.locator("#wall-alert.active").count() == 0
    finally:
        rt.store.publish(snap.frames, snap.as_of, snap.meta)
        page.context.close()


# Any animation frame where the wall shows less than a full set of tiles and graphs counts as a blank moment.
WATCH_BLANK = """() => {
  window.__blank = 0; window.__frames = 0;
  const look = () => {
    const values = [...document.querySelectorAll('#wall-tiles .wall-value')];
    const plots = [...document.querySelectorAll('.wall-graph .js-plotly-plot')];
    const drawn = plots.filter(p => p.querySelector('.main-svg')).length;
    if (values.length !== 10 || values.some(v => !v.textContent) || plots.length !== 3 || drawn !== 3) {
      window.__blank++;
    }
    window.__frames++;
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}"""
# Elements on the page, less the one Dash shows while a request is out (a poll every 0.1 s); the length of the
# renderer's undo history, which assets/wall.js keeps short.
SAMPLE = """() => ({
  elements: document.getElementsByTagName('*').length - document.querySelectorAll('._dash-loading-callback').length,
  history: window.store ? window.store.getState().history.past.length : null})"""


def test_hundreds_of_refresh_cycles_keep_heap_and_dom_flat(browser, auth_state, wall_server):
    """Poll every 0.1 s for about 45 s, publishing a new snapshot whenever the last one is drawn; after garbage
    collection the JS heap stays within 20% of its early level and the DOM keeps exactly its size."""
    rt = wall_server.runtime
    snap = rt.reader.get()
    page = new_page(browser, auth_state, 1280, 720)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    try:
        open_wall(page, wall_server.url, "?poll=0.1&dwell=3")
        page.evaluate(WATCH_BLANK)
        polls_at_start = len([u for u in page.requested if "_dash-update-component" in u])
        samples, redraws, started = [], 0, time.monotonic()
        while time.monotonic() - started < 45:
            version = rt.store.publish(snap.frames, snap.as_of, snap.meta)
            page.wait_for_function(f"() => document.getElementById('wall-drawn').textContent === '{version}'")
            redraws += 1
            if redraws % 5 == 0:
                page.wait_for_timeout(300)  # let plotly finish before measuring
                cdp.send("HeapProfiler.collectGarbage")
                heap = cdp.send("Runtime.getHeapUsage")["usedSize"]
                metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
                samples.append({"heap": heap, "nodes": metrics["Nodes"], "listeners": metrics["JSEventListeners"],
                                **page.evaluate(SAMPLE)})
        polls = len([u for u in page.requested if "_dash-update-component" in u]) - polls_at_start
        blank, frames = page.evaluate("() => [window.__blank, window.__frames]")
    finally:
        page.context.close()
    early, late = samples[2:5], samples[-3:]  # the first samples still hold start-up garbage and JIT warm-up
    report = {
        "polls": polls, "redraws": redraws, "frames watched": frames, "blank frames": blank,
        "heap MB": [round(s["heap"] / 2**20, 2) for s in samples],
        "elements": sorted({s["elements"] for s in samples}),
        "nodes": [int(s["nodes"]) for s in samples],
        "listeners": [int(s["listeners"]) for s in samples],
        "history": [s["history"] for s in samples],
    }
    print("\nwall long run:", report)
    assert polls >= 300 and redraws >= 30, report
    assert blank == 0, report
    assert len({s["elements"] for s in samples[1:]}) == 1, report  # the same DOM after every redraw
    assert max(s["heap"] for s in late) <= 1.2 * statistics.median(s["heap"] for s in early), report
    assert max(s["nodes"] for s in late) <= 1.2 * statistics.median(s["nodes"] for s in early), report
    assert max(s["listeners"] for s in late) <= max(s["listeners"] for s in early) + 10, report
    assert all(s["history"] is None or s["history"] <= 20 for s in samples), report  # kept 10, trimmed 4×/s
