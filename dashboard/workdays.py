"""Deadlines of the good-and-bad review rules, in working days of China's official calendar or in calendar days.

Working days come from `chinesecalendar` (the State Council's yearly notices: public holidays and the make-up
working days, 调休), and a city file (`ONESCREEN_HOLIDAYS_FILE`) adds or overrides days without a release; a year
the file names becomes known. A day in a year that neither knows counts Monday to Friday as working days, and
every deadline that reaches such a year is *provisional*: counted and shown with a flag, never silently.

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
# Years the working-day table spans; outside them the table is extended Monday to Friday, on demand.
SPAN = (2000, 2060)


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
        """True for a working day (in an unknown year: Monday to Friday)."""
        if day in self.workdays:
            return True
        if day in self.holidays:
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
        """The n-th working day after `day` (the day itself does not count)."""
        ordinals = self._ordinals
        i = bisect_right(ordinals, day.toordinal()) + n - 1
        if day.year < SPAN[0] or i >= len(ordinals):
            raise ValueError(f"{day} is outside the working-day table ({SPAN[0]}-{SPAN[1]})")
        return date.fromordinal(ordinals[i])


def official() -> WorkCalendar:
    """The official calendar as `chinesecalendar` knows it: every year it covers, holidays and make-up days."""
    holidays, workdays, years = set(), set(), set()
    for year in range(SPAN[0], SPAN[1] + 1):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        years.add(year)
        day = date(year, 1, 1)
        while day.year == year:
            working = chinese_calendar.is_workday(day)
            if working and day.weekday() >= 5:
                workdays.add(day)
            elif not working and day.weekday() < 5:
                holidays.add(day)
            day += timedelta(days=1)
    return WorkCalendar(frozenset(holidays), frozenset(workdays), frozenset(years))


def with_file(base: WorkCalendar, path: Path | str) -> WorkCalendar:
    """The calendar with a city file applied: its days override the official ones, and its years become known.

    YAML: `holidays:` and `workdays:` lists of dates (and an optional `years:` list of years it covers
    completely). CSV: a header `date,kind` (kind `holiday` or `workday`; more columns, e.g. `name`, are kept out)."""
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
    years = {d.year for d, _ in days} | _yaml_years(text, path)
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


def _csv_days(text: str, path: Path) -> list[tuple[date, str]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"date", "kind"} <= {f.strip() for f in reader.fieldnames}:
        raise CalendarFileError(f"{path}: the first line must name the columns date,kind")
    out = []
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        kind = row.get("kind", "")
        if kind not in ("holiday", "workday"):
            raise CalendarFileError(f"{path} line {number}: kind must be holiday or workday, not {kind[:20]!r}")
        out.append((_parse_day(row.get("date", ""), f"{path} line {number}"), kind))
    return out


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
    if path.suffix.lower() == ".csv":
        return set()
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
