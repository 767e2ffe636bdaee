"""The aggregates API: answers equal the pages' answers and the source rows, ETag and 304, 400s that name the
parameter, streamed large results, and a property-based run of every operation of its own OpenAPI document."""

from __future__ import annotations

import io
import json
import sqlite3

import jsonschema
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from dashboard.answers import metrics as metric_answers
from dashboard.answers import overview as overview_answers
from dashboard.metrics import CATALOGUE
from tests.conftest import TEST_NOW, fixed_settings, leader_view, sign_in


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=4_000, refresh_seconds=0))


@pytest.fixture(scope="module")
def client(app):
    client = app.server.test_client()
    sign_in(client, app, "analyst")
    return client


@pytest.fixture(scope="module")
def rt(app):
    return app.server.extensions["onescreen"]


@pytest.fixture(scope="module")
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_metrics_json_and_csv_equal_the_metric_table(client, rt):
    body = client.get("/api/v1/metrics?granularity=year").get_json()
    view = leader_view(rt)
    assert body["meta"]["version"] == view.version and len(body["meta"]["scope"]) == 18
    table = view.metric_table("year")
    assert len(body["rows"]) == len(table)
    for row in body["rows"][::7]:
        for metric in ("requests", "bad_rate", "g5_base_stations_per_10k", "median_hours"):
            want = table.loc[(row["unit"], row["period"]), metric]
            assert (row[metric] is None and pd.isna(want)) or row[metric] == pytest.approx(want, rel=1e-12)
    csv = client.get("/api/v1/metrics?granularity=year&format=csv").data
    assert csv.startswith("\ufeff".encode())
    frame = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig", dtype={"unit": str, "period": str})
    assert len(frame) == len(table) and list(frame.columns) == ["unit", "period", *CATALOGUE]


def test_an_api_figure_reconciles_with_the_source_rows(client, rt):
    path = rt.settings.source_url("reviews").removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # bad reviews given in 2026-06 in 230102, raw, minus the bad-row rules
        bad, given = conn.execute(
            "SELECT sum(score <= 2), count(*) FROM (SELECT DISTINCT review_id, score FROM review"
            " WHERE district_code = '230102' AND created_at >= '2026-06-01' AND created_at < '2026-07-01'"
            " AND score BETWEEN 1 AND 5 AND channel IN ('web','app','window','self_service','hotline')"
            " AND (rectified_at IS NULL OR (rectified_at >= created_at AND rectified_at <= ?)))",
            (TEST_NOW.isoformat(sep=" "),)).fetchone()
    row = client.get("/api/v1/metrics?period=2026-06&unit=230102&metrics=reviews,bad_rate").get_json()["rows"][0]
    assert row["reviews"] == given and row["bad_rate"] == pytest.approx(bad / given)


def test_units_balance_and_quality_equal_their_answers(client, rt):
    view = leader_view(rt)
    units = client.get("/api/v1/units").get_json()["rows"]
    assert [u["code"] for u in units] == list(metric_answers.units(view).rows["code"])
    balance = client.get("/api/v1/balance?metric=online_share&granularity=month").get_json()
    want = overview_answers.balance(view, "online_share", "month").rows
    assert [r["period"] for r in balance["rows"]] == list(want["period"])
    assert [r["gini"] for r in balance["rows"]] == pytest.approx(list(want["gini"]), nan_ok=True)
    assert balance["meta"]["notes"] == {"weighted": True, "verdict": overview_answers.balance(
        view, "online_share", "month").provenance.notes["verdict"]}
    quality = client.get("/api/v1/quality?table=review&format=csv").data
    frame = pd.read_csv(io.BytesIO(quality), encoding="utf-8-sig", keep_default_na=False)
    assert set(frame["table"]) == {"review"} and frame["rows"].sum() > 0


def test_etag_is_the_snapshot_version_and_a_repeat_gets_304(client, rt):
    first = client.get("/api/v1/metrics?granularity=year&unit=city")
    assert first.headers["ETag"].startswith(f'"{leader_view(rt).version}-')  # the version, and the scope
    again = client.get("/api/v1/metrics?granularity=year&unit=city", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    stale = client.get("/api/v1/metrics?granularity=year&unit=city", headers={"If-None-Match": '"0"'})
    assert stale.status_code == 200


def test_large_results_stream(client):
    response = client.get("/api/v1/metrics", buffered=False)
    assert response.is_streamed
    body = json.loads(b"".join(response.response))
    assert len(body["rows"]) > 500


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/metrics?colour=red", "colour"),
        ("/api/v1/metrics?granularity=week", "granularity"),
        ("/api/v1/metrics?period=2026", "period"),
        ("/api/v1/metrics?unit=999999", "unit"),
        ("/api/v1/metrics?metrics=requests,drop%20table", "metrics"),
        ("/api/v1/balance", "metric"),
        ("/api/v1/balance?metric=population", "metric"),
        ("/api/v1/quality?reason=nope", "reason"),
        ("/api/v1/units?format=xml", "format"),
    ],
)
def test_unknown_parameters_or_values_get_a_400_naming_them(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["parameter"] == parameter and b"Traceback" not in response.data


def strategy_for(schema: dict) -> st.SearchStrategy:
    """Values for one query parameter: what its schema allows, and what it does not."""
    allowed = schema.get("enum") or [v.get("const") for v in schema.get("anyOf", []) if "const" in v]
    junk = st.one_of(st.text(max_size=30), st.integers().map(str), st.just(""), st.just("2026-06"), st.just("city"),
                     st.just("requests,bad_rate"), st.just("230102"))
    return st.one_of(st.sampled_from(allowed), junk) if allowed else junk


def resolve(schema: dict, document: dict) -> dict:
    return {**schema, "components": document["components"]}


def caller(client, document, path: str, operation: dict):
    """A Hypothesis test calling one operation with generated query parameters."""
    params = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}
    ok_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]

    @settings(max_examples=30, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.fixed_dictionaries({}, optional={k: strategy_for(v) for k, v in params.items()}),
           st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=1))
    def call(query, extra):
        response = client.get(path, query_string={**query, **extra})
        assert response.status_code in (200, 304, 400), (path, query, extra, response.data[:200])
        if response.status_code == 200 and response.is_json:
            jsonschema.validate(response.get_json(), resolve(ok_schema, document))
        if response.status_code == 400:
            error = response.get_json()
            jsonschema.validate(error, resolve({"$ref": "#/components/schemas/ErrorResponse"}, document))

    return call


def test_every_operation_of_the_openapi_document_holds_under_generated_parameters(client, document):
    operations = [(path, spec["get"]) for path, spec in document["paths"].items() if "get" in spec]
    assert {p for p, _ in operations} == {"/api/v1/units", "/api/v1/metrics", "/api/v1/balance", "/api/v1/ranking",
                                         "/api/v1/quality"}
    for path, operation in operations:
        caller(client, document, path, operation)()
