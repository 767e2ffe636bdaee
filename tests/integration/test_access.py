"""Access on every path that returns data: login, roles × routes × units, cache isolation, wall tokens, audit,
headers and CSRF. A district manager never sees another unit's figures, names or rows."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from app import create_app
from callbacks.district import update_district
from callbacks.overview import update_overview
from callbacks.quality import update_quality
from callbacks.router import render_page
from callbacks.wall import draw_wall
from dashboard.access import AccessDenied, Viewer, decide
from dashboard.errors import BadInput
from dashboard.settings import SettingsError, load_settings
from tests.conftest import TEST_PASSWORD, as_leader, fixed_settings, sign_in
from tests.figdata import values

MINE, OTHER = "230102", "230103"  # Daoli (granted to the manager), Nangang (not)
OTHER_MARKS = ("230103", "Nangang", "南岗区")
CSRF = {"X-CSRFToken": "test-csrf-token"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=4_000, refresh_seconds=0))


@pytest.fixture(scope="module")
def rt(app):
    return app.server.extensions["onescreen"]


def client_as(app, role: str | None, units=()):
    client = app.server.test_client()
    if role is not None:
        sign_in(client, app, role, units)
    return client


def leaks(text: str) -> list[str]:
    return [m for m in OTHER_MARKS if m in text]


def test_the_decision_table():
    codes = ("a", "b", "c")
    assert decide(None, codes).units == frozenset() and not decide(None, codes).actions
    assert decide(Viewer("x", None), codes).actions == frozenset()
    assert decide(Viewer("x", "leader"), codes).units == frozenset(codes)
    assert decide(Viewer("x", "leader"), codes).actions == {"view"}
    manager = decide(Viewer("x", "manager", frozenset({"b", "zz"})), codes)
    assert manager.units == {"b"} and manager.actions == {"view", "export", "api"} and not manager.whole_city
    assert decide(Viewer("x", "manager"), codes).actions == frozenset()  # no grant: nothing at all
    assert decide(Viewer("x", "analyst"), codes).actions == {"view", "export", "api"}
    assert decide(Viewer("x", "admin"), codes).units == frozenset()  # users, tokens, audit: no data
    assert decide(Viewer("w", "leader", frozenset({"a"}), kind="token"), codes).actions == {"view"}


def test_login_form_failures_lockout_and_logout(app, rt):
    rt.users.add("lina", "leader", TEST_PASSWORD)
    client = app.server.test_client()
    assert client.get("/").status_code == 303  # no session: to the login page
    for lang, word in (("zh", "用户名"), ("en", "User name")):
        page = client.get(f"/login?lang={lang}").get_data(as_text=True)
        assert word in page and 'name="username"' in page and 'name="password"' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    bad = client.post("/login?lang=en", data={"username": "lina", "password": "wrong password!", "csrf": csrf})
    assert bad.status_code == 401 and "not right" in bad.get_data(as_text=True)
    for _ in range(4):
        client.post("/login?lang=en", data={"username": "lina", "password": "wrong password!", "csrf": csrf})
    locked = client.post("/login?lang=en", data={"username": "lina", "password": TEST_PASSWORD, "csrf": csrf})
    assert locked.status_code == 401 and "locked" in locked.get_data(as_text=True)
    rt.clock.set(rt.clock.now() + timedelta(minutes=16))  # the lock ends
    try:
        ok = client.post("/login?next=/quality", data={"username": "lina", "password": TEST_PASSWORD, "csrf": csrf})
        assert ok.status_code == 303 and ok.headers["Location"].endswith("/quality")
        assert "HttpOnly" in ok.headers["Set-Cookie"] and "SameSite=Lax" in ok.headers["Set-Cookie"]
        assert client.get("/").status_code == 200
        assert client.get("/logout").status_code == 303 and client.get("/").status_code == 303
    finally:
        rt.clock.set(None)
        rt.clock.set(fixed_settings().now)
    actions = [r["action"] for r in rt.users.audit_rows(50) if r["who"] == "lina"]
    assert {"login_failed", "login_locked", "login", "logout"} <= set(actions)
    assert not any(TEST_PASSWORD in r["what"] for r in rt.users.audit_rows(200))  # no secret in the log


def test_login_is_rate_limited_per_client(app):
    client = app.server.test_client()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    codes = [client.post("/login", data={"username": "nobody", "password": "x" * 12, "csrf": csrf},
                         environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    other = client.post("/login", data={"username": "nobody", "password": "x" * 12, "csrf": csrf},
                        environ_base={"REMOTE_ADDR": "10.9.9.10"})
    assert other.status_code == 401  # another client is not limited


def test_a_session_ends_when_idle(app, rt):
    client = client_as(app, "leader")
    assert client.get("/").status_code == 200
    rt.clock.set(rt.clock.now() + timedelta(minutes=31))
    try:
        assert client.get("/").status_code == 303
    finally:
        rt.clock.set(fixed_settings().now)


# --- role × route × unit -----------------------------------------------------------------------------------------

ROUTES = [
    "/export/overview/unit_values.csv?metric=requests",
    "/export/overview/composite.csv",
    "/export/overview/quarterly_ranking.csv",
    f"/export/district/{MINE}/items.csv",
    "/export/wall/month_values.csv",
    "/export/wall/alerts.csv",
    "/api/v1/units",
    "/api/v1/metrics?granularity=year",
    "/api/v1/balance?metric=bad_rate",
    "/api/v1/ranking",
]


@pytest.mark.parametrize("route", ROUTES)
def test_a_manager_gets_only_their_unit_from_exports_and_the_api(app, route):
    response = client_as(app, "manager", [MINE]).get(route)
    assert response.status_code == 200, response.data[:200]
    assert not leaks(response.get_data(as_text=True)), route


@pytest.mark.parametrize(
    ("role", "route", "status"),
    [
        ("manager", f"/export/district/{OTHER}/items.csv", 400),  # as if the unit did not exist
        ("manager", f"/export/district/{OTHER}.zip", 400),
        ("manager", "/export/quality/listing.csv", 403),
        ("manager", "/api/v1/quality", 403),
        ("manager", f"/api/v1/metrics?unit={OTHER}", 400),
        ("leader", "/export/overview/unit_values.csv", 403),  # leaders read pages; analysts export
        ("leader", "/api/v1/units", 403),
        ("admin", "/export/overview/unit_values.csv", 403),
        ("admin", "/api/v1/units", 403),
        (None, "/export/overview/unit_values.csv", 401),
        (None, "/api/v1/units", 401),
        ("analyst", "/export/quality/listing.csv", 200),
        ("analyst", f"/api/v1/metrics?unit={OTHER}", 200),
    ],
)
def test_refusals_by_role(app, role, route, status):
    response = client_as(app, role, [MINE] if role == "manager" else ()).get(route)
    assert response.status_code == status, (role, route, response.data[:200])
    if status != 200:  # a refusal may echo the code asked for, never another unit's name or figures
        assert not [m for m in leaks(response.get_data(as_text=True)) if m != OTHER]


def test_a_managers_pages_and_callbacks_hold_only_their_unit(app, rt):
    client = client_as(app, "manager", [MINE])
    assert client.get(f"/district/{MINE}").status_code == 200
    assert client.get(f"/district/{OTHER}").status_code == 404  # not told the unit exists
    with as_leader(app, "manager", [MINE]):
        page = json.dumps(render_page("/", "?lang=en"), ensure_ascii=False)
        assert "Daoli" in page and not leaks(page)  # the unit picker lists only the granted unit
        out = update_overview("requests", "2026-06", MINE, "?lang=en")
        drawn = json.dumps(out, ensure_ascii=False)
        assert not leaks(drawn)
        assert values(out[2]["data"][1]["x"]) == []  # no Lorenz curve: each point would be one unit's share
        assert [loc for trace in out[0]["data"] for loc in trace["locations"]] == [MINE]  # the map: their unit
        with pytest.raises(BadInput):
            update_overview("requests", "2026-06", OTHER, "?lang=en")  # a forged unit code
        with pytest.raises(BadInput):
            update_district(None, None, "month", "all", "all", f"/district/{OTHER}", "?lang=en")
        assert not leaks(json.dumps(update_district(None, None, "month", "all", "all", f"/district/{MINE}", ""),
                                    ensure_ascii=False))
        assert not leaks(json.dumps(draw_wall(1, {"w": 1920, "h": 1080}, "?lang=en"), ensure_ascii=False))
        with pytest.raises(AccessDenied):
            update_quality("all", "all", "?lang=en")  # raw rows of every unit: not for a unit-scoped viewer
        assert "Not allowed" in json.dumps(render_page("/quality", "?lang=en"))


def test_cache_isolation_between_managers_and_after_a_grant_changes(app, rt):
    first = client_as(app, "manager", [MINE])
    second = client_as(app, "manager", ["230184"])
    a = first.get("/api/v1/units").get_json()["rows"]
    b = second.get("/api/v1/units").get_json()["rows"]
    assert [u["code"] for u in a] == [MINE] and [u["code"] for u in b] == ["230184"]  # same question, asked in turn
    name = f"test-manager-{MINE}"
    rt.users.grant(name, ["230184"])
    assert {u["code"] for u in first.get("/api/v1/units").get_json()["rows"]} == {MINE, "230184"}
    rt.users.revoke(name, ["230184"])
    assert [u["code"] for u in first.get("/api/v1/units").get_json()["rows"]] == [MINE]
    rt.users.disable(name)
    try:
        assert first.get("/api/v1/units").status_code == 401  # never anonymous, never unfiltered
    finally:
        rt.users.enable(name)


# --- wall tokens ---------------------------------------------------------------------------------------------------


def test_a_wall_token_is_exchanged_once_scoped_and_refused_once_revoked_or_expired(app, rt):
    token = rt.users.create_token("hall-screen", [MINE], days=30, now=rt.clock.now())
    client = app.server.test_client()
    response = client.get(f"/wall?token={token}&lang=en")
    assert response.status_code == 303 and "token" not in response.headers["Location"]
    assert response.headers["Location"].endswith("/wall?lang=en")
    assert client.get("/wall?lang=en").status_code == 200
    client.set_cookie("_csrf_token", "test-csrf-token")
    assert client.get("/export/wall/month_values.csv").status_code == 403  # a token only reads pages
    assert client.get("/api/v1/units").status_code == 403
    rt.users.revoke_token("hall-screen")
    assert client.get("/wall").status_code == 303  # to login: not anonymous, not unfiltered
    assert client.post("/_dash-update-component", json={}, headers=CSRF).status_code == 401
    assert app.server.test_client().get(f"/wall?token={token}").status_code == 403
    expiring = rt.users.create_token("lobby", [], days=1, now=rt.clock.now())
    rt.clock.set(rt.clock.now() + timedelta(days=2))
    try:
        assert app.server.test_client().get(f"/wall?token={expiring}").status_code == 403
    finally:
        rt.clock.set(fixed_settings().now)
    actions = {r["action"] for r in rt.users.audit_rows(200)}
    assert {"token_used", "token_refused"} <= actions
    assert not any(token in r["what"] for r in rt.users.audit_rows(200))


# --- audit, headers, CSRF, secrets --------------------------------------------------------------------------------


def test_exports_and_api_calls_are_audited_with_who_what_where_and_scope(app, rt):
    client_as(app, "manager", [MINE]).get(f"/export/district/{MINE}/items.csv?by=week")
    client_as(app, "analyst").get("/api/v1/units")
    rows = rt.users.audit_rows(20)
    export = next(r for r in rows if r["action"] == "export")
    assert export["who"] == f"test-manager-{MINE}" and "/export/district/230102/items.csv" in export["what"]
    assert export["scope"] == MINE and export["source"]
    assert any(r["action"] == "api" and r["who"] == "test-analyst-all" for r in rows)


def test_an_admin_reads_the_audit_log_and_others_may_not(app):
    assert client_as(app, "admin").get("/admin/audit?lang=en").status_code == 200
    assert "Audit log" in client_as(app, "admin").get("/admin/audit?lang=en").get_data(as_text=True)
    assert client_as(app, "analyst").get("/admin/audit").status_code == 403


def test_security_headers_and_no_server_version(app):
    response = client_as(app, "leader").get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert not re.search(r"https?://", csp)  # no outside origin
    assert "sha256-" in csp  # Dash's inline scripts by hash
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Werkzeug" not in response.headers.get("Server", "") and "Python" not in response.headers.get("Server", "")


def test_a_callback_post_without_the_csrf_header_is_refused(app):
    client = client_as(app, "leader")
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": "/"}], "changedPropIds": ["url.pathname"],
            "state": [{"id": "url", "property": "search", "value": ""}]}
    assert client.post("/_dash-update-component", json=body).status_code == 403
    assert client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": "other"}).status_code == 403
    assert client.post("/_dash-update-component", json=body, headers=CSRF).status_code == 200


def test_outside_the_demo_a_missing_or_short_secret_stops_start_up(monkeypatch):
    monkeypatch.delenv("ONESCREEN_SECRET_KEY")
    monkeypatch.setenv("ONESCREEN_SERVICES_URL", "postgresql+psycopg://u@db/x")
    with pytest.raises(SettingsError, match="ONESCREEN_SECRET_KEY is required"):
        load_settings()
    monkeypatch.setenv("ONESCREEN_SECRET_KEY", "hunter2-short")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "ONESCREEN_SECRET_KEY=<hidden>" in str(err.value) and "hunter2" not in str(err.value)


def test_the_demo_prints_one_account_per_role_and_a_deployment_has_none(make_settings, capsys, tmp_path):
    demo = create_app(make_settings())
    err = capsys.readouterr().err
    assert all(f"demo-{role}" in err for role in ("leader", "manager", "analyst", "admin"))
    assert len(demo.server.extensions["onescreen"].users.list()) == 4
    url = demo.server.extensions["onescreen"].settings.source_url("services")
    real = create_app(make_settings(data_dir=tmp_path / "real", services_url=url,
                                    reviews_url=url.replace("services", "reviews"),
                                    indicators_url=url.replace("services", "indicators")))
    assert real.server.extensions["onescreen"].users.list() == []


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/",
                                    "/\n/evil.example", "/ /evil.example"])
def test_login_never_redirects_to_another_host(app, rt, target):
    from urllib.parse import quote

    if rt.users.get("redir") is None:
        rt.users.add("redir", "leader", TEST_PASSWORD)
    client = app.server.test_client()
    page = client.get(f"/login?next={quote(target, safe='')}").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post(f"/login?next={quote(target, safe='')}",
                           data={"username": "redir", "password": TEST_PASSWORD, "csrf": csrf},
                           environ_base={"REMOTE_ADDR": f"10.8.{len(target)}.{ord(target[1])}"})  # own rate limit
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_token_exchange_never_redirects_to_another_host(app, rt):
    token = rt.users.create_token("redirect-check", [], days=1, now=rt.clock.now())
    response = app.server.test_client().get(f"/%09/evil.example?token={token}")
    location = response.headers.get("Location", "")
    assert response.status_code == 303 and location.startswith("/") and not location.startswith("//")
    assert not any(ord(ch) < 0x21 for ch in location)  # a tab or newline a browser would drop into '//evil'
    assert "token=" not in location


def test_the_product_hashes_passwords_with_rfc_9106_low_memory_argon2id():
    from argon2 import PasswordHasher, extract_parameters, profiles

    from tests.conftest import PRODUCT_HASH_PARAMETERS

    assert PRODUCT_HASH_PARAMETERS == profiles.RFC_9106_LOW_MEMORY  # what users.HASH_PARAMETERS ships with
    hashed = PasswordHasher.from_parameters(PRODUCT_HASH_PARAMETERS).hash("x" * 12)
    assert extract_parameters(hashed).memory_cost == 65536 and hashed.startswith("$argon2id$")
