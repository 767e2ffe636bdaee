"""The whole app with its sources on each database and, where available, snapshots in real Redis."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
from sqlalchemy import create_engine, text

from app import create_app
from callbacks.overview import update_overview
from data_sources.demo import run_demo
from data_sources.sql import SqlSources
from tests.conftest import as_leader, sign_in
from tests.figdata import values


def test_overview_map_reconciles_with_the_database(db_url, city, make_settings):
    prep = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    prep.create_schema()
    run_demo(prep, city, scale=4_000, seed=5, end=date(2026, 11, 20), bad_share=0.02)
    prep.dispose()
    settings = make_settings(services_url=db_url, reviews_url=db_url, indicators_url=db_url)
    app = create_app(settings)
    client = app.server.test_client()
    sign_in(client, app, "leader")
    health = client.get("/health").get_json()
    ok = {"ok": True, "error": None}
    assert health["version"] == 1 and health["sources"] == {"services": ok, "reviews": ok, "indicators": ok}
    assert client.get("/district/230112").status_code == 200

    with as_leader(app):
        fig_map = go.Figure(update_overview("requests", "2026-06", "230102", "")[0])
    shown = dict(zip(fig_map.data[1].locations, values(fig_map.data[1].z), strict=True))
    codes = ", ".join(f"'{c}'" for c in city.codes)
    sql = f"""
        SELECT district_code, COUNT(DISTINCT request_id) FROM service_request
        WHERE submitted_at >= '2026-06-01' AND submitted_at < '2026-07-01' AND district_code IN ({codes})
          AND channel IN ('web', 'app', 'window', 'self_service', 'hotline')
          AND status IN ('submitted', 'accepted', 'completed', 'rejected', 'withdrawn')
          AND NOT (status = 'completed' AND completed_at IS NULL)
          AND (completed_at IS NULL OR completed_at >= submitted_at)
        GROUP BY district_code"""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        truth = dict(conn.execute(text(sql)).all())
    engine.dispose()
    assert shown == {code: float(n) for code, n in truth.items()}


def test_app_publishes_to_redis(redis_url, redis_prefix, make_settings):
    app = create_app(make_settings(redis_url=redis_url, redis_prefix=redis_prefix))
    health = app.server.test_client().get("/health").get_json()
    expected = {"backend": "redis", "ok": True, "serving": "store", "version_in_memory": health["version"]}
    assert health["store"] == expected
    assert health["version"] >= 1
