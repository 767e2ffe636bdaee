"""Exports and API answers at the demo's default scale: size and time of the largest ones, beside a trivial
route serving the same number of bytes in the same run (the floor of the HTTP path itself).

`python -m bench export [--scale N] [--rounds N]`. The first round of each is cold (nothing cached for the
page's answers); the figure is the median of the rounds after it, with the cold one shown apart.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import flask

from app import create_app
from bench.overview import signed_client
from dashboard.settings import Settings

TARGETS = {
    "district page zip": "/export/district/230102.zip?from=2024-01-01&to=2026-12-31&by=day",
    "district items xlsx": "/export/district/230102/items.xlsx",
    "overview page zip": "/export/overview.zip",
    "quality listing xlsx": "/export/quality/listing.xlsx",
    "API metrics (all) JSON": "/api/v1/metrics",
    "API metrics (all) CSV": "/api/v1/metrics?format=csv",
}


def timed(client, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.get(url)
    body = response.get_data()
    assert response.status_code == 200, (url, response.status_code, body[:200])
    return (time.perf_counter() - start) * 1000, len(body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench export")
    parser.add_argument("--scale", type=int, default=300_000, help="demo requests (default: the embedded default)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), demo_scale=args.scale, refresh_seconds=0)
        app = create_app(settings)
        client = signed_client(app)
        print(f"{'export':<26}{'bytes':>12}{'cold ms':>10}{'warm p50':>10}{'trivial p50':>13}{'ratio':>8}")
        for name, url in TARGETS.items():
            cold, size = timed(client, url)
            warm = statistics.median(timed(client, url)[0] for _ in range(args.rounds))
            trivial_app = flask.Flask("trivial")
            payload = b"x" * size
            trivial_app.add_url_rule("/", view_func=lambda payload=payload: flask.Response(payload))
            trivial = statistics.median(timed(trivial_app.test_client(), "/")[0] for _ in range(args.rounds))
            print(f"{name:<26}{size:>12,}{cold:>10.1f}{warm:>10.1f}{trivial:>13.2f}{warm / trivial:>8.0f}")
