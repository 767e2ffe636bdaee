"""An analyst clicks an export in Chromium: the downloaded file holds exactly what the panel showed."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.browser.test_overview import MAP, choose, open_overview


def test_the_ranking_csv_downloaded_in_the_browser_equals_the_bars_on_screen(browser, auth_state, live_server,
                                                                             tmp_path):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True,
                                  storage_state=auth_state)
    page = context.new_page()
    open_overview(page, live_server, "?lang=en&metric=online_share&period=2026-03&unit=230102")
    choose(page, "overview-metric", "bad_rate")  # the link follows the choice
    page.wait_for_url("**metric=bad_rate**")
    page.wait_for_function("document.querySelector('#overview-ranking .js-plotly-plot')"
                           "?.layout?.xaxis?.title?.text?.startsWith('Bad-review rate')")
    link = page.locator('#overview-ranking').locator("xpath=..").locator("a.export-link", has_text="CSV")
    page.wait_for_function("""() => [...document.querySelectorAll('a.export-link')]
        .some(a => a.href.includes('/export/overview/unit_values.csv') && a.href.includes('metric=bad_rate'))""")
    with page.expect_download() as info:
        link.click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert download.suggested_filename.startswith("onescreen-overview-unit_values-v")
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype={"code": str})
    bars = page.evaluate("""() => {
        const gd = document.querySelector('#overview-ranking .js-plotly-plot');
        const out = {};
        gd._fullData.forEach(t => Array.from(t.y).forEach((name, i) => { out[name] = t.x[i]; }));
        return out;
    }""")
    shown = frame.dropna(subset=["value"]).set_index("name_en")["value"].to_dict()
    assert shown == pytest.approx(bars) and len(shown) == len(bars) > 10
    page.wait_for_selector(MAP)
    context.close()
