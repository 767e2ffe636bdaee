"""The data-quality page in Chromium: counts, charts and the listing of quarantined rows."""

from __future__ import annotations

from tests.browser.conftest import outside


def test_quality_page_shows_counts_charts_and_listing(page, live_server):
    page.goto(f"{live_server}/quality?lang=en")
    page.wait_for_selector("#quality-summary")
    page.wait_for_selector("#quality-grid .ag-row", timeout=30_000)
    page.wait_for_selector("#quality-by-reason .bars path")
    bad_requests = int(page.locator('#quality-summary td[data-table="service_request"]').inner_text().replace(",", ""))
    assert bad_requests > 0
    assert page.locator("#quality-grid .ag-row").count() >= 10
    page.locator("#quality-reason").click()
    page.get_by_role("option", name="Duplicate id").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('#quality-grid .ag-row [col-id="reason"]')]
              .every(c => c.textContent === 'Duplicate id')"""
    )
    assert not outside(page.requested)
