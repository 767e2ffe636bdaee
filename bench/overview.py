"""Overview callback latency through Dash's own dispatch, against a trivial callback measured in the same run.

Goal (issue 5): p50 of each overview callback at most 5x the trivial callback's p50, on a warm snapshot.
Answers are cached per snapshot version, scope and validated inputs (dashboard.view.AnswerCache, reached through
the request's pinned view); the "cold inputs" row asks for a combination never asked before on every call, so it
measures building the answers and figures themselves. The district page's "cold new months" row also moves the
range's months on every call, so that nothing drawn from the monthly tables is cached.
`python -m bench overview [--scale N] [--rounds N]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from dash import Dash, Input, Output, html

from app import create_app
from dashboard.access import Viewer
from dashboard.settings import Settings

CSRF = {"X-CSRFToken": "bench-csrf"}


def signed_client(app, role: str = "analyst"):
    """A test client signed in as a benchmark user of `role`, with the CSRF cookie its callback POSTs need."""
    rt = app.server.extensions["onescreen"]
    name = f"bench-{role}"
    if rt.users.get(name) is None:
        rt.users.add(name, role, "bench password 1234")
    client = app.server.test_client()
    with client.session_transaction() as session:
        session["user"] = name
        session["seen"] = rt.clock.now().timestamp()
    client.set_cookie("_csrf_token", CSRF["X-CSRFToken"])
    return client


def trivial_app() -> Dash:
    """A Dash app whose only callback echoes its input."""
    app = Dash(__name__)
    app.layout = html.Div([html.Div(id="in"), html.Div(id="out")])
    app.callback(Output("out", "children"), Input("in", "children"))(lambda value: value)
    return app


def payload(outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]], state=()) -> dict:
    """The JSON body the browser sends for a callback."""
    outs = [{"id": i, "property": p} for i, p in outputs]
    multi = len(outs) > 1
    return {
        "output": (".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..")
        if multi
        else f"{outputs[0][0]}.{outputs[0][1]}",
        "outputs": outs if multi else outs[0],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
    }


def timings(client, body: dict, rounds: int) -> list[float]:
    """Milliseconds per POST to the callback endpoint, after a warm-up."""
    for _ in range(3):
        response = client.post("/_dash-update-component", json=body, headers=CSRF)
        assert response.status_code == 200, response.data[:300]
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.post("/_dash-update-component", json=body, headers=CSRF)
        out.append((time.perf_counter() - start) * 1000)
    return out


def cold_timings(client, period: str, rounds: int) -> list[float]:
    """Milliseconds per overview call with inputs never asked before (nothing cached for them)."""
    from dashboard.metrics import OVERVIEW_METRICS

    combos = [(m, u) for m in OVERVIEW_METRICS for u in ("230102", "230113", "230125", "230184")]
    out = []
    for metric, unit in combos[:rounds]:
        body = payload(
            OVERVIEW_OUTPUTS,
            [
                ("overview-metric", "value", metric),
                ("overview-period", "value", period),
                ("overview-unit", "value", unit),
            ],
            [("url", "search", "")],
        )
        start = time.perf_counter()
        client.post("/_dash-update-component", json=body, headers=CSRF)
        out.append((time.perf_counter() - start) * 1000)
    return out


def callback_body(dep: dict, values: dict[str, object]) -> dict:
    """The browser's JSON for one callback of /_dash-dependencies, inputs and state filled from `values` by
    "id.property" (None where absent)."""
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1), strict=True))
               for o in dep["output"].strip(".").split("...")]
    multi = dep["output"].startswith("..")
    fill = lambda items: [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]  # noqa: E731
    return {"output": dep["output"], "outputs": outputs if multi else outputs[0], "inputs": fill(dep["inputs"]),
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"],
            "state": fill(dep["state"])}


def district_cold_timings(client, rounds: int, step_days: int = 1, first: date = date(2025, 1, 1)) -> list[float]:
    """Milliseconds per district-page call with filters never asked before: 120-day ranges from `first`, each
    starting `step_days` after the last (1: the months mostly repeat, as when a manager moves a range by days;
    35: other months each call, so nothing drawn from the monthly tables is cached either)."""
    deps = client.get("/_dash-dependencies").get_json()
    main = next(d for d in deps if "district-departments.rowData" in d["output"])
    values = {"district-by.value": "week", "district-department.value": None, "district-channel.value": None,
              "url.search": ""}
    out = []
    for i in range(rounds):
        code = ("230102", "230113", "230125", "230184")[i % 4]
        start = first + timedelta(days=i * step_days)  # a new range each call
        inputs = values | {"district-dates.start_date": start.isoformat(),
                           "district-dates.end_date": (start + timedelta(days=120)).isoformat(),
                           "url.pathname": f"/district/{code}"}
        body = callback_body(main, inputs)
        started = time.perf_counter()
        response = client.post("/_dash-update-component", json=body, headers=CSRF)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.data[:300]
    return out


def summary(values: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    q = statistics.quantiles(values, n=100)
    return statistics.median(values), q[98]


OVERVIEW_OUTPUTS = [
    ("overview-map", "figure"),
    ("overview-ranking", "figure"),
    ("overview-lorenz", "figure"),
    ("overview-trend", "figure"),
    ("overview-decomposition", "figure"),
    ("overview-profile", "figure"),
    ("overview-composite", "children"),
    ("overview-verdict", "children"),
    ("overview-city-value", "children"),
    ("overview-lorenz-explain", "children"),
]


def callbacks(period: str) -> dict[str, dict]:
    """The overview page's callbacks, as the browser sends them."""
    search = [("url", "search", "")]
    return {
        "page (router)": payload([("page", "children")], [("url", "pathname", "/")], [("url", "search", "")]),
        "overview charts": payload(
            OVERVIEW_OUTPUTS,
            [
                ("overview-metric", "value", "online_share"),
                ("overview-period", "value", period),
                ("overview-unit", "value", "230102"),
            ],
            search,
        ),
        "overview charts (year)": payload(
            OVERVIEW_OUTPUTS,
            [
                ("overview-metric", "value", "bad_rate"),
                ("overview-period", "value", period[:4]),
                ("overview-unit", "value", "230184"),
            ],
            search,
        ),
        "click to open a unit": payload(
            [("url", "pathname")],
            [
                ("overview-map", "clickData", {"points": [{"location": "230104"}]}),
                ("overview-ranking", "clickData", None),
            ],
        ),
    }


