"""The wall screen as data: KPI tiles for today and this month against their previous periods, per-unit
status for takeover alerts, freshness of the data, and the wall's URL options — from snapshot frames only.

Rules (docs/wall.md):
- "Today" is the snapshot's as-of local day (meta["watermark"]); it is compared with the same weekday a week
  earlier, which has the same weekly rhythm (a Monday is not compared with a Sunday).
- "This month" is month-to-date up to the as-of day; it is compared with the previous month's first days, as
  many as have passed this month (clamped to the previous month's length).
- Satisfaction is the mean review score (1-5). Rates change in percentage points, the score in points, counts
  relative to the previous period (the tiles set today's count, a day still running, beside last week's
  whole day instead of as a percentage: layouts/wall.py).
- Open bad reviews are the rows of open_bad; overdue ones are past the last day of their rectification deadline
  (N working or calendar days after the day given, dashboard.workdays) at the as-of time. Both are stocks at
  the as-of time; their history is not in the snapshot, so their tiles show how many of them arrived today and
  this month instead of a change.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.aggregation import ONLINE
from dashboard.i18n import LANGUAGES, t
from dashboard.metrics import CATALOGUE, count_ratios
from dashboard.workdays import Rule, as_rule

PANELS = ("map", "ranking", "trend")
# Months of balance trend a wall shows (a screen has room for two years).
TREND_MONTHS = 24
TILE_METRICS = ("requests", "online_share", "on_time_rate", "mean_score")
# Metrics the wall's map, ranking and trend can show: ratios of request and review counts.
WALL_METRICS = ("requests", "online_share", "on_time_rate", "mean_score", "good_rate", "bad_rate")
COUNTS = ("submitted", "online", "completed", "on_time", "reviews", "score_sum", "good", "bad")
CHANGE_KIND = {"requests": "relative", "mean_score": "points", "good_rate": "pp", "bad_rate": "pp"}
DWELL_RANGE = (2, 3600)
POLL_RANGE = (0.1, 3600.0)
REASON_CHARS = 90


@dataclass(frozen=True)
class Window:
    """Days `start` to `end`, both included."""

    start: date
    end: date

    def days(self) -> tuple[str, str]:
        """The window's first and last day as 'YYYY-MM-DD' (the snapshot's day keys)."""
        return self.start.isoformat(), self.end.isoformat()


@dataclass(frozen=True)
class Change:
    """A metric in a window against the previous window; `delta` in the metric's change kind."""

    metric: str
    current: float
    previous: float
    delta: float | None
    kind: str  # relative (a share of the previous value), pp (percentage points), points (score points)
    better: bool | None  # True: improved, False: worsened, None: no direction or no comparison


@dataclass(frozen=True)
class Stock:
    """Open (or overdue) bad reviews at the as-of time, and how many of them arrived today and this month."""

    now: int
    today: int
    month: int


@dataclass(frozen=True)
class Tiles:
    """Everything the KPI tiles show."""

    day: date
    today: dict[str, Change]
    month: dict[str, Change]
    open_bad: Stock
    overdue: Stock
    windows: dict[str, Window]


@dataclass(frozen=True)
class Alert:
    """A unit whose figure breaches a takeover threshold."""

    unit: str
    kind: str  # bad_rate or overdue
    value: float
    threshold: float
    reviews: int  # reviews behind a bad rate (this month); 0 for overdue
    since: str | None = None  # when the breach began (the refresh that first saw it), "YYYY-MM-DD HH:MM:SS"


@dataclass(frozen=True)
class Freshness:
    """Whether the wall's data is stale, since when and why (`kind`: ok, failure, old)."""

    kind: str
    since: str | None = None
    reason: str | None = None

    @property
    def stale(self) -> bool:
        """True when the badge must show."""
        return self.kind != "ok"


@dataclass(frozen=True)
class WallOptions:
    """What a wall shows and how often: playlist, dwell and poll seconds, metric of map, ranking and trend."""

    panels: tuple[str, ...]
    dwell: int
    poll: float
    metric: str


def today_windows(day: date) -> tuple[Window, Window]:
    """The as-of day and the same weekday one week earlier."""
    before = day - timedelta(days=7)
    return Window(day, day), Window(before, before)


