"""The app over HTTP and its callbacks called directly: pages, 404s, bad payloads, figures that reconcile."""

from __future__ import annotations

import json
import sqlite3

import plotly.graph_objects as go
import pytest

from app import create_app
from callbacks.overview import update_overview
from callbacks.router import render_page
from dashboard.errors import BadInput
from tests.conftest import as_leader, fixed_settings, sign_in
from tests.figdata import values

CSRF = {"X-CSRFToken": "test-csrf-token"}  # the cookie sign_in sets


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app for the module: no test here changes its data."""
    return create_app(fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=2_000, refresh_seconds=0))


@pytest.fixture
def client(app):
    client = app.server.test_client()
    sign_in(client, app, "leader")
    return client


def population_from_source(settings) -> dict[str, int]:
    """Population per unit read straight from the services SQLite file, bypassing the app."""
    path = settings.source_url("services").removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT code, population FROM district"))


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/district/230102", 200),
        ("/district/999999", 404),
        ("/district/230102/x", 404),
        ("/no-such-page", 404),
    ],
)
def test_pages_and_not_found(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    if status == 404:
        text = response.data.decode()
        assert "Traceback" not in text and ("没有编码为 999999 的区县" in text or "页面不存在" in text)


def test_index_loads_nothing_from_outside(client):
    html = client.get("/").data.decode()
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "/assets/style.css" in html


def test_health_reports_store_snapshot_and_sources(client):
    response = client.get("/health")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["store"]["backend"] == "local" and body["store"]["ok"] and body["store"]["serving"] == "store"
    assert body["last_refresh"]["failure"] is None and body["last_refresh"]["published"]["kind"] == "full"
    assert body["version"] == 1 and body["as_of"] and body["age_seconds"] == 0  # refreshed at the fixed clock
    ok = {"ok": True, "error": None}
    assert body["sources"] == {"services": ok, "reviews": ok, "indicators": ok}


def test_boundaries_asset_is_served(client):
    response = client.get("/boundaries.geojson")
    assert response.status_code == 200 and len(response.get_json()["features"]) == 18


def test_overview_draws_every_chart_for_a_metric(app):
    with as_leader(app):
        figs = update_overview("online_share", "2026-06", "230102", "?lang=en")
    figures, (table, verdict, city_text, explain) = [go.Figure(f) for f in figs[:6]], figs[6:]
    fig_map, fig_rank, lorenz, trend, decomposition, profile = figures
    missing, known = fig_map.data
    rows = table["props"]["children"][1]["props"]["children"]
    assert len(rows) == len(known.locations)  # every unit with data has a composite rank
    assert len(missing.locations) + len(known.locations) == 18 and all(0 <= z <= 1 for z in values(known.z))
    names = {name for trace in fig_rank.data for name in trace.y}
    assert len(names) == len(known.locations) and "Daoli" in names  # units without data are not ranked
    assert values(lorenz.data[1].x)[0] == 0 and values(lorenz.data[1].x)[-1] == 1
    assert [tr.name for tr in trend.data] == ["Gini", "Theil T"] and len(trend.data[0].x) >= 12
    assert [tr.name for tr in decomposition.data] == ["Between groups", "Within groups"]
    assert profile.data[0].name == "Daoli" and profile.data[1].name == "City"
    assert verdict.startswith("Last year") or verdict.startswith("Too few")
    assert city_text.startswith("City: ") and "population-weighted" in explain


@pytest.mark.parametrize(
    ("metric", "period", "unit", "message"),
    [
        ("'; DROP TABLE district; --", "2026-06", "230102", "unknown metric"),
        ("online_share", "June", "230102", "unknown period"),
        ("online_share", "1999-01", "230102", "no data"),
        ("online_share", "2026-06", "110101", "unknown unit"),
    ],
)
def test_overview_refuses_bad_input(app, metric, period, unit, message):
    with as_leader(app), pytest.raises(BadInput, match=message):
        update_overview(metric, period, unit, "")


@pytest.mark.parametrize(
    ("path", "search", "expected"),
    [
        ("/district/230104", "?lang=en", "Daowai"),
        ("/district/230104", "", "道外区"),
        ("/district/999999", "?lang=en", "There is no unit with code 999999."),
        ("/x", "?lang=en", "No such page: /x"),
    ],
)
def test_router(app, path, search, expected):
    with as_leader(app):
        page = render_page(path, search)
    assert expected in json.dumps(page, ensure_ascii=False)


def post_click(client, map_click=None, bar_click=None, changed="overview-map.clickData"):
    """Send the map/ranking click callback as the browser would."""
    payload = {
        "output": "url.pathname",
        "outputs": {"id": "url", "property": "pathname"},
        "inputs": [
            {"id": "overview-map", "property": "clickData", "value": map_click},
            {"id": "overview-ranking", "property": "clickData", "value": bar_click},
        ],
        "changedPropIds": [changed],
        "state": [],
    }
    return client.post("/_dash-update-component", json=payload, headers=CSRF)


def test_click_on_a_unit_opens_its_page(client):
    response = post_click(client, map_click={"points": [{"location": "230183"}]})
    assert response.status_code == 200
    assert response.get_json()["response"]["url"]["pathname"] == "/district/230183"
    response = post_click(
        client, bar_click={"points": [{"customdata": ["230102"]}]}, changed="overview-ranking.clickData"
    )
    assert response.get_json()["response"]["url"]["pathname"] == "/district/230102"


@pytest.mark.parametrize("click", [{"points": [{"location": "110101"}]}, {"points": []}, {"nonsense": 1}, "x"])
def test_a_click_naming_no_unit_goes_nowhere(client, click):
    response = post_click(client, map_click=click)
    assert response.status_code == 204  # no update: the page stays where it is


@pytest.mark.parametrize(
    "body",
    [
        {"output": "no-such.thing", "outputs": {"id": "no-such", "property": "thing"}, "inputs": [], "state": []},
        {"inputs": "not a list"},
        "this is not json",
    ],
)
def test_malformed_callback_request_is_a_400(client, body):
    if isinstance(body, str):
        response = client.post("/_dash-update-component", data=body, content_type="application/json",
                               headers=CSRF)
    else:
        response = client.post("/_dash-update-component", json=body, headers=CSRF)
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
    assert response.get_json()["error"]


def test_every_page_callback_is_registered(client):
    outputs = {d["output"] for d in client.get("/_dash-dependencies").get_json()}
    assert "page.children" in outputs and "url.pathname" in outputs
    assert any("overview-map.figure" in o for o in outputs)
    assert any("quality-grid.rowData" in o for o in outputs)


def test_only_the_embedded_demo_says_its_data_is_synthetic(app, make_settings, tmp_path):
    with as_leader(app):
        assert "synthetic" in json.dumps(render_page("/", "?lang=en"))
    url = app.server.extensions["onescreen"].settings.source_url("services")
    real = create_app(
        make_settings(
            data_dir=tmp_path / "other",
            services_url=url,
            reviews_url=url.replace("services", "reviews"),
            indicators_url=url.replace("services", "indicators"),
        )
    )
    with as_leader(real):
        assert "synthetic" not in json.dumps(render_page("/", "?lang=en"))


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/dash/..%2f..%2fapp.py",
        "/_dash-component-suites/dash/dcc/../../../app.py",
        "/_dash-component-suites/nope/x.js",
        "/assets/..%2f..%2fapp.py",
    ],
)
def test_paths_outside_the_served_files_are_404_without_a_traceback(client, path, caplog):
    response = client.get(path)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "import" not in text and "Traceback" not in text
    assert not [r for r in caplog.records if r.exc_info]
