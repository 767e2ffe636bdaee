"""Working-day deadlines on China's official calendar (chinesecalendar) and a city's own file.

The dates below are the State Council's notices for 2025 and 2026, written out by hand from the notices (not read
from the library), so a library release that got a day wrong would fail here."""

from datetime import date, datetime, timedelta

import pytest

from dashboard.settings import Settings
from dashboard.workdays import CalendarFileError, Rule, WorkCalendar, calendar_for, deadlines, official, with_file


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return calendar_for(None)


def test_spring_festival_2026_with_its_make_up_saturdays(cal):
    """2026: Feb 15-23 off (Sunday to Monday), Saturdays Feb 14 and Feb 28 are working days."""
    assert all(not cal.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert cal.is_workday(date(2026, 2, 14)) and cal.is_workday(date(2026, 2, 28))
    rule = Rule(15, "working", cal)
    # Given Tuesday Feb 10: Feb 11, 12, 13, 14 (Sat), then Feb 24-28 (Sat), Mar 2-6, Mar 9 is the 15th.
    assert rule.due(date(2026, 2, 10)) == date(2026, 3, 9)
    # 15 calendar days would have been Feb 25: the festival adds almost two weeks.
    assert Rule(15, "calendar").due(date(2026, 2, 10)) == date(2026, 2, 25)
    # A return visit due one working day after a review given on Friday Feb 13 is due on the make-up Saturday.
    assert Rule(1, "working", cal).due(date(2026, 2, 13)) == date(2026, 2, 14)
    # ... and one given on that Saturday is due after the whole festival.
    assert Rule(1, "working", cal).due(date(2026, 2, 14)) == date(2026, 2, 24)


def test_national_day_week_2025_with_its_make_up_days(cal):
    """2025: Oct 1-8 off (National Day with Mid-Autumn); Sunday Sep 28 and Saturday Oct 11 are working days."""
    assert all(not cal.is_workday(date(2025, 10, d)) for d in range(1, 9))
    assert cal.is_workday(date(2025, 9, 28)) and cal.is_workday(date(2025, 10, 11))
    rule = Rule(5, "working", cal)
    # Given Friday Sep 26: Sep 28 (Sun), 29, 30, then Oct 9, 10 is the 5th.
    assert rule.due(date(2025, 9, 26)) == date(2025, 10, 10)
    # Given Oct 3 (holiday): Oct 9, 10, 11 (Sat), 13, 14.
    assert rule.due(date(2025, 10, 3)) == date(2025, 10, 14)


def test_a_deadline_passes_at_midnight_after_its_last_day(cal):
    rule = Rule(1, "working", cal)
    given = date(2026, 3, 2)  # Monday; due Tuesday Mar 3
    assert not rule.passed(given, datetime(2026, 3, 3, 23, 59, 59))
    assert rule.passed(given, datetime(2026, 3, 4, 0, 0, 0))
    assert rule.last_passed(datetime(2026, 3, 4, 9, 0)) == date(2026, 3, 2)
    # On Monday Feb 23, 2026 (last festival day): a visit for Friday Feb 13 was due on the make-up Saturday, and
    # nothing given since has passed yet.
    assert Rule(1, "working", cal).last_passed(datetime(2026, 2, 23, 12)) == date(2026, 2, 13)


def test_a_deadline_in_a_year_the_calendar_does_not_know_is_flagged_not_silently_counted(cal):
    known = cal.known_until
    assert known is not None and known.year >= 2026
    after = date(known.year + 1, 3, 2)
    rule = Rule(15, "working", cal)
    assert not cal.known(after)
    assert rule.provisional(after) and rule.provisional(known)  # a deadline that crosses into the unknown year
    assert not rule.provisional(date(known.year, 6, 1))
    assert rule.due(after).weekday() < 5  # counted Monday to Friday meanwhile
    assert not Rule(15, "calendar").provisional(after)


def test_a_city_file_adds_next_years_notice_and_makes_the_year_known(tmp_path, cal):
    year = cal.known_until.year + 1
    path = tmp_path / "holidays.yaml"
    path.write_text(f"# the {year} notice\nyears: [{year}]\nholidays: [{year}-01-04]\nworkdays: [{year}-01-10]\n",
                    encoding="utf-8")
    city = with_file(cal, path)
    assert city.known(date(year, 5, 5)) and not city.is_workday(date(year, 1, 4))
    assert city.is_workday(date(year, 1, 10))
    assert not Rule(15, "working", city).provisional(date(year, 3, 2))
    # The official years are untouched by the file.
    assert city.is_workday(date(2026, 2, 14)) and not city.is_workday(date(2026, 2, 16))


def test_one_local_day_off_does_not_make_a_year_known(tmp_path, cal):
    """Only a declared year is known: a file with one local holiday of next year leaves its deadlines flagged."""
    year = cal.known_until.year + 1
    path = tmp_path / "holidays.yaml"
    path.write_text(f"holidays: [{year}-06-01]\n", encoding="utf-8")
    city = with_file(cal, path)
    assert not city.known(date(year, 6, 1)) and not city.is_workday(date(year, 6, 1))
    assert Rule(15, "working", city).provisional(date(year, 5, 20))


def test_a_city_csv_overrides_an_official_day_and_declares_a_year(tmp_path, cal):
    year = cal.known_until.year + 1
    path = tmp_path / "holidays.csv"
    path.write_text(f"date,kind,name\n2026-03-02,holiday,城市纪念日\n2026-03-07,workday,补班\n{year},year,\n",
                    encoding="utf-8")
    city = with_file(cal, path)
    assert not city.is_workday(date(2026, 3, 2)) and city.is_workday(date(2026, 3, 7))
    assert Rule(1, "working", city).due(date(2026, 3, 1)) == date(2026, 3, 3)
    assert city.known(date(year, 7, 1)) and city.known_until == date(year, 12, 31)


def test_unknown_years_keep_the_fixed_date_holidays_and_old_placeholder_dates_do_not_break(cal):
    year = cal.known_until.year + 1
    assert not cal.is_workday(date(year, 1, 1)) and not cal.is_workday(date(year, 10, 2))
    friday = next(date(year - 1, 12, d) for d in range(20, 32) if date(year - 1, 12, d).weekday() == 4)
    rule = Rule(15, "working", cal)
    assert rule.provisional(friday) and rule.provisional_from() <= friday
    assert not rule.provisional(rule.provisional_from() - timedelta(days=1))
    # a legacy system's placeholder date, outside the table's years: counted, flagged, never an exception
    assert Rule(1, "working", cal).due(date(1970, 1, 2)) == date(1970, 1, 5)  # Friday -> Monday
    assert rule.provisional(date(1970, 1, 2))


@pytest.mark.parametrize("name, text, message", [
    ("h.csv", "day,kind\n2027-01-01,holiday\n", "date,kind"),
    ("h.csv", "date,kind\n2027-01-01,vacation\n", "line 2"),
    ("h.csv", "date,kind\nsoon,year\n", "a year between"),
    ("h.csv", "date,kind\n2027-13-01,holiday\n", "not a date"),
    ("h.yaml", "holidays: 2027-01-01\n", "list of dates"),
    ("h.yaml", "holidays: [2027-01-01]\nworkdays: [2027-01-01]\n", "both"),
    ("h.yaml", "vacations: [2027-01-01]\n", "expected the keys"),
    ("h.yaml", "holidays: [\n", "not YAML"),
])
def test_a_bad_city_file_is_refused_with_what_is_wrong(tmp_path, cal, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError, match=message):
        with_file(cal, path)


def test_settings_refuse_a_bad_file_and_build_the_configured_deadlines(tmp_path):
    bad = tmp_path / "h.csv"
    bad.write_text("date,kind\nsoon,holiday\n", encoding="utf-8")
    with pytest.raises(ValueError, match="ONESCREEN_HOLIDAYS_FILE"):
        Settings(holidays_file=bad, data_dir=tmp_path)
    rules = Settings(data_dir=tmp_path).deadlines()
    assert (rules.rectify.days, rules.rectify.unit, rules.visit.days, rules.visit.unit) == (15, "working", 1, "working")
    plain = Settings(data_dir=tmp_path, rectification_calendar="calendar", rectification_days=10).deadlines()
    assert plain.rectify.due(date(2026, 2, 10)) == date(2026, 2, 20)
    assert plain.fingerprint() != rules.fingerprint()


def test_the_library_covers_the_years_it_says(cal):
    """The chosen library (chinesecalendar) knows every year from 2004 to at least 2026, without a gap."""
    assert set(range(2004, 2027)) <= set(official().known_years) == set(cal.known_years)
    assert deadlines(15, 1).rectify.calendar is cal  # built once per process


def test_the_documented_example_file_reads(cal):
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "holidays.example.yaml"
    city = with_file(cal, example)
    assert not city.is_workday(date(2026, 3, 2)) and city.is_workday(date(2026, 3, 7))


def test_a_page_counts_with_the_calendar_the_refresher_judged_with(tmp_path):
    """The city edits its calendar file while the web process runs; the refresher reads the new file and records
    its fingerprint in the snapshot: the web process re-reads the file, once, and counts with the same one."""
    from dashboard.runtime import Runtime

    path = tmp_path / "holidays.yaml"
    path.write_text("holidays: [2026-03-02]\n", encoding="utf-8")
    rt = Runtime(Settings(data_dir=tmp_path, holidays_file=path), None, {}, None, None, None)
    before = rt.deadlines
    assert before.rectify.due(date(2026, 3, 1)) == date(2026, 3, 23)  # 2 March off: a day later than 20 March
    path.write_text("holidays: [2026-03-03]\n", encoding="utf-8")
    judged = Settings(data_dir=tmp_path, holidays_file=path).deadlines().fingerprint()  # the refresher's
    assert judged != before.fingerprint()
    now = rt.deadlines_for(judged)
    assert now.fingerprint() == judged and rt.deadlines is now
    assert now.rectify.calendar.is_workday(date(2026, 3, 2)) and not now.rectify.calendar.is_workday(date(2026, 3, 3))
    assert rt.deadlines_for(before.fingerprint()) is now  # an old snapshot's fingerprint: asked once, kept
    assert rt.deadlines_for(None) is now