def month_windows(day: date) -> tuple[Window, Window]:
    """Month-to-date up to `day`, and the previous month's first as many days (clamped to its length)."""
    start = day.replace(day=1)
    last_month_end = start - timedelta(days=1)
    prev_start = last_month_end.replace(day=1)
    prev_end = prev_start.replace(day=min(day.day, calendar.monthrange(prev_start.year, prev_start.month)[1]))
    return Window(start, day), Window(prev_start, prev_end)


def window_counts(frames: dict[str, pd.DataFrame], window: Window, by_unit: bool = False):
    """Summed request and review counts of a window (COUNTS), for the city or per unit."""
    first, last = window.days()
    req, rev = frames["req_day"], frames["rev_day"]
    req = req[(req["day"] >= first) & (req["day"] <= last)]
    rev = rev[(rev["day"] >= first) & (rev["day"] <= last)]
    req = req.assign(online=req["submitted"].where(req["channel"].isin(ONLINE), 0))
    req_cols = ["submitted", "online", "completed", "on_time"]
    rev_cols = ["reviews", "score_sum", "good", "bad"]
    if not by_unit:
        sums = pd.concat([req[req_cols].sum(), rev[rev_cols].sum()])
        return sums.reindex(list(COUNTS), fill_value=0).astype("float64")
    units = frames["units"]["code"]
    out = pd.concat([req.groupby("unit")[req_cols].sum(), rev.groupby("unit")[rev_cols].sum()], axis=1)
    return out.reindex(index=units, columns=list(COUNTS)).fillna(0).astype("float64").rename_axis("unit")


def metric_values(counts):
    """WALL_METRICS from window counts (a Series for the city, or a frame per unit); NaN for a zero base.
    The ratios are the metric table's own (metrics.COUNT_RATIOS)."""
    ratios = count_ratios(counts)
    values = {"requests": counts["submitted"]} | {m: ratios[m] for m in WALL_METRICS if m != "requests"}
    return pd.DataFrame(values) if isinstance(counts, pd.DataFrame) else pd.Series(values, dtype="float64")


def change(metric: str, current: float, previous: float) -> Change:
    """The change of a metric against its previous value, and whether that is better."""
    kind = CHANGE_KIND.get(metric, "pp")
    current, previous = float(current), float(previous)
    if math.isnan(current) or math.isnan(previous) or (kind == "relative" and previous == 0):
        return Change(metric, current, previous, None, kind, None)
    delta = current / previous - 1 if kind == "relative" else current - previous
    direction = CATALOGUE[metric].higher_is_better
    better = None if direction is None or delta == 0 else bool((delta > 0) == direction)
    return Change(metric, current, previous, delta, kind, better)


def _created(open_bad: pd.DataFrame) -> pd.Series:
    """When each open bad review was created, as datetimes."""
    return pd.to_datetime(open_bad["created_at"])


def overdue_at(created: pd.Series, rectify: Rule | int) -> pd.Series:
    """When each bad review created at `created` becomes overdue: midnight after its rectification deadline's
    last day (dashboard.workdays; an int rule is calendar days)."""
    rule = as_rule(rectify)
    days = created.dt.normalize()
    starts = {day: pd.Timestamp(rule.due(day.date()) + timedelta(days=1)) for day in days.dropna().unique()}
    return days.map(starts).astype("datetime64[ns]")


def provisional_at(created: pd.Series, rectify: Rule) -> pd.Series:
    """Whether the rectification deadline of each bad review created at `created` reaches a year the working-day
    calendar does not know (Rule.provisional, asked once per day given)."""
    days = created.dt.normalize()
    flags = {day: rectify.provisional(day.date()) for day in days.dropna().unique()}
    return days.map(flags).fillna(False).astype(bool)


def provisional_overdue(open_bad: pd.DataFrame, as_of: datetime, rectify: Rule) -> int:
    """Overdue bad reviews whose deadline reaches a year the working-day calendar does not know (provisional)."""
    created = _created(open_bad)
    overdue = overdue_at(created, rectify) <= as_of
    return int((overdue & provisional_at(created, rectify)).sum())


