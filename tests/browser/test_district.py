"""The district page in Chromium: filters in the URL (change, reload, back), tables that sort and filter, no
horizontal overflow at 1920×1080, and the README's screenshot."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import outside

ROOT = Path(__file__).resolve().parents[2]
GRID_ROWS = "#district-departments .ag-center-cols-container .ag-row"


def open_district(page, live_server, query="?lang=en"):
    page.goto(f"{live_server}/district/230102{query}")
    page.wait_for_selector(GRID_ROWS, timeout=30_000)
    page.wait_for_selector("#district-trend-requests .js-plotly-plot", timeout=30_000)


# The department codes of a grid's rows as displayed, top to bottom.
LEFT_CODES = """(grid) => [...document.querySelectorAll('#' + grid + ' .ag-pinned-left-cols-container .ag-row')]
    .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
    .map(r => r.querySelector('[col-id=department_code]').textContent)"""


def codes(page, grid: str) -> list[str]:
    """The department codes of a grid's rows as displayed, top to bottom."""
    return page.evaluate(f"({LEFT_CODES})({grid!r})")


def choose(page, dropdown: str, value: str) -> None:
    page.click(f"#{dropdown}")
    page.locator(f"[role=option]:has(input[value='{value}'])").click()


def test_the_district_page_fits_1920_and_makes_the_readme_screenshot(browser, auth_state, live_server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, device_scale_factor=1,
                                  storage_state=auth_state)
    page = context.new_page()
    requested = []
    page.on("request", lambda req: requested.append(req.url))
    open_district(page, live_server)
    assert page.locator(".district-name").inner_text() == "Daoli"
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    assert page.locator("#error-message").inner_text() == ""
    assert page.locator(".standing-table tbody tr").count() == 5
    assert not outside(requested)
    shots = ROOT / "docs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "district.png"))
    context.close()


def test_filters_live_in_the_url_reload_restores_them_and_back_returns(page, live_server):
    open_district(page, live_server)
    choose(page, "district-by", "week")
    page.wait_for_url("**by=week**")
    assert "from=" in page.url and "department=all" in page.url and "lang=en" in page.url
    choose(page, "district-channel", "web")
    page.wait_for_url("**channel=web**")
    page.wait_for_function("""() => {  // web only: every week's online share is 100%
        const y = document.querySelector('#district-trend-online_share .js-plotly-plot')?._fullData?.[0]?.y;
        return !!y && y.length > 0 && Array.from(y).every(v => v === 1 || Number.isNaN(v) || v === null);
    }""")
    page.reload()
    page.wait_for_selector(GRID_ROWS, timeout=30_000)
    assert page.locator("#district-channel-value").inner_text() == "Web"
    assert page.locator("#district-by-value").inner_text() == "week"
    page.go_back()
    page.wait_for_url(lambda url: "by=week" in url and "channel=all" in url)
    page.wait_for_function("document.querySelector('#district-channel-value')?.innerText === 'All'")


def test_a_department_table_sorts_and_filters(page, live_server):
    open_district(page, live_server)
    before = codes(page, "district-departments")
    assert len(before) > 3 and before != sorted(before)  # by volume at first
    page.click("#district-departments .ag-header-cell[col-id=department_code] .ag-header-cell-label")
    page.wait_for_function(f"() => ({LEFT_CODES})('district-departments').join() === {sorted(before)!r}.join()")
    page.evaluate("""() => dash_ag_grid.getApi('district-departments').setFilterModel(
        {department_code: {filterType: 'text', type: 'equals', filter: 'GAJ'}})""")
    page.wait_for_function(f"() => ({LEFT_CODES})('district-departments').join() === 'GAJ'")


def test_a_malformed_filter_in_a_link_says_so_on_the_page(page, live_server):
    page.goto(f"{live_server}/district/230102?lang=en&from=2026-99-01")
    page.wait_for_selector(GRID_ROWS, timeout=30_000)
    assert "A filter is not valid: from: not a date" in page.locator("#district-note").inner_text()