def main(argv: list[str] | None = None) -> None:
    """Print p50/p99 of the trivial and each overview callback and the ratio of their p50s."""
    parser = argparse.ArgumentParser(prog="python -m bench overview")
    parser.add_argument("--scale", type=int, default=100_000, help="demo requests behind the snapshot")
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv or [])
    base = trivial_app().server.test_client()
    trivial = summary(timings(base, payload([("out", "children")], [("in", "children", "x")]), args.rounds * 5))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), demo_scale=args.scale, refresh_seconds=0)
        app = create_app(settings)
        client = signed_client(app)
        rt = app.server.extensions["onescreen"]
        months = rt.view(rt.decide(Viewer("bench", "analyst"))).metric_table("month")
        period = sorted(months.index.get_level_values("period").unique())[-2]
        rows = [("trivial (baseline)", trivial)]
        rows += [(name, summary(timings(client, body, args.rounds))) for name, body in callbacks(period).items()]
        rows.append(("overview charts, cold inputs", summary(cold_timings(client, period, args.rounds))))
        rows.append(("district page, cold inputs", summary(district_cold_timings(client, args.rounds))))
        # after the months the row above asked for, and within the demo's data
        new_months = district_cold_timings(client, min(args.rounds, 12), 35, date(2025, 8, 1))
        rows.append(("district, cold new months", summary(new_months)))
    print(f"{'callback':<28}{'p50 ms':>10}{'p99 ms':>10}{'p50 / trivial':>15}   goal <= 5")
    for name, (p50, p99) in rows:
        print(f"{name:<28}{p50:>10.2f}{p99:>10.2f}{p50 / trivial[0]:>15.1f}")
