"""One clock: the product's "now" is set by a test or ONESCREEN_NOW, and the app works at awkward moments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard.clock import Clock
from dashboard.settings import SettingsError, load_settings


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
