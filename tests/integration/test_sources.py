"""The reference table written to and read back from SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import datetime

import pytest
from pandas.testing import assert_frame_equal

from dashboard.refresh import refresh
from dashboard.snapshot import InProcessStore
from dashboard.sources import SourceError
from data_sources.sql import SqlSources

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
