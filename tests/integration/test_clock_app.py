"""The app works at awkward moments of the one clock: the year turns, a month's first minute, Spring Festival, and a
city zone with daylight saving on its change day. Whole-app tests (each builds the demo and the app), so they run in
the integration tier; the clock's own rules are tests/unit/test_clock.py."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from app import create_app
from callbacks.overview import update_overview
from callbacks.router import overview_periods
from callbacks.wall import draw_wall, poll_wall
from tests.conftest import as_leader, leader_view

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
