"""The overview in real Chromium: 18 units drawn, nothing from outside, real Chinese glyphs, clicks open units."""

from __future__ import annotations

from pathlib import Path

import shapely
from shapely.geometry import shape

from dashboard.regions import load_boundaries
from tests.browser.conftest import outside

ROOT = Path(__file__).resolve().parents[2]
MAP = "#overview-map .js-plotly-plot"

RENDERED_UNITS = """() => {
  const map = document.querySelector('#overview-map .js-plotly-plot')._fullLayout.map._subplot.map;
  const fills = map.queryRenderedFeatures().filter(f => f.layer.id.endsWith('-fill'));
  return [...new Set(fills.map(f => JSON.stringify(f.properties.ct)))].length;
}"""

MAP_IDLE = """() => {
  const gd = document.querySelector('#overview-map .js-plotly-plot');
  const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot.map;
  return !!map && map.loaded() && map.areTilesLoaded() && map.queryRenderedFeatures().length > 0;
}"""

# Two different characters drawn in the page's font: with no CJK font both come out as the same empty box.
GLYPHS_DIFFER = """() => {
  const font = getComputedStyle(document.querySelector('.brand')).fontFamily;
  const draw = (ch) => {
    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const g = c.getContext('2d'); g.font = '48px ' + font; g.fillText(ch, 4, 52);
    return Array.from(g.getImageData(0, 0, 64, 64).data);
  };
  const a = draw('道'), b = draw('里'), blank = new Array(a.length).fill(0);
  const same = (x, y) => x.every((v, i) => v === y[i]);
  return {differ: !same(a, b), inked: !same(a, blank) && !same(b, blank)};
}"""


def open_overview(page, live_server, query=""):
    page.goto(f"{live_server}/{query}")
    page.wait_for_selector(MAP, timeout=30_000)
    page.wait_for_function(MAP_IDLE, timeout=30_000)


def test_overview_draws_every_unit_from_local_resources_only(page, live_server):
    open_overview(page, live_server)
    assert page.evaluate(RENDERED_UNITS) == 18
    assert page.locator("#overview-ranking .ytick").count() == 18
    assert len(page.requested) > 10 and not outside(page.requested)
    shots = ROOT / "docs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "overview.png"))


def test_chinese_text_renders_with_a_real_font(page, live_server):
    open_overview(page, live_server)
    assert page.locator(".brand").inner_text() == "一屏观城"
    assert page.evaluate(GLYPHS_DIFFER) == {"differ": True, "inked": True}


def test_clicking_a_unit_on_the_map_opens_its_page(page, live_server, city):
    open_overview(page, live_server)
    target = "230104"  # 道外区, a small core district: the click must land inside its outline
    feature = next(f for f in load_boundaries(city)["features"] if f["properties"]["code"] == target)
    point = shapely.point_on_surface(shape(feature["geometry"]))
    x, y = page.evaluate(
        """([lon, lat]) => {
          const gd = document.querySelector('#overview-map .js-plotly-plot');
          const map = gd._fullLayout.map._subplot.map;
          const p = map.project([lon, lat]);
          const r = map.getCanvas().getBoundingClientRect();
          return [r.left + p.x, r.top + p.y];
        }""",
        [point.x, point.y],
    )
    page.mouse.click(x, y)
    page.wait_for_url(f"{live_server}/district/{target}", timeout=10_000)
    heading = page.locator(".district-name")
    heading.wait_for()
    assert heading.inner_text() == "道外区" and heading.get_attribute("data-code") == target


def test_language_switch_and_ranking_click(page, live_server):
    open_overview(page, live_server)
    page.click("#lang-switch")
    page.wait_for_function("document.querySelector('.brand')?.innerText === 'One Screen'")  # a full load
    page.wait_for_selector("#overview-ranking .ytick")
    page.wait_for_function(
        "[...document.querySelectorAll('#overview-ranking .ytick')].some(t => t.textContent === 'Shangzhi')"
    )
    bar = page.locator("#overview-ranking .point path").first
    bar.wait_for()
    box = page.evaluate(
        """() => {
          const gd = document.querySelector('#overview-ranking .js-plotly-plot');
          const ticks = [...document.querySelectorAll('#overview-ranking .ytick')];
          const tick = ticks.find(t => t.textContent === 'Shangzhi').getBoundingClientRect();
          const plot = gd.querySelector('.nsewdrag').getBoundingClientRect();
          return [plot.left + 5, tick.top + tick.height / 2];
        }"""
    )
    page.mouse.click(*box)
    page.wait_for_url(f"{live_server}/district/230183?lang=en", timeout=10_000)
    page.wait_for_function("document.querySelector('.district-name')?.innerText === 'Shangzhi'")


def test_the_outside_check_catches_a_foreign_request():
    assert outside(["https://cdn.plot.ly/plotly.min.js", "http://127.0.0.1:1/x", "blob:http://127.0.0.1/1"]) == [
        "https://cdn.plot.ly/plotly.min.js"
    ]


def shown(page, dropdown: str) -> str:
    """The label a dropdown shows."""
    return page.locator(f"#{dropdown}-value").inner_text()


def choose(page, dropdown: str, value: str) -> None:
    """Open a dropdown and pick the option with this value, as a person would."""
    page.click(f"#{dropdown}")
    page.locator(f"[role=option]:has(input[value='{value}'])").click()


def test_the_overviews_state_lives_in_the_url(page, live_server):
    state = "?lang=en&metric=bad_rate&period=2026-03&unit=230184"
    open_overview(page, live_server, state)  # a link reproduces the view
    assert shown(page, "overview-metric").endswith("Bad-review rate") and shown(page, "overview-period") == "2026-03"
    assert shown(page, "overview-unit") == "Wuchang"
    page.wait_for_function(
        "document.querySelector('#overview-profile .js-plotly-plot')?.data?.[0]?.name === 'Wuchang'")

    choose(page, "overview-metric", "online_share")  # a choice writes the query
    page.wait_for_url(f"{live_server}/?lang=en&metric=online_share&period=2026-03&unit=230184")
    page.wait_for_function("document.querySelector('#overview-ranking .js-plotly-plot')"
                           "?.layout?.xaxis?.title?.text?.startsWith('Online share')")
    choose(page, "overview-period", "2025")
    page.wait_for_url(f"{live_server}/?lang=en&metric=online_share&period=2025&unit=230184")

    page.reload()  # reload restores it
    page.wait_for_selector(MAP, timeout=30_000)
    assert shown(page, "overview-metric").endswith("Online share") and shown(page, "overview-period") == "2025"

    page.go_back()  # back and forward move between the states, and the page follows
    page.wait_for_url(f"{live_server}/?lang=en&metric=online_share&period=2026-03&unit=230184")
    page.wait_for_function("document.querySelector('#overview-period-value')?.innerText === '2026-03'")
    page.go_back()
    page.wait_for_url(f"{live_server}/{state}")
    page.wait_for_function("document.querySelector('#overview-metric-value')?.innerText.endsWith('Bad-review rate')")
    page.wait_for_function("document.querySelector('#overview-ranking .js-plotly-plot')"
                           "?.layout?.xaxis?.title?.text?.startsWith('Bad-review rate')")
    page.go_forward()
    page.wait_for_function("document.querySelector('#overview-metric-value')?.innerText.endsWith('Online share')")


def test_a_link_with_values_the_page_does_not_offer_shows_the_defaults_and_says_so(page, live_server):
    open_overview(page, live_server, "?lang=en&metric=population&unit=999999")
    assert shown(page, "overview-metric").endswith("Online share")
    assert "does not offer the link's metric, unit" in page.locator("#overview-note").inner_text()
