"""Answers of the district page: one unit against the city and the median of its group (core, outer, county).

Filters (DistrictParams) apply where the aggregates' grain carries them, and each answer's provenance lists the
filters it applied (`filters`) and those it could not (`notes["not_applied"]`):
- the date range and granularity cut day tables (req_day, rev_day); monthly tables (items, departments,
  processing time) take the whole months the range touches;
- the channel cuts the day tables and the open bad reviews (the item tables have no channel);
- the department cuts the item tables, the processing-time histogram per item and the open bad reviews.
Rules in docs/metrics.md ("District page").

What does not depend on the request is built once per snapshot version (and scope): the day tables as sums of
the days before each day per unit and channel, so a range's sums are the difference of two; the monthly tables
sorted by month with their keys as positions, so a range of months is a slice summed by key. A request then only
cuts and combines small arrays, and each answer is kept under the filters its rows depend on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

import numpy as np
import pandas as pd

from dashboard.aggregation import CHANNELS, HOUR_EDGES, ONLINE
from dashboard.answers import Answer, provenance
from dashboard.errors import BadInput
from dashboard.metrics import CITY, COUNT_RATIOS, DIMENSIONS, hist_quantiles, latest_complete, periods
from dashboard.view import View
from dashboard.wall import overdue_at, provisional_at

GRANULARITIES = ("day", "week", "month")
ALL = "all"
MAX_DAYS = 366 * 5  # the longest range one request may ask for
OPEN_BAD_ROWS = 1000  # open bad reviews listed at most (the count says how many there are)
TREND_METRICS = ("requests", "online_share", "on_time_rate", "mean_score", "bad_rate")
# Metrics the unit is ranked on, and whether higher is better.
RANKED = {"online_share": True, "on_time_rate": True, "mean_score": True, "bad_rate": False, "median_hours": False}
SERIES = ("unit", "city", "group_median")
ITEM_COLUMNS = ("requests", "on_time_rate", "median_hours", "mean_score", "bad_rate")


@dataclass(frozen=True)
class DistrictParams:
    """A validated district request."""

    code: str
    start: date
    end: date
    granularity: str = "month"
    department: str = ALL
    channel: str = ALL

    @property
    def months(self) -> tuple[str, str]:
        """First and last month the range touches ('YYYY-MM')."""
        return self.start.isoformat()[:7], self.end.isoformat()[:7]

    @property
    def monthly(self) -> tuple[str, str, str, str]:
        """What an answer from the monthly tables depends on: the unit, the months the range touches, the
        department."""
        return (self.code, *self.months, self.department)

    def query(self) -> dict[str, str]:
        """The URL query parameters that reproduce these filters."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "by": self.granularity,
                "department": self.department, "channel": self.channel}


def default_params(view: View, code: str) -> DistrictParams:
    """The last twelve months up to the data's as-of day, by month, every department and channel."""
    end = view.as_of.date()
    first = end.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return DistrictParams(code, first, end)


def _date(value, name: str) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise BadInput(f"{name}: not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{name}: not a date (YYYY-MM-DD)") from None


def parse(view: View, code, *, start=None, end=None, granularity=None, department=None, channel=None) -> DistrictParams:
    """Validate the district filters once (None: the default); a malformed one is a BadInput naming it."""
    if not isinstance(code, str) or code not in view.scope.units:
        raise BadInput(f"unknown unit {str(code)[:20]!r}")
    base = default_params(view, code)
    start_day = base.start if start in (None, "") else _date(start, "from")
    end_day = base.end if end in (None, "") else _date(end, "to")
    if start_day > end_day:
        raise BadInput("from: after to")
    if (end_day - start_day).days > MAX_DAYS:
        raise BadInput(f"from–to: at most {MAX_DAYS} days")
    granularity = base.granularity if granularity in (None, "") else granularity
    if granularity not in GRANULARITIES:
        raise BadInput(f"by: one of {', '.join(GRANULARITIES)}")
    department = ALL if department in (None, "") else department
    if department != ALL and department not in set(view.frames["departments"]["code"]):
        raise BadInput(f"department: unknown code {str(department)[:20]!r}")
    channel = ALL if channel in (None, "") else channel
    if channel != ALL and channel not in CHANNELS:
        raise BadInput(f"channel: one of all, {', '.join(CHANNELS)}")
    return DistrictParams(code, start_day, end_day, granularity, department, channel)


def parse_query(view: View, code: str, search: str) -> DistrictParams:
    """The filters of a (length-checked) URL query string."""
    query = {k: v[-1] for k, v in parse_qs(search.lstrip("?")).items()}
    return parse(view, code, start=query.get("from"), end=query.get("to"), granularity=query.get("by"),
                 department=query.get("department"), channel=query.get("channel"))


def query_for(search: str, p: DistrictParams) -> str:
    """The URL query of these filters, other parameters (lang) kept."""
    keep = {k: v[-1] for k, v in parse_qs(search.lstrip("?")).items() if k not in p.query()}
    return "?" + urlencode({**keep, **p.query()})


# --- shared pieces ---------------------------------------------------------------------------------------------


