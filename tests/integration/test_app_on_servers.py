"""The whole app with its sources on each database and, where available, snapshots in real Redis."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from app import create_app
from callbacks.overview import update_overview
from data_sources.sql import SqlSources


def test_overview_reconciles_with_the_database(db_url, city, make_settings):
    prep = SqlSources({"services": db_url, "reviews": db_url, "indicators": db_url})
    prep.create_schema()
    prep.write_reference(city)
    prep.dispose()
    settings = make_settings(services_url=db_url, reviews_url=db_url, indicators_url=db_url)
    app = create_app(settings)
    client = app.server.test_client()
    health = client.get("/health").get_json()
    assert health["version"] == 1 and health["sources"] == {"services": None, "reviews": None, "indicators": None}
    assert client.get("/district/230112").status_code == 200

    with app.server.test_request_context("/"):
        fig_map, _ = update_overview("population", "")
    shown = dict(zip(fig_map.data[0].locations, fig_map.data[0].z, strict=True))
    engine = create_engine(db_url)
    with engine.connect() as conn:
        truth = dict(conn.execute(text("SELECT code, population FROM district")).all())
    engine.dispose()
    assert shown == {code: float(pop) for code, pop in truth.items()}


def test_app_publishes_to_redis(redis_url, redis_prefix, make_settings):
    app = create_app(make_settings(redis_url=redis_url, redis_prefix=redis_prefix))
    health = app.server.test_client().get("/health").get_json()
    assert health["store"] == {"backend": "redis", "ok": True}
    assert health["version"] >= 1