def stocks(open_bad: pd.DataFrame, as_of: datetime, rectify: Rule | int) -> tuple[Stock, Stock]:
    """Open and overdue bad reviews at `as_of`, each with how many arrived today and this month (by the as-of
    day): an open one arrives when created, an overdue one when its deadline passes."""
    created = _created(open_bad)
    day_start = datetime.combine(as_of.date(), datetime.min.time())
    month_start = day_start.replace(day=1)
    due = overdue_at(created, rectify)
    overdue = due <= as_of
    open_stock = Stock(len(created), int((created >= day_start).sum()), int((created >= month_start).sum()))
    overdue_stock = Stock(
        int(overdue.sum()), int((overdue & (due >= day_start)).sum()), int((overdue & (due >= month_start)).sum())
    )
    return open_stock, overdue_stock


def since(frames: dict[str, pd.DataFrame], first: date) -> dict[str, pd.DataFrame]:
    """The day frames (req_day, rev_day) cut to days from `first` on, the other frames as they are."""
    key = first.isoformat()
    return frames | {name: frames[name][frames[name]["day"] >= key] for name in ("req_day", "rev_day")}


def tiles(frames: dict[str, pd.DataFrame], as_of: datetime, rectify: Rule | int) -> Tiles:
    """The KPI tiles for the snapshot's as-of time."""
    day = as_of.date()
    (t_now, t_before), (m_now, m_before) = today_windows(day), month_windows(day)
    frames = since(frames, min(m_before.start, t_before.start))
    values = {name: metric_values(window_counts(frames, w)) for name, w in
              (("today", t_now), ("last_week", t_before), ("month", m_now), ("last_month", m_before))}
    today = {m: change(m, values["today"][m], values["last_week"][m]) for m in TILE_METRICS}
    month = {m: change(m, values["month"][m], values["last_month"][m]) for m in TILE_METRICS}
    open_stock, overdue_stock = stocks(frames["open_bad"], as_of, rectify)
    windows = {"today": t_now, "last_week": t_before, "month": m_now, "last_month": m_before}
    return Tiles(day, today, month, open_stock, overdue_stock, windows)


def unit_status(frames: dict[str, pd.DataFrame], as_of: datetime, rectify: Rule | int) -> pd.DataFrame:
    """Per unit (index: code): this month's reviews, bad reviews and bad rate; open and overdue bad reviews."""
    counts = window_counts(frames, month_windows(as_of.date())[0], by_unit=True)
    open_bad = frames["open_bad"]
    overdue = overdue_at(_created(open_bad), rectify) <= as_of
    status = pd.DataFrame(
        {
            "reviews": counts["reviews"].astype("int64"),
            "bad": counts["bad"].astype("int64"),
            "bad_rate": metric_values(counts)["bad_rate"],
            "open_bad": open_bad.groupby("unit").size().reindex(counts.index, fill_value=0).astype("int64"),
            "overdue": overdue.groupby(open_bad["unit"]).sum().reindex(counts.index, fill_value=0).astype("int64"),
        },
        index=counts.index,
    )
    return status


def alerts(status: pd.DataFrame, *, bad_rate_alert: float, min_reviews: int, overdue_alert: int) -> list[Alert]:
    """Units at or above a threshold, worst (value against threshold) first; a threshold of 0 is off. A bad
    rate counts only with at least `min_reviews` reviews this month, so one bad review in three is no alarm."""
    found = []
    for code, row in status.iterrows():
        rate_ok = row["reviews"] >= min_reviews and not math.isnan(row["bad_rate"])
        if bad_rate_alert > 0 and rate_ok and row["bad_rate"] >= bad_rate_alert:
            found.append(Alert(str(code), "bad_rate", float(row["bad_rate"]), bad_rate_alert, int(row["reviews"])))
        if overdue_alert > 0 and row["overdue"] >= overdue_alert:
            found.append(Alert(str(code), "overdue", float(row["overdue"]), float(overdue_alert), 0))
    return sorted(found, key=lambda a: (-a.value / a.threshold, a.unit, a.kind))


