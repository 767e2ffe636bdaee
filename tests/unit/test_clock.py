"""One clock: the product's "now" is set by a test or ONESCREEN_NOW, and the app works at awkward moments."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import create_app
from callbacks.overview import update_overview
from callbacks.router import overview_periods
from callbacks.wall import draw_wall, poll_wall
from dashboard.clock import Clock
from dashboard.settings import SettingsError, load_settings
from tests.conftest import as_leader, leader_view


def test_a_fixed_clock_stays_put_and_can_be_moved():
    clock = Clock("Asia/Shanghai", datetime(2027, 1, 1, 0, 0, 5, 999))
    assert clock.now() == datetime(2027, 1, 1, 0, 0, 5) and clock.today() == date(2027, 1, 1)
    assert clock.epoch_ms() == 1798732805000  # 2026-12-31 16:00:05 UTC
    clock.set(datetime(2026, 2, 17, 9, 0))
    assert clock.now() == datetime(2026, 2, 17, 9, 0) and clock.fixed
    clock.set(None)
    assert not clock.fixed


def test_the_machine_clock_is_read_in_the_city_zone_not_the_machine_zone():
    for zone in ("Asia/Shanghai", "America/New_York", "Pacific/Kiritimati"):
        expected = datetime.now(ZoneInfo(zone)).replace(tzinfo=None)
        assert abs(Clock(zone).now() - expected) < timedelta(seconds=2)


def test_epoch_ms_follows_daylight_saving_in_the_city_zone():
    summer = Clock("America/New_York", datetime(2026, 7, 1, 12, 0))
    winter = Clock("America/New_York", datetime(2026, 1, 1, 12, 0))
    assert summer.epoch_ms() == 1782921600000  # 16:00 UTC (EDT, -4 h)
    assert winter.epoch_ms() == 1767286800000  # 17:00 UTC (EST, -5 h)


def test_onescreen_now_sets_the_clock_and_refuses_an_offset(monkeypatch):
    monkeypatch.setenv("ONESCREEN_NOW", "2026-06-15T10:30:00")
    assert load_settings().clock().now() == datetime(2026, 6, 15, 10, 30)
    monkeypatch.setenv("ONESCREEN_NOW", "2026-06-15T10:30:00+08:00")
    with pytest.raises(SettingsError, match="ONESCREEN_NOW"):
        load_settings()
    monkeypatch.setenv("ONESCREEN_NOW", "")
    assert not load_settings().clock().fixed


# Moments at which date arithmetic tends to break: the year turns, a month's first minute (the demo ends the day
# before, so "this month" is empty), Spring Festival, and a city zone with daylight saving on its change day.
AWKWARD = [
    ("Asia/Shanghai", datetime(2027, 1, 1, 0, 5)),
    ("Asia/Shanghai", datetime(2026, 3, 1, 0, 0)),
    ("Asia/Shanghai", datetime(2026, 2, 17, 9, 30)),
    ("America/New_York", datetime(2026, 3, 8, 3, 30)),
]


@pytest.mark.parametrize(("zone", "now"), AWKWARD, ids=[f"{z}-{n:%Y%m%dT%H%M}" for z, n in AWKWARD])
def test_the_app_works_at_awkward_moments(make_settings, zone, now):
    app = create_app(make_settings(timezone=zone, now=now))
    rt = app.server.extensions["onescreen"]
    snap = rt.reader.get()
    assert snap.as_of == now.isoformat(sep=" ")  # the refresh took its now from the clock
    path = rt.settings.source_url("services").removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # the demo's last day is the clock's yesterday
        sql = "SELECT max(date(submitted_at)) FROM service_request WHERE submitted_at <= ?"  # not future bad rows
        last = conn.execute(sql, (now.isoformat(sep=" "),)).fetchone()
    assert last == (str(now.date() - timedelta(days=1)),)
    with as_leader(app):
        _, default = overview_periods(leader_view(rt))
        assert default is not None and default < f"{now:%Y-%m}"  # the latest complete month, before this one
        figs = update_overview("requests", default, rt.city.units[0].code, "?lang=en")
        assert len(figs) == 10
        out = draw_wall(1, {"w": 1920, "h": 1080}, "?lang=en")
        _, badge, _ = poll_wall(1, None, "", "?lang=en")
    assert badge == ""  # the data is as old as the clock says: not stale
    assert "Today" in str(out[0])  # the data's as-of day is the clock's today
