"""Hostile URLs: generated query parameters and paths for every page, export and API route, and generated login
forms. Every answer is below 500, carries no traceback, stays under a size cap, comes back without unbounded work,
and a manager's answers never name a unit outside the manager's scope."""

from __future__ import annotations

import io
import logging
import re
import time
import zipfile
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from dashboard.answers.pages import PAGES
from tests.conftest import fixed_settings, sign_in

MANAGED = "230102"
NAMES = ["metric", "period", "unit", "granularity", "metrics", "format", "table", "reason", "from", "to", "by",
         "department", "channel", "lang", "panels", "dwell", "token", "next", "w", "h"]
VALUES = ["requests", "bad_rate", "online_share", "population", "2026-06", "2026", "2026-13", "0000-00", "city",
          MANAGED, "230184", "999999", "all", "review", "service_request", "csv", "json", "xml", "month", "year",
          "week", "day", "2026-01-01", "2026-06-30", "1900-01-01", "9999-12-31", "GAJ", "app", "window", "en", "zh",
          "reviews,bad_rate", "a," * 500, "%00", "../../etc/passwd", "=1+1", "'; DROP TABLE review;--"]
TEXT = st.text(max_size=30)
LONG = st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "9", ",", "统", "%"]), st.integers(500, 20_000))
# Mostly names and values the routes take, so that generated requests get past the first check into the answers.
NAME = st.one_of(*[st.sampled_from(NAMES)] * 5, TEXT)
VALUE = st.one_of(*[st.sampled_from(VALUES)] * 3, TEXT, LONG)
QUERY = st.lists(st.tuples(NAME, VALUE), max_size=4, unique_by=lambda pair: pair[0])
PANEL_ROUTES = [f"/export/district/{{code}}/{panel}" if page == "district" else f"/export/{page}/{panel}"
                for page in PAGES for panel in PAGES[page].panels]
ROUTES = ["/api/v1/units", "/api/v1/metrics", "/api/v1/balance", "/api/v1/quality", "/", "/wall", "/quality",
          "/district/{code}", "/export/overview.zip", "/export/wall.zip", "/export/district/{code}.zip",
          *[r + ".csv" for r in PANEL_ROUTES], *[r + ".xlsx" for r in PANEL_ROUTES]]
CODE = st.one_of(st.sampled_from([MANAGED, "230184", "230100", "999999", "..", "%2e%2e", "x" * 300]), TEXT)
RESPONSE_LIMIT = 5_000_000  # bytes: the largest real export of this demo (a district zip) is a fraction of it
HANG_GUARD_SECONDS = 20  # not a speed measure (bench/ does that): catches work that grows without bound
EXAMPLES = 300


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=2_000, refresh_seconds=0))


@pytest.fixture(scope="module")
def clients(app):
    """An analyst (every unit, exports and API) and a manager of one unit."""
    analyst, manager = app.server.test_client(), app.server.test_client()
    sign_in(analyst, app, "analyst")
    sign_in(manager, app, "manager", (MANAGED,))
    return {"analyst": analyst, "manager": manager}


def readable(response) -> str:
    """The response as text, with zip and xlsx members unpacked."""
    data = response.data
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return " ".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return data.decode("utf-8", "replace")


def outside(text: str, city_codes: list[str]) -> set[str]:
    """Unit codes of the city other than the managed one named in the text."""
    return {code for code in re.findall(r"\b23\d{4}\b", text) if code in city_codes and code != MANAGED}


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), code=CODE, query=QUERY, who=st.sampled_from(["analyst", "manager"]))
def run_one(app, clients, route, code, query, who):
    path = route.replace("{code}", quote(code, safe=""))
    url = path + ("?" + urlencode(query) if query else "")
    sign_in(clients[who], app, who, (MANAGED,) if who == "manager" else ())  # a refused ?token= signs out
    started = time.monotonic()
    response = clients[who].get(url)
    elapsed = time.monotonic() - started
    assert response.status_code < 500, (url[:300], response.status_code, response.data[:300])
    assert len(response.data) < RESPONSE_LIMIT, url[:300]
    assert elapsed < HANG_GUARD_SECONDS, url[:300]
    text = readable(response)
    assert "Traceback" not in text
    if who == "manager" and response.status_code == 200 and not path.startswith(("/wall", "/quality")) \
            and path != "/":
        codes = app.server.extensions["onescreen"].city.codes
        assert not outside(text, codes), (url[:300], sorted(outside(text, codes))[:5])


def test_generated_urls_never_break_a_route_or_leave_the_scope(app, clients, caplog):
    caplog.set_level(logging.WARNING)
    run_one(app, clients)
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks, tracebacks[0].getMessage()


def test_a_manager_gets_no_other_unit_from_any_route_naming_it(app, clients):
    """Not left to chance: every route with another unit's code, for the manager, says no and names nothing."""
    manager = clients["manager"]
    for route in ROUTES:
        for query in ({"unit": "230184"}, {}):
            sign_in(manager, app, "manager", (MANAGED,))
            url = route.replace("{code}", "230184") + ("?" + urlencode(query) if query else "")
            response = manager.get(url)
            assert response.status_code < 500, url
            if "{code}" in route:
                assert response.status_code in (400, 403, 404), url  # 400: a parameter the route does not take
            if response.status_code == 200 and route not in ("/", "/wall", "/quality"):
                assert not outside(readable(response), app.server.extensions["onescreen"].city.codes), url


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(["username", "password", "next", "lang", "csrf", "x"]),
                            st.one_of(TEXT, LONG, st.sampled_from(["demo-admin", "//evil.example", "/wall"])),
                            max_size=4),
       next_path=st.one_of(st.none(), TEXT, st.sampled_from(["//evil.example/", "/\t/evil", "javascript:x"])))
def post_login(app, form, next_path):
    client = app.server.test_client()
    address = f"10.{len(post_login.seen) // 250 % 250}.{len(post_login.seen) % 250}.9"  # under the per-address limit
    post_login.seen.append(address)
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).data.decode()
    if "csrf" not in form:  # mostly the form's real token, so that generated credentials reach the password check
        form = {**form, "csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1)}
    url = "/login" + ("?" + urlencode({"next": next_path}) if next_path is not None else "")
    response = client.post(url, data=form, environ_base={"REMOTE_ADDR": address})
    assert response.status_code in (200, 303, 400, 401, 413, 429), (response.status_code, response.data[:200])
    location = response.headers.get("Location", "")
    assert not location.startswith(("//", "http:", "https:", "javascript:")), location
    assert b"Traceback" not in response.data


post_login.seen = []


def test_generated_login_forms_get_a_page_or_a_refusal_never_an_error(app, caplog):
    caplog.set_level(logging.WARNING)
    post_login(app)
    assert len(post_login.seen) >= 60
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks, tracebacks[0].getMessage()
