"""Overview callback latency through Dash's own dispatch, against a trivial callback measured in the same run.

Goal (issue 5): p50 of an overview callback at most 5x the trivial callback's p50, on a warm snapshot.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from dash import Dash, Input, Output, html

from app import create_app
from dashboard.settings import Settings

ROUNDS = 200


def trivial_app() -> Dash:
    """A Dash app whose only callback echoes its input."""
    app = Dash(__name__)
    app.layout = html.Div([html.Div(id="in"), html.Div(id="out")])
    app.callback(Output("out", "children"), Input("in", "children"))(lambda value: value)
    return app


def payload(output: str, out_id: str, out_prop: str, inputs: list, state: list | None = None) -> dict:
    """The JSON body the browser sends for a callback."""
    return {
        "output": output,
        "outputs": {"id": out_id, "property": out_prop},
        "inputs": inputs,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
        "state": state or [],
    }


def timings(client, body: dict, rounds: int = ROUNDS) -> list[float]:
    """Milliseconds per POST to the callback endpoint, after a warm-up."""
    for _ in range(5):
        assert client.post("/_dash-update-component", json=body).status_code == 200
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.post("/_dash-update-component", json=body)
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(values: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    q = statistics.quantiles(values, n=100)
    return statistics.median(values), q[98]


def main() -> None:
    """Print p50/p99 of the trivial and the overview callbacks and their ratio."""
    base = trivial_app().server.test_client()
    trivial = summary(
        timings(base, payload("out.children", "out", "children", [{"id": "in", "property": "children", "value": "x"}]))
    )
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(_env_file=None, data_dir=Path(tmp)))
        client = app.server.test_client()
        body = payload(
            "..overview-map.figure...overview-ranking.figure..",
            "overview-map",
            "figure",
            [{"id": "overview-metric", "property": "value", "value": "population"}],
            [{"id": "url", "property": "search", "value": ""}],
        )
        body["outputs"] = [
            {"id": "overview-map", "property": "figure"},
            {"id": "overview-ranking", "property": "figure"},
        ]
        overview = summary(timings(client, body))
    print(f"{'callback':<28}{'p50 ms':>10}{'p99 ms':>10}{'p50 ratio':>12}")
    print(f"{'trivial (baseline)':<28}{trivial[0]:>10.2f}{trivial[1]:>10.2f}{1.0:>12.2f}")
    print(f"{'overview map + ranking':<28}{overview[0]:>10.2f}{overview[1]:>10.2f}{overview[0] / trivial[0]:>12.2f}")
