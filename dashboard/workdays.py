"""Deadlines of the good-and-bad review rules, in working days of China's official calendar or in calendar days.

Working days come from `chinesecalendar` (the State Council's yearly notices: public holidays and the make-up
working days, 调休), and a city file (`ONESCREEN_HOLIDAYS_FILE`) adds or overrides days without a release; a year
the file declares complete becomes known. In a year that neither knows, Monday to Friday are working days except
the statutory holidays on fixed dates (1 January, 1-2 May, 1-3 October; the lunar ones are unknown), and every
deadline that reaches such a year is *provisional*: counted and shown with a flag, never silently.

The day rule (docs/metrics.md "Deadlines"): as in Articles 201 and 203 of the Civil Code, the day a review is
given does not count, and a period of N days ends at 24:00 of its N-th day. So a review given on day D is due at
the end of the N-th working (or calendar) day after D, and it is overdue from midnight after that day.
"""

from __future__ import annotations

import csv
import hashlib
import io
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

import chinese_calendar
import yaml

Unit = Literal["working", "calendar"]
# Years the working-day table spans; outside them deadlines are counted day by day.
SPAN = (2000, 2060)
# Statutory holidays on fixed dates (全国年节及纪念日放假办法): days off even in a year no notice covers yet.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


class CalendarFileError(ValueError):
    """A holidays file that cannot be read; says which line or entry and why."""


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days: the official calendar's known years, overridden by a city's file."""

    holidays: frozenset[date] = frozenset()  # days off that would be working days (Mon-Fri), or city days off
    workdays: frozenset[date] = frozenset()  # working days that would be days off (make-up Saturdays, 调休)
    known_years: frozenset[int] = frozenset()
    source: str = "chinesecalendar"

    def is_workday(self, day: date) -> bool:
        """True for a working day (in an unknown year: Monday to Friday but the fixed-date statutory holidays)."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day.year not in self.known_years and (day.month, day.day) in FIXED_HOLIDAYS:
            return False
        return day.weekday() < 5

    def known(self, day: date) -> bool:
        """True when the day's year is in the official calendar or the city's file."""
        return day.year in self.known_years

    @property
    def known_until(self) -> date | None:
        """Last day of the last known year of an unbroken run from the first (None: none known)."""
        if not self.known_years:
            return None
        year = min(self.known_years)
        while year + 1 in self.known_years:
            year += 1
        return date(year, 12, 31)

    @cached_property
    def _ordinals(self) -> list[int]:
        """Ordinals of every working day in SPAN, ascending."""
        start, end = date(SPAN[0], 1, 1), date(SPAN[1], 12, 31)
        out, day = [], start
        while day <= end:
            if self.is_workday(day):
                out.append(day.toordinal())
            day += timedelta(days=1)
        return out

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (the day itself does not count); outside the table's years (a
        placeholder date of a legacy system, say) counted day by day."""
        ordinals = self._ordinals
        i = bisect_right(ordinals, day.toordinal()) + n - 1
        if day.year >= SPAN[0] and i < len(ordinals):
            return date.fromordinal(ordinals[i])
        while n > 0:
            day += timedelta(days=1)
            n -= self.is_workday(day)
        return day


def official() -> WorkCalendar:
    """The official calendar as `chinesecalendar` knows it: every year it covers, holidays and make-up days.

    Read from the library's own tables (`holidays`, `workdays`), by its rule: a day is a working day if it is a
    make-up day, or a weekday that is not a holiday. (Asking `is_workday` day by day gives the same calendar,
    but checks the table's span on every call: 0.3 s per process, paid by each `python -m dashboard refresh`.)"""
    known = [d.year for d in chinese_calendar.holidays]
    first, last = max(SPAN[0], min(known)), min(SPAN[1], max(known))
    years = frozenset(range(first, last + 1))
    workdays = {d for d in chinese_calendar.workdays if d.year in years and d.weekday() >= 5}
    holidays = {d for d in chinese_calendar.holidays
                if d.year in years and d.weekday() < 5 and d not in chinese_calendar.workdays}
    return WorkCalendar(frozenset(holidays), frozenset(workdays), years)


def with_file(base: WorkCalendar, path: Path | str) -> WorkCalendar:
    """The calendar with a city file applied: its days override the official ones, and its years become known.

    YAML: `holidays:` and `workdays:` lists of dates, and `years:`, the years whose whole notice the file holds.
    CSV: a header `date,kind` (kind `holiday`, `workday`, or `year` with the year in the date column; more
    columns, e.g. `name`, are ignored). Only a declared year becomes known: one local day off does not make a
    year's national holidays known."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalendarFileError(f"cannot read the holidays file {path}: {exc.strerror or exc}") from None
    days = _csv_days(text, path) if path.suffix.lower() == ".csv" else _yaml_days(text, path)
    off = {d for d, kind in days if kind == "holiday"}
    on = {d for d, kind in days if kind == "workday"}
    both = off & on
    if both:
        raise CalendarFileError(f"{path}: {min(both)} is listed both as a holiday and as a working day")
    years = (_csv_years(text, path) if path.suffix.lower() == ".csv" else _yaml_years(text, path))
    return WorkCalendar(
        frozenset((base.holidays - on) | off),
        frozenset((base.workdays - off) | on),
        base.known_years | frozenset(years),
        f"{base.source} + {path.name}",
    )


def _parse_day(value, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise CalendarFileError(f"{where}: {str(value)[:40]!r} is not a date (YYYY-MM-DD)") from None


def _csv_rows(text: str, path: Path) -> list[tuple[int, str, str]]:
    """(line number, date text, kind) of a CSV calendar file."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"date", "kind"} <= {f.strip() for f in reader.fieldnames}:
        raise CalendarFileError(f"{path}: the first line must name the columns date,kind")
    out = []
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        kind = row.get("kind", "")
        if kind not in ("holiday", "workday", "year"):
            raise CalendarFileError(f"{path} line {number}: kind must be holiday, workday or year, not {kind[:20]!r}")
        out.append((number, row.get("date", ""), kind))
    return out


def _csv_days(text: str, path: Path) -> list[tuple[date, str]]:
    return [(_parse_day(value, f"{path} line {n}"), kind) for n, value, kind in _csv_rows(text, path)
            if kind != "year"]


def _csv_years(text: str, path: Path) -> set[int]:
    years = set()
    for number, value, kind in _csv_rows(text, path):
        if kind == "year":
            if not (value.isdigit() and SPAN[0] <= int(value) <= SPAN[1]):
                raise CalendarFileError(f"{path} line {number}: a year between {SPAN[0]} and {SPAN[1]}, not "
                                        f"{value[:12]!r}")
            years.add(int(value))
    return years


def _yaml_document(text: str, path: Path) -> dict:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise CalendarFileError(f"{path}: not YAML ({str(exc).splitlines()[0][:120]})") from None
    if not isinstance(data, dict) or not set(data) <= {"holidays", "workdays", "years"}:
        raise CalendarFileError(f"{path}: expected the keys holidays, workdays and optionally years")
    return data


def _yaml_days(text: str, path: Path) -> list[tuple[date, str]]:
    data = _yaml_document(text, path)
    out = []
    for key, kind in (("holidays", "holiday"), ("workdays", "workday")):
        values = data.get(key) or []
        if not isinstance(values, list):
            raise CalendarFileError(f"{path}: {key} must be a list of dates")
        out += [(_parse_day(v, f"{path} {key}"), kind) for v in values]
    return out


def _yaml_years(text: str, path: Path) -> set[int]:
    years = _yaml_document(text, path).get("years") or []
    if not isinstance(years, list) or not all(isinstance(y, int) and SPAN[0] <= y <= SPAN[1] for y in years):
        raise CalendarFileError(f"{path}: years must be a list of years between {SPAN[0]} and {SPAN[1]}")
    return set(years)


@dataclass(frozen=True)
class Rule:
    """A deadline of N days counted in working days (on a calendar) or in calendar days."""

    days: int
    unit: Unit = "working"
    calendar: WorkCalendar = field(default_factory=WorkCalendar, repr=False)

    def due(self, day: date) -> date:
        """The last day allowed for something that started on `day`."""
        if self.unit == "calendar":
            return day + timedelta(days=self.days)
        return self.calendar.add_working_days(day, self.days)

    def provisional(self, day: date) -> bool:
        """True when the deadline of `day` reaches a year the working-day calendar does not know."""
        if self.unit == "calendar":
            return False
        due = self.due(day)
        return any(year not in self.calendar.known_years for year in range((day + timedelta(days=1)).year,
                                                                           due.year + 1))

    def passed(self, day: date, as_of: datetime) -> bool:
        """True when the deadline of `day` has passed at `as_of` (midnight after the due day)."""
        return datetime.combine(self.due(day) + timedelta(days=1), datetime.min.time()) <= as_of

    def last_passed(self, as_of: datetime) -> date:
        """The latest start day whose deadline has passed at `as_of` (deadlines never move back as days go on)."""
        day = as_of.date() - timedelta(days=self.days)
        while not self.passed(day, as_of):
            day -= timedelta(days=1)
        while self.passed(day + timedelta(days=1), as_of):
            day += timedelta(days=1)
        return day

    def provisional_from(self) -> date | None:
        """The first start day whose deadline reaches a year the calendar does not know (None: calendar days, or
        no known year at all); worked out once per rule (answers ask on every call)."""
        return self._provisional_from

    @cached_property
    def _provisional_from(self) -> date | None:
        until = self.calendar.known_until if self.unit == "working" else None
        if until is None:
            return None
        day = until
        while self.provisional(day - timedelta(days=1)):
            day -= timedelta(days=1)
        return day

    def lookback_days(self, day: date) -> int:
        """Calendar days back from `day` to the earliest start day whose deadline has not passed by `day`."""
        start = day - timedelta(days=self.days)
        while self.due(start - timedelta(days=1)) >= day:
            start -= timedelta(days=1)
        return (day - start).days

    def describe(self, language: str) -> str:
        """'15 working days' / '15个工作日' in the UI's language."""
        if language == "zh":
            return f"{self.days}个工作日" if self.unit == "working" else f"{self.days}日"
        word = "working day" if self.unit == "working" else "day"
        return f"{self.days} {word}{'s' if self.days != 1 else ''}"


@dataclass(frozen=True)
class Deadlines:
    """The review rules' two deadlines: rectification of a bad review, and the return visit to its reviewer."""

    rectify: Rule
    visit: Rule

    def fingerprint(self) -> str:
        """What changes every deadline when it changes: a refresh after a change re-judges everything."""
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        cal = self.rectify.calendar
        days = ",".join(sorted(d.isoformat() for d in cal.holidays)) + "|" + ",".join(
            sorted(d.isoformat() for d in cal.workdays)) + "|" + ",".join(map(str, sorted(cal.known_years)))
        digest = hashlib.sha256(days.encode()).hexdigest()[:12]
        return f"{self.rectify.days}{self.rectify.unit}/{self.visit.days}{self.visit.unit}/{digest}"


_OFFICIAL: WorkCalendar | None = None


def calendar_for(holidays_file: Path | str | None) -> WorkCalendar:
    """The official calendar (built once per process), with the city's file when one is named."""
    global _OFFICIAL
    if _OFFICIAL is None:
        _OFFICIAL = official()
    return _OFFICIAL if holidays_file is None else with_file(_OFFICIAL, holidays_file)


def deadlines(rectification_days: int, visit_days: int, unit: Unit = "working",
              holidays_file: Path | str | None = None) -> Deadlines:
    """The deadlines of a city's rules (settings: ONESCREEN_RECTIFICATION_DAYS, _VISIT_DAYS, _CALENDAR, ...)."""
    cal = calendar_for(holidays_file) if unit == "working" else WorkCalendar(source="calendar days")
    return Deadlines(Rule(rectification_days, unit, cal), Rule(visit_days, unit, cal))


def calendar_days(n: int) -> Rule:
    """N calendar days (a plain number of days where a rule is given as an int)."""
    return Rule(n, "calendar")


def as_rule(rule: Rule | int) -> Rule:
    """A Rule, or N calendar days for a plain int."""
    return rule if isinstance(rule, Rule) else calendar_days(int(rule))
