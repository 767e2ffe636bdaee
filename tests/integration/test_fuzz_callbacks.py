"""Forged callback payloads: every registered callback (found from /_dash-dependencies) answers generated
inputs with a 2xx or a 4xx, never a 5xx, a traceback in the log or an unbounded response; bodies have a size cap."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import MAX_REQUEST_BYTES, create_app
from callbacks import registry
from tests.conftest import fixed_settings, sign_in

# Values a real page sends, so that generated payloads also reach the code behind the validation.
MEANINGFUL = [
    "online_share", "bad_rate", "population", "requests", "2026-10", "2026", "2026-13", "230102", "230184", "999999",
    "?lang=en", "?lang=zh&metric=bad_rate", "?panels=map&dwell=abc", "/", "/district/230102", "/wall", "/quality",
    "all", "review", "bad_score", {"w": 1920, "h": 1080}, {"w": 3840, "h": 2160}, {"w": 1e308, "h": -1},
    {"points": [{"location": "230104"}]}, {"points": [{"customdata": ["230102"]}]}, {"points": []}, 0, 7, None,
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
LONG = st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "/", "?", "统"]), st.integers(2_000, 200_000))
VALUE = st.one_of(st.sampled_from(MEANINGFUL), JSON, LONG)
RESPONSE_LIMIT = 2_000_000  # bytes: the largest real answer (the overview's six figures) is a fraction of this


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=2_000, refresh_seconds=0))


@pytest.fixture(scope="module")
def dependencies(app):
    return app.server.test_client().get("/_dash-dependencies").get_json()


@pytest.fixture(scope="module")
def signed(app):
    """A signed-in client (analyst: every unit) and the CSRF header its callback POSTs carry."""
    client = app.server.test_client()
    return client, sign_in(client, app, "analyst")


def body(dep: dict, inputs: list, state: list) -> str:
    """The JSON the browser posts for one callback, as text (NaN and Infinity as JavaScript would write them)."""
    multi = dep["output"].startswith("..")
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in dep["output"].strip(".").split("...")]
    return json.dumps(
        {
            "output": dep["output"],
            "outputs": outputs if multi else outputs[0],
            "inputs": [{**i, "value": v} for i, v in zip(dep["inputs"], inputs)],
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"],
            "state": [{**s, "value": v} for s, v in zip(dep["state"], state)],
        }
    )


def test_every_registered_callback_is_fuzzed(dependencies):
    assert len(dependencies) == len(registry._CALLBACKS) >= 7  # all of them, discovered, not listed by hand
    outputs = {d["output"] for d in dependencies}
    assert "page.children" in outputs and any("overview-map.figure" in o for o in outputs)


def poster(client, dep: dict, headers: dict):
    """A Hypothesis test posting generated inputs and state to one callback."""

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.lists(VALUE, min_size=len(dep["inputs"]), max_size=len(dep["inputs"])),
           st.lists(VALUE, min_size=len(dep["state"]), max_size=len(dep["state"])))
    def post(inputs, state):
        response = client.post("/_dash-update-component", data=body(dep, inputs, state),
                               content_type="application/json", headers=headers)
        assert response.status_code in (200, 204, 400, 413), (dep["output"], response.data[:300])
        assert len(response.data) < RESPONSE_LIMIT
        assert b"Traceback" not in response.data

    return post


def test_generated_payloads_never_break_a_callback(signed, dependencies, caplog):
    client, headers = signed
    caplog.set_level(logging.WARNING)
    for dep in dependencies:
        poster(client, dep, headers)()
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks, tracebacks[0].getMessage()


def test_a_request_body_over_the_cap_is_refused_before_it_is_read(signed, dependencies):
    client, headers = signed
    dep = next(d for d in dependencies if d["output"] == "page.children")
    payload = body(dep, ["/" + "x" * MAX_REQUEST_BYTES], [""])
    response = client.post("/_dash-update-component", data=payload, content_type="application/json",
                           headers=headers)
    assert response.status_code == 413


def test_an_oversized_path_is_not_a_page(app, signed, dependencies):
    client, headers = signed
    dep = next(d for d in dependencies if d["output"] == "page.children")
    response = client.post("/_dash-update-component", data=body(dep, ["/" + "y" * 100_000], ["?lang=en"]),
                           content_type="application/json", headers=headers)
    assert response.status_code == 200 and b"No such page" in response.data and len(response.data) < 20_000
    rt = app.server.extensions["onescreen"]
    assert not any("y" * 300 in repr(k) for k in rt.answers._items)  # only parsed routes are cache keys
