"""The reference table written to and read back from SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import datetime

import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import text

from dashboard.refresh import refresh
from dashboard.snapshot import InProcessStore
from dashboard.sources import SourceError
from data_sources.sql import SqlSources
from tests.integration.conftest import require

NOW = datetime(2026, 11, 22, 12, 0)


def sources_at(url: str) -> SqlSources:
    return SqlSources({"services": url, "reviews": url, "indicators": url})


def test_reference_units_round_trip(db_url, city):
    sources = sources_at(db_url)
    sources.create_schema()
    assert sources.write_reference(city) == 18
    assert sources.write_reference(city) == 0  # first start only: nothing is written twice
    expected = city.units_frame().sort_values("code").reset_index(drop=True)
    assert_frame_equal(sources.read_units(), expected)
    assert sources.ping() == {"services": None, "reviews": None, "indicators": None}
    sources.dispose()


def test_unreachable_source_is_a_clear_error_and_the_last_snapshot_stays(db_url, city):
    good = sources_at(db_url)
    good.create_schema()
    good.write_reference(city)
    store = InProcessStore()
    assert refresh(good, store, city, NOW) == 1

    down = sources_at("postgresql+psycopg://nobody@127.0.0.1:9/none")
    with pytest.raises(SourceError, match="services source"):
        down.read_units()
    assert set(down.ping()) == {"services", "reviews", "indicators"} and all(down.ping().values())
    assert refresh(down, store, city, NOW) is None
    assert store.current().version == 1 and len(store.current().frames["units"]) == 18
    good.dispose()



def test_refresh_sessions_on_postgresql_group_in_memory_without_jit():
    """The refresh's PostgreSQL sessions carry ONESCREEN_SOURCE_WORK_MEM and no JIT; empty keeps the server's
    work_mem."""
    url = require("postgresql")

    def session(work_mem: str) -> dict[str, tuple[str, str]]:
        sources = SqlSources({"services": url}, work_mem=work_mem)
        with sources.engine("services").connect() as conn:
            rows = conn.execute(text("SELECT name, current_setting(name), source FROM pg_settings"
                                     " WHERE name IN ('work_mem', 'jit')")).all()
        sources.dispose()
        return {name: (value, source) for name, value, source in rows}

    tuned, plain = session("96MB"), session("")
    assert tuned == {"work_mem": ("96MB", "client"), "jit": ("off", "client")}
    assert plain["jit"] == ("off", "client") and plain["work_mem"][1] != "client"