def bucket(days: pd.Series, granularity: str) -> pd.Series:
    """'YYYY-MM-DD' day keys as the period they fall in: the day, the Monday of its ISO week, or 'YYYY-MM'."""
    if granularity == "day":
        return days
    if granularity == "month":
        return days.str.slice(0, 7)
    stamps = pd.to_datetime(days)
    return (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")


def _prov(view: View, panel: str, p: DistrictParams, applied: tuple[str, ...], **kwargs):
    filters = {"unit": p.code, **{k: v for k, v in p.query().items() if k in ("from", "to", "by")}}
    filters |= {k: getattr(p, k) for k in applied}
    not_applied = [k for k in ("department", "channel") if k not in applied and getattr(p, k) != ALL]
    notes = kwargs.pop("notes", {}) | ({"not_applied": not_applied} if not_applied else {})
    return provenance(view, panel, period=f"{p.start}..{p.end}", filters=filters, notes=notes, **kwargs)


# --- what does not depend on the request: built once per snapshot version ---------------------------------------

REQ_SUMS = ("rows", "submitted", "online", "completed", "on_time")
REV_SUMS = ("rows", "reviews", "score_sum", "good", "bad", "rect_on_time")
ITEM_REQ_SUMS = ("rows", "submitted", "completed", "on_time")
BUCKETS = len(HOUR_EDGES)


@dataclass(frozen=True)
class _Units:
    """Unit codes: the city's in the units frame's order, then codes only the aggregates name."""

    codes: tuple[str, ...]
    known: int
    index: dict[str, int]
    groups: np.ndarray  # of the city's units

    def peers(self, code: str) -> np.ndarray:
        """Positions of the city's units in the group of `code`."""
        return np.flatnonzero(self.groups == self.groups[self.index[code]])


def _units(view: View) -> _Units:
    def build(v: View) -> _Units:
        units = v.frames["units"]
        known = units["code"].tolist()
        named = set().union(*(v.frames[name]["unit"].dropna().unique().tolist() for name in (
            "req_day", "rev_day", "req_item_month", "rev_item_month", "proc_hist", "proc_item_month", "open_bad")))
        codes = (*known, *sorted(named - set(known)))
        return _Units(codes, len(known), {c: i for i, c in enumerate(codes)}, units["group"].to_numpy(dtype=object))

    return view.memo(("district_units",), build)


def _values(frame: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Columns of a frame as float64 (rows, columns); 'rows' is 1 per row."""
    return np.column_stack([np.ones(len(frame)) if c == "rows" else frame[c].to_numpy(dtype="float64")
                            for c in columns]).reshape(len(frame), len(columns))


def _sum_by(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Column sums of `values` (rows, columns) per key 0..n-1."""
    return np.column_stack([np.bincount(keys, weights=values[:, j], minlength=n)
                            for j in range(values.shape[1])]).reshape(n, values.shape[1])


@dataclass(frozen=True)
class _DayTable:
    """req_day and rev_day per unit, channel and calendar day from `first`, as sums of the days before each day
    (so a range's sums are a difference of two; float64, exact for counts), and each day's period by granularity."""

    first: date
    channels: tuple[str, ...]
    req: np.ndarray  # (unit, channel, day + 1, REQ_SUMS); "rows" counts the table's rows
    rev: np.ndarray  # (unit, channel, day + 1, REV_SUMS)
    period: dict[str, np.ndarray]  # granularity -> each day's period key
    begins: dict[str, np.ndarray]  # granularity -> whether a day begins a period

    def span(self, start: date, end: date) -> tuple[int, int]:
        """The days [a, b) of a date range that the table has."""
        days = self.req.shape[2] - 1
        a = min(max((start - self.first).days, 0), days)
        return a, min(max((end - self.first).days + 1, a), days)

    def bounds(self, span: tuple[int, int], granularity: str) -> np.ndarray:
        """Where each period of the days [a, b) begins, then b (only a when there are no days)."""
        a, b = span
        if b <= a:
            return np.array([a])
        return np.concatenate(([a], a + 1 + np.flatnonzero(self.begins[granularity][a + 1:b]), [b]))

    def sums(self, table: np.ndarray, bounds: np.ndarray, channel: str) -> np.ndarray:
        """Sums (unit, period, columns) between consecutive bounds, of one channel or all."""
        if channel == ALL:
            return np.diff(table[:, :, bounds].sum(axis=1), axis=1)
        return np.diff(table[:, self.channels.index(channel), bounds], axis=1)


def _day_table(view: View) -> _DayTable:
    return view.memo(("district_day_table",), _build_day_table)


def _build_day_table(v: View) -> _DayTable:
    units = _units(v)
    req, rev = (v.frames[name].dropna(subset=["unit", "day", "channel"]) for name in ("req_day", "rev_day"))
    channels = tuple(sorted({*CHANNELS, *req["channel"].unique().tolist(), *rev["channel"].unique().tolist()}))
    day = {name: np.asarray(f["day"].to_numpy(dtype=object), dtype="datetime64[D]").astype("int64")
           for name, f in (("req", req), ("rev", rev))}
    every = np.concatenate(list(day.values()))
    first = int(every.min()) if len(every) else 0
    days = int(every.max()) - first + 1 if len(every) else 0
    req = req.assign(online=req["submitted"].where(req["channel"].isin(ONLINE), 0))

    def prefix(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> np.ndarray:
        cells = len(units.codes) * len(channels) * days
        unit = pd.Index(units.codes).get_indexer(frame["unit"])
        channel = pd.Index(channels).get_indexer(frame["channel"])
        cell = (unit * len(channels) + channel) * days + (day[name] - first)
        sums = _sum_by(cell, _values(frame, columns), cells)
        sums = sums.reshape(len(units.codes), len(channels), days, len(columns))
        out = np.zeros((len(units.codes), len(channels), days + 1, len(columns)))
        np.cumsum(sums, axis=2, out=out[:, :, 1:])
        return out

    calendar = pd.Series(np.datetime_as_string(np.arange(first, first + days).astype("datetime64[D]")), dtype="str")
    period = {g: bucket(calendar, g).to_numpy(dtype=object) for g in GRANULARITIES}
    begins = {g: np.concatenate(([True], key[1:] != key[:-1])) for g, key in period.items()}
    return _DayTable(date(1970, 1, 1) + timedelta(days=first), channels, prefix(req, "req", REQ_SUMS),
                     prefix(rev, "rev", REV_SUMS), period, begins)


@dataclass(frozen=True)
class _MonthRows:
    """A monthly table's rows sorted by month: where each month's rows begin (then the end), and per row its
    month, unit, department and (department, item) pair as positions, its bucket and the summed columns."""

    begin: np.ndarray
    month: np.ndarray
    unit: np.ndarray
    department: np.ndarray
    pair: np.ndarray
    bucket: np.ndarray
    values: np.ndarray

    def take(self, span: tuple[int, int], unit: int | None = None, department: int | None = None):
        """The rows of the months [a, b), of one unit and one department when given."""
        lo, hi = self.begin[span[0]], self.begin[span[1]]
        if unit is None and department is None:
            return slice(lo, hi)
        keep = np.ones(hi - lo, dtype=bool)
        if unit is not None:
            keep &= self.unit[lo:hi] == unit
        if department is not None:
            keep &= self.department[lo:hi] == department
        return lo + np.flatnonzero(keep)


@dataclass(frozen=True)
class _MonthTable:
    """The monthly tables (req_item_month, rev_item_month, proc_item_month, proc_hist) as _MonthRows over one axis
    of months, departments, (department, item) pairs and items, each sorted."""

    months: np.ndarray
    month_ends: np.ndarray  # the last day of each month
    departments: np.ndarray
    pair_departments: np.ndarray
    pair_items: np.ndarray
    items: np.ndarray
    pair_item: np.ndarray  # each pair's position in items
    req: _MonthRows  # ITEM_REQ_SUMS
    rev: _MonthRows  # REV_SUMS
    proc: _MonthRows  # completed, per bucket
    hist: _MonthRows  # proc_hist: completed, per bucket (no department or pair)

    def span(self, p: DistrictParams) -> tuple[int, int]:
        """The months [a, b) the range touches."""
        first, last = p.months
        return int(np.searchsorted(self.months, first, "left")), int(np.searchsorted(self.months, last, "right"))

    def department(self, p: DistrictParams) -> int | None:
        """The position of the filter's department (-1: none of the rows'), None for every department."""
        if p.department == ALL:
            return None
        found = np.flatnonzero(self.departments == p.department)
        return int(found[0]) if len(found) else -1


def _month_table(view: View) -> _MonthTable:
    return view.memo(("district_month_table",), _build_month_table)


def _build_month_table(v: View) -> _MonthTable:
    units = pd.Index(_units(v).codes)
    item_keys = ["unit", "department_code", "item_code", "month"]
    req, rev, proc = (v.frames[name].dropna(subset=item_keys)
                      for name in ("req_item_month", "rev_item_month", "proc_item_month"))
    hist = v.frames["proc_hist"].dropna(subset=["unit", "month", "bucket"])
    months = pd.Index(sorted(set().union(*(f["month"].unique().tolist() for f in (req, rev, proc, hist)))),
                      dtype=object)
    pairs = pd.MultiIndex.from_frame(pd.concat([f[["department_code", "item_code"]] for f in (req, rev, proc)]))
    pairs = pairs.unique().sort_values()
    pair_departments = pairs.get_level_values(0).to_numpy(dtype=object)
    pair_items = pairs.get_level_values(1).to_numpy(dtype=object)
    departments = np.array(sorted(set(pair_departments)), dtype=object)
    items = np.array(sorted(set(pair_items)), dtype=object)

    def rows(frame: pd.DataFrame, columns: tuple[str, ...], per_item: bool = True) -> _MonthRows:
        month = months.get_indexer(frame["month"])
        order = np.argsort(month, kind="stable")
        none = np.full(len(frame), -1)
        department = pd.Index(departments).get_indexer(frame["department_code"]) if per_item else none
        pair = (pairs.get_indexer(pd.MultiIndex.from_frame(frame[["department_code", "item_code"]])) if per_item
                else none)
        bucket = frame["bucket"].to_numpy(dtype="int64") if "bucket" in frame else none
        return _MonthRows(np.searchsorted(month[order], np.arange(len(months) + 1)), month[order],
                          units.get_indexer(frame["unit"])[order], department[order], pair[order], bucket[order],
                          _values(frame, columns)[order])

    ends = (np.array(months.tolist(), dtype="datetime64[M]") + 1).astype("datetime64[D]") - 1
    return _MonthTable(np.array(months.tolist(), dtype=object), ends, departments, pair_departments, pair_items,
                       items, pd.Index(items).get_indexer(pair_items), rows(req, ITEM_REQ_SUMS),
                       rows(rev, REV_SUMS), rows(proc, ("completed",)), rows(hist, ("completed",), per_item=False))


def _names(view: View, level: str) -> tuple[dict, dict]:
    """name_zh and name_en per code of departments (level department_code) or items (item_code)."""

    def build(v: View):
        frame = v.frames["departments" if level == "department_code" else "items"]
        return dict(zip(frame["code"], frame["name_zh"])), dict(zip(frame["code"], frame["name_en"]))

    return view.memo(("district_names", level), build)


def _named(codes: np.ndarray, names: dict) -> np.ndarray:
    """Each code's name, the code itself where it has none."""
    return np.array([n if isinstance(n := names.get(c), str) else c for c in codes], dtype=object)


@dataclass(frozen=True)
class _OpenBad:
    """The open bad reviews' unit, department, channel, and created day and month ('' when unknown)."""

    unit: np.ndarray
    department: np.ndarray
    channel: np.ndarray
    day: np.ndarray
    month: np.ndarray


def _open_bad_days(view: View) -> _OpenBad:
    def build(v: View) -> _OpenBad:
        frame = v.frames["open_bad"]
        day = pd.to_datetime(frame["created_at"]).dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
        return _OpenBad(*(frame[c].to_numpy(dtype=object) for c in ("unit", "department_code", "channel")),
                        day, np.array([d[:7] for d in day], dtype=object))

    return view.memo(("district_open_bad_days",), build)


# --- small pure pieces of a request -------------------------------------------------------------------------------


def _div(num, den) -> np.ndarray:
    """num / den as float64, NaN where the denominator is not positive (metrics.count_ratios' rule)."""
    return np.divide(num, den, out=np.full(np.shape(den), np.nan), where=np.asarray(den) > 0)


def _ratios(sums: dict[str, np.ndarray], metrics: tuple[str, ...]) -> dict[str, np.ndarray]:
    """COUNT_RATIOS of summed counts."""
    return {m: _div(*(sums[c] for c in COUNT_RATIOS[m])) for m in metrics}


def _named_sums(sums: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The columns (last axis) of sums by name."""
    return {n: sums[..., j] for j, n in enumerate(names)}


def _median(values: np.ndarray) -> np.ndarray:
    """The median over the first axis, skipping NaN (NaN where there is none), as pandas takes it."""
    ordered = np.sort(values, axis=0).reshape(len(values), -1)  # NaN last
    n = (~np.isnan(ordered)).sum(axis=0)
    columns = np.arange(ordered.shape[1])
    middle = ordered[np.maximum(n - 1, 0) // 2, columns] + ordered[n // 2, columns]
    return np.where(n > 0, middle / 2, np.nan).reshape(values.shape[1:])


def _descending(values: np.ndarray) -> np.ndarray:
    """The order DataFrame.sort_values(ascending=False) gives a column without NaN (its quicksort's ties too)."""
    positions = np.arange(len(values))[::-1]
    return positions[values[::-1].argsort(kind="quicksort")][::-1]


def _strings(values):
    """A column of text, as pandas infers it."""
    return pd.array(values, dtype="str")


def _long_rows(metrics: tuple[str, ...], series: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Long rows (period, metric, series, value) by metric, series and period, from each series' periods (oldest
    first) and values (period x metric); a series without periods has no rows."""
    parts = [(name, keys, values) for name, (keys, values) in sorted(series.items()) if len(keys)]
    if not parts:
        return pd.DataFrame(columns=["period", "metric", "series", "value"])
    period, metric, names, value = [], [], [], []
    for j, m in sorted(enumerate(metrics), key=lambda x: x[1]):
        for name, keys, values in parts:
            period.append(keys)
            metric.append([m] * len(keys))
            names.append([name] * len(keys))
            value.append(values[:, j])
    return pd.DataFrame({"period": _strings(np.concatenate(period)), "metric": _strings(np.concatenate(metric)),
                         "series": _strings(np.concatenate(names)),
                         "value": np.concatenate(value).astype("float64")})


# --- where the unit stands -------------------------------------------------------------------------------------


def _trend_values(req: dict[str, np.ndarray], rev: dict[str, np.ndarray]) -> np.ndarray:
    """TREND_METRICS (last axis) of summed day-table counts."""
    ratios = _ratios(req | rev, TREND_METRICS[1:])
    return np.stack([req["submitted"], *ratios.values()], axis=-1)


def trends(view: View, p: DistrictParams) -> Answer:
    """Volume, online share, on-time rate, mean score and bad-review rate per period: the unit, the city and the
    median of the unit's group (long rows: period, metric, series, value). For the volume, which grows with a
    unit's size, the city series is the city's mean per unit."""

    def build(v: View):
        t, units = _day_table(v), _units(v)
        bounds = t.bounds(t.span(p.start, p.end), p.granularity)
        req = t.sums(t.req, bounds, p.channel)
        rev = t.sums(t.rev, bounds, p.channel)
        shown = (req[..., 0] + rev[..., 0]).sum(axis=0) > 0  # periods with rows (of any unit)
        keys = t.period[p.granularity][bounds[:-1]][shown]
        req = _named_sums(req[: units.known, shown], REQ_SUMS)
        rev = _named_sums(rev[: units.known, shown], REV_SUMS)
        per_unit = _trend_values(req, rev)  # a unit with no rows in a period: 0 requests, no rates
        city = _trend_values({k: s.sum(axis=0) for k, s in req.items()}, {k: s.sum(axis=0) for k, s in rev.items()})
        city[:, 0] /= units.known  # a volume: the city's mean per unit
        group = _median(per_unit[units.peers(p.code)])
        return _long_rows(TREND_METRICS, {"unit": (keys, per_unit[units.index[p.code]]), "city": (keys, city),
                                          "group_median": (keys, group)})

    rows = view.memo(("district_trends", p.code, p.start, p.end, p.granularity, p.channel), build)
    return Answer(rows, _prov(view, "district_trends", p, ("channel",), metrics=TREND_METRICS))


def _hours(view: View, p: DistrictParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The processing-time histograms (unit, month, bucket) of the months the range touches, of the department's
    items or of every request, the rows behind each (unit, month), and the months."""
    mt, units = _month_table(view), _units(view)
    span = mt.span(p)
    rows = mt.hist if p.department == ALL else mt.proc
    sel = rows.take(span, department=mt.department(p))
    n_units, n_months = len(units.codes), span[1] - span[0]
    cell = rows.unit[sel] * n_months + (rows.month[sel] - span[0])
    count = np.bincount(cell, minlength=n_units * n_months).reshape(n_units, n_months)
    bucket, completed = rows.bucket[sel], rows.values[sel, 0]
    ok = (bucket >= 0) & (bucket < BUCKETS)
    hist = np.bincount(cell[ok] * BUCKETS + bucket[ok], weights=completed[ok], minlength=count.size * BUCKETS)
    return hist.reshape(n_units, n_months, BUCKETS), count, mt.months[span[0]:span[1]]


def processing(view: View, p: DistrictParams) -> Answer:
    """Median and p90 processing hours per month (the histograms are monthly): unit, city, group median."""

    def build(v: View):
        units = _units(v)
        hist, count, months = _hours(v, p)
        per_unit = np.stack([hist_quantiles(hist, q).reshape(count.shape) for q in (0.5, 0.9)], axis=-1)
        city = np.stack([hist_quantiles(hist.sum(axis=0), q) for q in (0.5, 0.9)], axis=-1)
        unit, peers = units.index[p.code], units.peers(p.code)
        in_group = count[peers].sum(axis=0) > 0
        series = {
            "unit": (months[count[unit] > 0], per_unit[unit][count[unit] > 0]),
            "city": (months[count.sum(axis=0) > 0], city[count.sum(axis=0) > 0]),
            "group_median": (months[in_group], _median(per_unit[peers])[in_group]),
        }
        return _long_rows(("median_hours", "p90_hours"), series)

    rows = view.memo(("district_processing", *p.monthly), build)
    return Answer(rows, _prov(view, "district_processing", p, ("department",),
                              metrics=("median_hours", "p90_hours"), notes={"granularity": "month"}))


def _rank(values: np.ndarray, at: int, higher: bool) -> float:
    """The rank of values[at] among the values (1 = best, ties share the lower rank); NaN without a value."""
    value = values[at]
    if np.isnan(value):
        return np.nan
    return float(1 + ((values > value) if higher else (values < value)).sum())


def standing(view: View, p: DistrictParams) -> Answer:
    """The unit's value over the range on each ranked metric, the city's and the group median, and its rank
    among all units and within its group (1 = best)."""

    def build(v: View):
        t, units = _day_table(v), _units(v)
        bounds = np.array(t.span(p.start, p.end))
        req = _named_sums(t.sums(t.req, bounds, p.channel)[: units.known, 0], REQ_SUMS)
        rev = _named_sums(t.sums(t.rev, bounds, p.channel)[: units.known, 0], REV_SUMS)
        city = {k: s.sum(axis=0) for k, s in req.items()} | {k: s.sum(axis=0) for k, s in rev.items()}
        hist = _hours(v, p)[0]
        counted = tuple(m for m in RANKED if m in COUNT_RATIOS)
        values = _ratios(req | rev, counted) | {"median_hours": hist_quantiles(hist.sum(axis=1), 0.5)[: units.known]}
        city = _ratios(city, counted) | {"median_hours": hist_quantiles(hist.sum(axis=(0, 1)), 0.5)[0]}
        values = np.column_stack([values[m] for m in RANKED])  # unit x RANKED
        unit, peers = units.index[p.code], units.peers(p.code)
        at = int(np.flatnonzero(peers == unit)[0])
        group = values[peers]
        return pd.DataFrame({
            "metric": _strings(list(RANKED)),
            "unit": values[unit],
            "city": np.array([city[m] for m in RANKED], dtype="float64"),
            "group_median": _median(group),
            "rank": [_rank(values[:, j], unit, higher) for j, higher in enumerate(RANKED.values())],
            "units": (~np.isnan(values)).sum(axis=0),
            "group_rank": [_rank(group[:, j], at, higher) for j, higher in enumerate(RANKED.values())],
            "group_units": (~np.isnan(group)).sum(axis=0),
        })

    rows = view.memo(("district_standing", *p.monthly, p.start, p.end, p.channel), build)
    return Answer(rows, _prov(view, "district_standing", p, ("channel",), metrics=tuple(RANKED)))


def _metric_months(view: View) -> tuple[str, ...]:
    """The months of the metric table, oldest first."""
    return view.memo(("district_metric_months",), lambda v: tuple(periods(v.metric_table("month"))))


def composite_profile(view: View, p: DistrictParams) -> Answer:
    """The unit's composite index by dimension in the latest complete month of the range, against the median
    of its group and the city (0-100, higher is better)."""
    offered = [m for m in _metric_months(view) if m <= p.months[1]]
    period = latest_complete(offered, min(p.end + timedelta(days=1), view.as_of.date())) or (
        offered[-1] if offered else None)

    def build(v: View):
        if period is None:
            return pd.DataFrame(columns=["dimension", "unit", "group_median", "city"])
        scores = v.composite_table("month").xs(period, level="period")
        groups = v.frames["units"].set_index("code")["group"]
        peers = [u for u in groups.index[groups == groups[p.code]] if u in scores.index]
        dims = [*DIMENSIONS, "composite"]
        return pd.DataFrame({
            "dimension": dims,
            "unit": [float(scores.loc[p.code, d]) if p.code in scores.index else np.nan for d in dims],
            "group_median": [float(scores.loc[peers, d].median()) for d in dims],
            "city": [float(scores.loc[CITY, d]) if CITY in scores.index else np.nan for d in dims],
        })

    rows = view.memo(("district_composite", p.code, period), build)
    return Answer(rows, provenance(view, "district_composite", period=period, filters={"unit": p.code}))


# --- departments and items ----------------------------------------------------------------------------------------


def _item_values(view: View, p: DistrictParams, level: str, unit: int | None) -> dict[str, np.ndarray]:
    """ITEM_COLUMNS per department or (department, item) pair over the months of the range: of one unit, or of
    the city (None). requests is int64 unless a key has reviews but no request rows (then float64, as pandas
    gave it), and median_hours an object column of NaN when there is no histogram row at all."""
    mt = _month_table(view)
    span, department = mt.span(p), mt.department(p)
    n = len(mt.departments) if level == "department_code" else len(mt.pair_items)

    def sums(rows: _MonthRows) -> np.ndarray:
        sel = rows.take(span, unit, department)
        return _sum_by(rows.department[sel] if level == "department_code" else rows.pair[sel], rows.values[sel], n)

    req, rev = _named_sums(sums(mt.req), ITEM_REQ_SUMS), _named_sums(sums(mt.rev), REV_SUMS)
    sel = mt.proc.take(span, unit, department)
    keys = mt.proc.department[sel] if level == "department_code" else mt.proc.pair[sel]
    bucket, completed = mt.proc.bucket[sel], mt.proc.values[sel, 0]
    ok = (bucket >= 0) & (bucket < BUCKETS)
    hist = np.bincount(keys[ok] * BUCKETS + bucket[ok], weights=completed[ok], minlength=n * BUCKETS)
    median = hist_quantiles(hist, 0.5)
    whole = not np.any((rev["rows"] > 0) & (req["rows"] == 0))
    ratios = _ratios(req | rev, ("on_time_rate", "mean_score", "bad_rate"))
    return {"requests": req["submitted"].astype("int64") if whole else req["submitted"], **ratios,
            "median_hours": median if len(keys) else median.astype(object)}


def _item_table(view: View, p: DistrictParams, level: str) -> pd.DataFrame:
    """Per department or item (`level`: department_code or item_code): the unit's values, the city's for the
    same key, and the gaps (unit minus city); the unit's own departments or items, most requests first."""
    mt = _month_table(view)
    unit = _item_values(view, p, level, _units(view).index[p.code])
    city = _item_values(view, p, level, None)
    keep = np.flatnonzero(unit["requests"] > 0)
    keep = keep[_descending(unit["requests"][keep])]
    if level == "department_code":
        codes = {"department_code": mt.departments[keep]}
    else:
        codes = {"department_code": mt.pair_departments[keep], "item_code": mt.pair_items[keep]}
    zh, en = _names(view, level)
    columns = {**{k: _strings(c) for k, c in codes.items()},
               "name_zh": _strings(_named(codes[level], zh)), "name_en": _strings(_named(codes[level], en)),
               **{c: unit[c][keep] for c in ITEM_COLUMNS}, **{f"city_{c}": city[c][keep] for c in ITEM_COLUMNS},
               **{f"gap_{c}": unit[c][keep] - city[c][keep] for c in ITEM_COLUMNS}}
    return pd.DataFrame(columns)


def departments(view: View, p: DistrictParams) -> Answer:
    """The unit's departments over the months of the range, each against the city's same department."""
    rows = view.memo(("district_departments", *p.monthly), lambda v: _item_table(v, p, "department_code"))
    return Answer(rows, _prov(view, "district_departments", p, ("department",), metrics=ITEM_COLUMNS,
                              notes={"months": "..".join(p.months)}))


def items(view: View, p: DistrictParams) -> Answer:
    """The unit's service items over the months of the range, each against the city's same item."""
    rows = view.memo(("district_items", *p.monthly), lambda v: _item_table(v, p, "item_code"))
    return Answer(rows, _prov(view, "district_items", p, ("department",), metrics=ITEM_COLUMNS,
                              notes={"months": "..".join(p.months)}))


def pareto(view: View, p: DistrictParams, kind: str) -> Answer:
    """The unit's items ordered by their bad reviews (`kind` bad) or late completions (`kind` late), with each
    item's share and the cumulative share: the few items that give most of them."""
    if kind not in ("bad", "late"):
        raise BadInput("pareto: bad or late")

    def build(v: View):
        mt = _month_table(v)
        rows = mt.rev if kind == "bad" else mt.req
        sel = rows.take(mt.span(p), _units(v).index[p.code], mt.department(p))
        if kind == "bad":
            count = rows.values[sel, REV_SUMS.index("bad")]
        else:
            done = _named_sums(rows.values[sel], ITEM_REQ_SUMS)
            count = done["completed"] - done["on_time"]
        counts = np.bincount(mt.pair_item[rows.pair[sel]], weights=count, minlength=len(mt.items)).astype("int64")
        found = np.flatnonzero(counts > 0)
        found = found[np.argsort(-counts[found], kind="stable")]  # most first, then by item code
        counts, codes = counts[found], mt.items[found]
        zh, en = _names(v, "item_code")
        total = counts.sum()
        share = counts / total if total else np.full(len(counts), np.nan)
        return pd.DataFrame({
            "item_code": pd.Series(codes, dtype="object"),
            "name_zh": _strings(_named(codes, zh)),
            "name_en": _strings(_named(codes, en)),
            "count": counts,
            "share": share,
            "cumulative_share": np.cumsum(share),
        })

    rows = view.memo(("district_pareto", kind, *p.monthly), build)
    return Answer(rows, _prov(view, f"district_pareto_{kind}", p, ("department",),
                              notes={"months": "..".join(p.months)}))


# --- channels -----------------------------------------------------------------------------------------------------


def channel_mix(view: View, p: DistrictParams) -> Answer:
    """Requests per period and channel of the unit, and each channel's share of the period."""

    def build(v: View):
        t = _day_table(v)
        bounds = t.bounds(t.span(p.start, p.end), p.granularity)
        unit = _units(v).index[p.code]
        submitted = np.diff(t.req[unit][:, bounds, REQ_SUMS.index("submitted")], axis=1).T.astype("int64")
        period, channel = np.nonzero(submitted > 0)  # rows of completions only: no requests
        requests = submitted[period, channel]
        share = requests / submitted.sum(axis=1)[period]
        return pd.DataFrame({"period": _strings(t.period[p.granularity][bounds[:-1]][period]),
                             "channel": _strings(np.array(t.channels, dtype=object)[channel]),
                             "requests": requests, "share": share})

    rows = view.memo(("district_channel_mix", p.code, p.start, p.end, p.granularity), build)
    return Answer(rows, _prov(view, "district_channel_mix", p, ()))


def channel_satisfaction(view: View, p: DistrictParams) -> Answer:
    """Each channel's reviews, mean score and bad-review rate over the range: the unit and the city."""

    def build(v: View):
        t, unit = _day_table(v), _units(v).index[p.code]
        a, b = t.span(p.start, p.end)
        shown = [t.channels.index(c) for c in CHANNELS]
        every = (t.rev[:, shown, b] - t.rev[:, shown, a]).sum(axis=0)
        one = t.rev[unit, shown, b] - t.rev[unit, shown, a]
        out = {k: [] for k in ("channel", "series", "reviews", "mean_score", "bad_rate")}
        for series, sums in (("unit", one), ("city", every)):
            counts = _named_sums(sums, REV_SUMS)
            out["channel"] += CHANNELS
            out["series"] += [series] * len(CHANNELS)
            out["reviews"].append(counts["reviews"].astype("int64"))
            for metric, values in _ratios(counts, ("mean_score", "bad_rate")).items():
                out[metric].append(values)
        return pd.DataFrame({"channel": _strings(out["channel"]), "series": _strings(out["series"]),
                             **{k: np.concatenate(out[k]) for k in ("reviews", "mean_score", "bad_rate")}})

    rows = view.memo(("district_channel_satisfaction", p.code, p.start, p.end), build)
    return Answer(rows, _prov(view, "district_channel_satisfaction", p, ()))


# --- the bad-review loop ------------------------------------------------------------------------------------------


def open_bad(view: View, p: DistrictParams) -> Answer:
    """The unit's open bad reviews with their due time and days left at the as-of time; overdue first (most
    overdue first), then by due time. At most OPEN_BAD_ROWS rows; notes["total"] says how many are open."""

    def build(v: View):
        frame = v.frames["open_bad"]
        frame = frame[frame["unit"] == p.code]
        if p.department != ALL:
            frame = frame[frame["department_code"] == p.department]
        if p.channel != ALL:
            frame = frame[frame["channel"] == p.channel]
        created = pd.to_datetime(frame["created_at"])
        due = overdue_at(created, v.rectify)  # midnight after the deadline's last day
        left = (due - pd.Timestamp(v.as_of)) / pd.Timedelta(days=1)
        names = v.frames["items"].set_index("code")
        rows = pd.DataFrame({
            "review_id": frame["review_id"].to_numpy(),
            "department_code": frame["department_code"].to_numpy(),
            "item_code": frame["item_code"].to_numpy(),
            "item_zh": frame["item_code"].map(names["name_zh"]).to_numpy(),
            "item_en": frame["item_code"].map(names["name_en"]).to_numpy(),
            "channel": frame["channel"].to_numpy(),
            "score": frame["score"].to_numpy().astype("int64"),
            "created_at": created.to_numpy(),
            "due_at": (due - pd.Timedelta(seconds=1)).to_numpy(),  # 23:59:59 of the deadline's last day
            "days_left": left.round(1).to_numpy(),
            "overdue": (left <= 0).to_numpy(),
            "visited_at": pd.to_datetime(frame.get("visited_at", pd.Series(pd.NaT, index=frame.index))).to_numpy(),
            "appeal_status": frame.get("appeal_status", pd.Series(None, index=frame.index, dtype=object)).to_numpy(),
            "provisional": provisional_at(created, v.rectify).to_numpy(),
        })
        rows = rows.sort_values(["overdue", "days_left", "review_id"], ascending=[False, True, True])
        return rows.head(OPEN_BAD_ROWS).reset_index(drop=True), len(rows)

    rows, total = view.memo(("district_open_bad", p.code, p.department, p.channel), build)
    prov = provenance(view, "district_open_bad", filters={"unit": p.code, "department": p.department,
                                                          "channel": p.channel},
                      notes={"total": total, "rectification_days": view.rectify.days,
                             "rectification_calendar": view.rectify.unit,
                             "calendar_known_until": _known_until(view)})
    return Answer(rows, prov)


def _known_until(view: View) -> str | None:
    """Last day of the working-day calendar's known years (None on calendar days)."""
    if view.rectify.unit != "working":
        return None
    until = view.rectify.calendar.known_until
    return until.isoformat() if until else None


def rectification(view: View, p: DistrictParams) -> Answer:
    """Per month of the range: the rectification rate (bad reviews given then and rectified by the as-of time)
    and the on-time rectification rate (of those whose deadline has passed, rectified within it): the unit and
    the city (long rows: period, metric, series, value)."""

    def build(v: View):
        t, ob = _day_table(v), _open_bad_days(v)
        bounds = t.bounds(t.span(p.start, p.end), "month")
        due = t.span(t.first, v.rectify.last_passed(v.as_of))[1]  # days whose every deadline has passed
        rev = _named_sums(t.sums(t.rev, bounds, p.channel), REV_SUMS)
        rev_due = _named_sums(t.sums(t.rev, np.minimum(bounds, due), p.channel), REV_SUMS)
        months = t.period["month"][bounds[:-1]]
        still = (ob.day >= p.start.isoformat()) & (ob.day <= p.end.isoformat())  # open, given in the range
        if p.channel != ALL:
            still &= ob.channel == p.channel
        rows = {k: [] for k in ("period", "metric", "series", "value")}
        for series, pick in (("unit", [_units(v).index[p.code]]), ("city", slice(None))):
            shown = rev["rows"][pick].sum(axis=0) > 0  # months with rows of the series
            keys = months[shown]
            bad = rev["bad"][pick].sum(axis=0)[shown]
            opened = ob.month[still & (ob.unit == p.code)] if series == "unit" else ob.month[still]
            still_open = np.array([(opened == m).sum() for m in keys], dtype="float64")
            due_bad, on_time = (rev_due[c][pick].sum(axis=0)[shown] for c in ("bad", "rect_on_time"))
            for metric, values in (("rectification_rate", _div(bad - still_open, bad)),
                                   ("rectification_on_time_rate", _div(on_time, due_bad))):
                rows["period"].append(keys)
                rows["metric"].append(np.full(len(keys), metric, dtype=object))
                rows["series"].append(np.full(len(keys), series, dtype=object))
                rows["value"].append(values)
        return pd.DataFrame({k: _strings(np.concatenate(c)) for k, c in rows.items() if k != "value"}
                            | {"value": np.concatenate(rows["value"])})

    rows = view.memo(("district_rectification", p.code, p.start, p.end, p.channel), build)
    return Answer(rows, _prov(view, "district_rectification", p, ("channel",),
                              metrics=("rectification_rate", "rectification_on_time_rate"),
                              notes={"granularity": "month"}))


def rectification_by_department(view: View, p: DistrictParams) -> Answer:
    """Per department of the unit over the months of the range: bad reviews, still open, the rectification
    rate, and the on-time rate over the months whose every deadline has passed."""

    def build(v: View):
        mt, ob = _month_table(v), _open_bad_days(v)
        span, department, unit = mt.span(p), mt.department(p), _units(v).index[p.code]
        fully_due = int(np.searchsorted(mt.month_ends, np.datetime64(v.rectify.last_passed(v.as_of)), "right"))
        n = len(mt.departments)

        def sums(months: tuple[int, int]) -> dict[str, np.ndarray]:
            sel = mt.rev.take(months, unit, department)
            return _named_sums(_sum_by(mt.rev.department[sel], mt.rev.values[sel], n), REV_SUMS)

        given = sums(span)
        due = sums((span[0], max(span[0], min(span[1], fully_due))))
        found = np.flatnonzero(given["bad"] > 0)
        codes = mt.departments[found]
        first, last = p.months
        still = (ob.unit == p.code) & (ob.month >= first) & (ob.month <= last)
        if p.department != ALL:
            still &= ob.department == p.department
        opened = ob.department[still]
        open_count = np.array([(opened == c).sum() for c in codes], dtype="int64")
        bad = given["bad"][found].astype("int64")
        order = np.lexsort((np.arange(len(found)), -bad))  # most bad reviews first, then by code
        ratios = {"rectification_rate": _div(bad - open_count, bad),
                  "rectification_on_time_rate": _div(due["rect_on_time"][found], due["bad"][found])}
        zh, en = _names(v, "department_code")
        return pd.DataFrame({
            "department_code": _strings(codes[order]),
            "name_zh": _strings([zh.get(c, np.nan) for c in codes[order]]),
            "name_en": _strings([en.get(c, np.nan) for c in codes[order]]),
            "bad": bad[order],
            "open": open_count[order],
            **{k: r[order] for k, r in ratios.items()},
        })

    rows = view.memo(("district_rectification_departments", *p.monthly), build)
    return Answer(rows, _prov(view, "district_rectification_departments", p, ("department",),
                              notes={"months": "..".join(p.months)}))


PANELS = {
    "trends": trends,
    "processing": processing,
    "standing": standing,
    "composite": composite_profile,
    "departments": departments,
    "items": items,
    "pareto_bad": lambda view, p: pareto(view, p, "bad"),
    "pareto_late": lambda view, p: pareto(view, p, "late"),
    "channel_mix": channel_mix,
    "channel_satisfaction": channel_satisfaction,
    "open_bad": open_bad,
    "rectification": rectification,
    "rectification_departments": rectification_by_department,
}