def track(previous: list[dict], current: list[Alert], now: datetime) -> tuple[list[dict], list[dict]]:
    """The alert state after a refresh and the events to send out.

    `previous` is the last snapshot's state (dicts of Alert fields); `current` the alerts found now. A breach
    still on keeps its `since`; a new one begins now (event `breach_started`); one no longer found has ended
    (event `breach_ended`, with its last value). The state is ordered like `current` (worst first)."""
    stamp = now.isoformat(sep=" ", timespec="seconds")
    before = {(a["unit"], a["kind"]): a for a in previous}
    state, events = [], []
    for alert in current:
        old = before.pop((alert.unit, alert.kind), None)
        since = old["since"] if old and old.get("since") else stamp
        entry = {**asdict(alert), "since": since}
        state.append(entry)
        if old is None:
            events.append({"event": "breach_started", "at": stamp, **entry})
    for old in before.values():
        events.append({"event": "breach_ended", "at": stamp, **old})
    return state, events


def shorten(text: str, limit: int = REASON_CHARS) -> str:
    """At most `limit` characters on one line, ending in an ellipsis when cut."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def freshness(as_of: datetime, now: datetime, failure: dict | None, stale_minutes: int) -> Freshness:
    """A failed refresh (since when, why) wins over old data (older than `stale_minutes`); else fresh."""
    if failure:
        return Freshness("failure", str(failure.get("since") or failure.get("at") or "")[:16],
                         shorten(failure.get("reason") or ""))
    if now - as_of > timedelta(minutes=stale_minutes):
        return Freshness("old", as_of.isoformat(sep=" ")[:16], None)
    return Freshness("ok")


def epoch_ms(local: datetime, timezone: str) -> int:
    """Milliseconds since the epoch of a naive local time in a time zone (for the browser's stale check)."""
    return int(local.replace(tzinfo=ZoneInfo(timezone)).timestamp() * 1000)


def _number(raw: str, low: float, high: float, cast) -> float | None:
    """`raw` as a number within [low, high], else None."""
    try:
        value = cast(raw)
    except (TypeError, ValueError):
        return None
    return value if low <= value <= high and not math.isnan(value) else None


def parse_options(search: str | None, defaults: WallOptions, lang: str) -> tuple[WallOptions, list[str]]:
    """The wall's options from a URL query over the defaults, and a note for every value that was ignored."""
    query = {k: v[-1].strip() for k, v in parse_qs((search or "").lstrip("?"), keep_blank_values=True).items()}
    notes, options = [], dict(panels=defaults.panels, dwell=defaults.dwell, poll=defaults.poll,
                              metric=defaults.metric)
    if "panels" in query:
        names = [p.strip().lower() for p in query["panels"].split(",") if p.strip()]
        unknown = [p for p in names if p not in PANELS]
        known = tuple(p for p in names if p in PANELS)
        if unknown or not known:
            notes.append(t("wall.note_panels", lang, value=shorten(query["panels"], 40), allowed=", ".join(PANELS)))
        if known:
            options["panels"] = known
    for key, (low, high), cast in (("dwell", DWELL_RANGE, int), ("poll", POLL_RANGE, float)):
        if key in query:
            value = _number(query[key], low, high, cast)
            if value is None:
                notes.append(t(f"wall.note_{key}", lang, value=shorten(query[key], 20), low=f"{low:g}",
                               high=f"{high:g}", default=f"{options[key]:g}"))
            else:
                options[key] = value
    if "metric" in query:
        if query["metric"] in WALL_METRICS:
            options["metric"] = query["metric"]
        else:
            notes.append(t("wall.note_metric", lang, value=shorten(query["metric"], 30),
                           allowed=", ".join(WALL_METRICS)))
    if "lang" in query and query["lang"] not in LANGUAGES:
        notes.append(t("wall.note_lang", lang, value=shorten(query["lang"], 20)))
    return WallOptions(**options), notes


def playlist_defaults(panels: str) -> tuple[str, ...]:
    """A comma-separated playlist setting as panel names (unknown names dropped; all panels if none left)."""
    names = tuple(p.strip().lower() for p in panels.split(",") if p.strip().lower() in PANELS)
    return names or PANELS
