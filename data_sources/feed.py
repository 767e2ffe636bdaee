"""The live demo feed: synthetic rows arriving in real time, so that a demo's "today" moves.

`Feed.step(until)` appends everything that happened on the demo's invented city between the last fed moment and
`until`: new requests (each unit at the daily volume of its last four weeks of history, shaped by the hour of day
and the day of the week: office hours, a lunch dip, quiet nights and weekends), completions of earlier ones,
reviews of completed requests (at the history's participation and score mix per unit, with the demo's real-name,
default-rating and appeal patterns), return visits and rectifications (rated by real-name reviewers) of bad
reviews. Nothing is generated ahead of `until`: a request is inserted open and updated when its completion time
has passed, a bad review is visited and rectified when its time has come. The moment fed so far is kept in the
sources, so a feed that was stopped fills the gap when it starts again and the history has no hole.

It writes only to sources marked as demo data: run_demo writes the `onescreen_demo` marker table in each source
database; a source without it is refused (`FeedRefused`), whatever it holds.
Everything random is drawn from the seed and the moment, so a fixed clock gives the same rows.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Column, MetaData, String, Table, and_, bindparam, func, insert, select, update

from dashboard.aggregation import CHANNELS, RECTIFICATION_RATINGS
from dashboard.regions import City
from data_sources.demo import (
    ANONYMOUS_NEVER_VISITED,
    APPEAL_DAYS,
    APPEALED,
    DEFAULT_FIVE,
    NEVER_VISITED,
    RATED,
    RATING_SHARES,
    REAL_NAME,
    SLOW_NEVER_VISITED,
    SLOW_VISIT_HOURS,
    UPHELD,
    VISIT_HOURS,
    slow_visit_units,
)
from data_sources.sql import SqlSources

log = logging.getLogger(__name__)

MARKER = "onescreen_demo"
HISTORY_DAYS = 28
# Share of a day's requests in each hour (office hours, a lunch dip, quiet nights); weekends at WEEKEND_FACTOR.
HOUR_WEIGHTS = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 8.0, 9.0, 8.5,
                         4.0, 5.5, 8.5, 8.5, 7.5, 5.0, 2.5, 2.0, 1.5, 1.0, 0.6, 0.3])
HOUR_SHARE = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
WEEKEND_FACTOR = 0.3
MEAN_HANDLING_HOURS = 6.0  # a request is completed this long after submission on average (exponential)
MEAN_REVIEW_LAG_MINUTES = 40.0
MEAN_RECTIFICATION_DAYS = 8.0  # some bad reviews take longer than the rectification limit: overdue ones exist
ID_PREFIX = "LIVE"


class FeedRefused(Exception):
    """The sources are not marked as demo data: the feed writes nothing."""


def marker_table(metadata: MetaData | None = None) -> Table:
    """The marker of a demo source database: (name, value) rows, `demo` = `1` and `fed_until`."""
    return Table(MARKER, metadata or MetaData(), Column("name", String(32), primary_key=True),
                 Column("value", String(64), nullable=False))


def _engines(sources: SqlSources) -> dict[str, object]:
    """One engine per distinct database among the sources."""
    found = {}
    for source in ("services", "reviews", "indicators"):
        found.setdefault(sources.urls[source], sources.engine(source))
    return found


def mark_demo(sources: SqlSources, fed_until: datetime) -> None:
    """Mark every source database as demo data, fed up to `fed_until` (run_demo calls this)."""
    for engine in _engines(sources).values():
        table = marker_table()
        table.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(table.delete())
            conn.execute(insert(table), [{"name": "demo", "value": "1"},
                                         {"name": "fed_until", "value": fed_until.isoformat(sep=" ")}])


def _marker(engine) -> dict[str, str]:
    table = marker_table()
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(table.c.name, table.c.value)).all())
    except Exception:  # noqa: BLE001 - no marker table: not demo data
        return {}


def is_demo(sources: SqlSources) -> bool:
    """True when every source database carries the demo marker."""
    return all(_marker(engine).get("demo") == "1" for engine in _engines(sources).values())


def fed_until(sources: SqlSources) -> datetime | None:
    """The moment the feed (or the generated history) has reached, from the services database's marker."""
    value = _marker(sources.engine("services")).get("fed_until")
    return datetime.fromisoformat(value) if value else None


def _set_fed_until(sources: SqlSources, until: datetime) -> None:
    table = marker_table()
    for engine in _engines(sources).values():
        with engine.begin() as conn:
            conn.execute(update(table).where(table.c.name == "fed_until").values(value=until.isoformat(sep=" ")))


def _seconds(moment: datetime) -> int:
    """A naive local time as a number, the same whatever the machine's time zone."""
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def _unit_hash(text: str) -> float:
    """A number in [0, 1) from a text, the same on every run."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def _after(identifier: str, start: datetime, mean: timedelta, salt: str) -> datetime:
    """When something happens to a row: its start plus an exponential delay drawn from its id."""
    return start + mean * -math.log(1 - _unit_hash(salt + identifier))


def _review_extras(review_id: str, channel: str, score: int) -> dict:
    """The optional columns of a new review, drawn from its id (not from the window's generator, so the other
    columns are what they were without them): default 5s at the window, real names, an occasional appeal."""
    k = CHANNELS.index(channel)
    default = score == 5 and _unit_hash("default" + review_id) < DEFAULT_FIVE[k]
    real = not default and _unit_hash("real" + review_id) < REAL_NAME[k]
    appealed = score <= 2 and _unit_hash("appeal" + review_id) < APPEALED
    return {"visited_at": None, "real_name": bool(real), "appeal_status": "pending" if appealed else "none",
            "is_default": bool(default), "rectification_rating": None}


def _rating(review_id: str, real_name: bool | None) -> str | None:
    """The reviewer's rating of a rectification: most real-name reviewers give one; anonymous ones cannot."""
    if not real_name or _unit_hash("rated" + review_id) >= RATED:
        return None
    level = int(np.searchsorted(np.cumsum(RATING_SHARES), _unit_hash("rating" + review_id), side="right"))
    return RECTIFICATION_RATINGS[min(level, len(RECTIFICATION_RATINGS) - 1)]


@dataclass(frozen=True)
class History:
    """What the feed imitates, learned from the last HISTORY_DAYS of the sources."""

    daily: dict[str, float]  # requests per day, per unit
    channels: np.ndarray  # channel shares (in CHANNELS order), the city's
    items: pd.DataFrame  # code, department_code, promised_days
    participation: dict[str, float]  # reviews per completed request, per unit
    scores: dict[str, np.ndarray]  # share of scores 1..5, per unit


class Feed:
    """Appends live demo rows to demo sources."""

    def __init__(self, sources: SqlSources, city: City, seed: int = 42):
        if not is_demo(sources):
            raise FeedRefused("the sources are not marked as demo data (no onescreen_demo marker): the live feed "
                              "writes only to databases that `python -m dashboard demo` filled")
        self.sources, self.city, self.seed = sources, city, seed
        self.requests = sources.table("services", "service_request")
        self.reviews = sources.table("reviews", "review")
        self.slow_visit = set(slow_visit_units(city))
        self._history: History | None = None

    def history(self, until: datetime) -> History:
        """The last HISTORY_DAYS before `until`, learned once per feed."""
        if self._history is None:
            self._history = self._learn(until)
        return self._history

    def _learn(self, until: datetime) -> History:
        since = until - timedelta(days=HISTORY_DAYS)
        r, v = self.requests.c, self.reviews.c
        item = self.sources.table("services", "service_item").c
        with self.sources.engine("services").connect() as conn:
            per_unit = dict(conn.execute(select(r.district_code, func.count()).where(
                r.submitted_at >= since, r.submitted_at < until).group_by(r.district_code)).all())
            per_channel = dict(conn.execute(select(r.channel, func.count()).where(
                r.submitted_at >= since, r.submitted_at < until).group_by(r.channel)).all())
            completed = dict(conn.execute(select(r.district_code, func.count()).where(
                r.completed_at >= since, r.completed_at < until).group_by(r.district_code)).all())
            items = pd.DataFrame(conn.execute(select(item.code, item.department_code, item.promised_days)).all(),
                                 columns=["code", "department_code", "promised_days"])
        with self.sources.engine("reviews").connect() as conn:
            scores = conn.execute(select(v.district_code, v.score, func.count()).where(
                v.created_at >= since, v.created_at < until).group_by(v.district_code, v.score)).all()
        codes = self.city.codes
        shares = np.array([per_channel.get(c, 0) for c in CHANNELS], dtype=float)
        score_counts = {code: np.zeros(5) for code in codes}
        for code, score, n in scores:
            if code in score_counts and score in (1, 2, 3, 4, 5):
                score_counts[code][int(score) - 1] += n
        reviews_per_unit = {code: score_counts[code].sum() for code in codes}
        return History(
            daily={code: per_unit.get(code, 0) / HISTORY_DAYS for code in codes},
            channels=shares / shares.sum() if shares.sum() else np.full(len(CHANNELS), 1 / len(CHANNELS)),
            items=items,
            participation={code: min(1.0, reviews_per_unit[code] / completed[code]) if completed.get(code) else 0.3
                           for code in codes},
            scores={code: (score_counts[code] / score_counts[code].sum() if score_counts[code].sum()
                           else np.array([0.02, 0.03, 0.1, 0.35, 0.5])) for code in codes},
        )

    def step(self, until: datetime) -> dict[str, int]:
        """Append what happened from the last fed moment up to `until` (a day at a time); return row counts."""
        start = fed_until(self.sources)
        if start is None:
            raise FeedRefused("the demo sources do not say how far they were fed")
        counts = {"requests": 0, "completed": 0, "reviews": 0, "visited": 0, "rectified": 0}
        while start < until:
            end = min(until, datetime.combine(start.date() + timedelta(days=1), datetime.min.time()))
            for key, n in self._window(start, end).items():
                counts[key] += n
            _set_fed_until(self.sources, end)
            start = end
        if any(counts.values()):
            log.info("demo feed up to %s: %s", until, counts, extra={"event": "demo_feed", **counts})
        return counts

    def _window(self, start: datetime, end: datetime) -> dict[str, int]:
        hist = self.history(start)
        rng = np.random.default_rng([self.seed, _seconds(start), _seconds(end)])
        new = self._new_requests(hist, start, end, rng)
        with self.sources.engine("services").begin() as conn:
            if new:
                conn.execute(insert(self.requests), new)
            done = self._complete(conn, end)
        reviews = self._reviews_of(hist, done, end, rng)
        with self.sources.engine("reviews").begin() as conn:
            if reviews:
                conn.execute(insert(self.reviews), reviews)
            visited = self._visit(conn, end)
            rectified = self._rectify(conn, end)
            self._decide_appeals(conn, end)
        return {"requests": len(new), "completed": len(done), "reviews": len(reviews), "visited": visited,
                "rectified": rectified}

    def _new_requests(self, hist: History, start: datetime, end: datetime, rng) -> list[dict]:
        day_factor = WEEKEND_FACTOR if start.weekday() >= 5 else 1.0
        hours = np.arange(start.hour, (end - timedelta(microseconds=1)).hour + 1)
        rows = []
        for code in self.city.codes:
            for hour in hours:
                h0 = max(start, start.replace(hour=int(hour), minute=0, second=0, microsecond=0))
                h1 = min(end, start.replace(hour=int(hour), minute=0, second=0, microsecond=0) + timedelta(hours=1))
                span = (h1 - h0).total_seconds()
                if span <= 0:
                    continue
                expected = hist.daily[code] * day_factor * HOUR_SHARE[hour] * span / 3600
                for _ in range(rng.poisson(expected)):
                    submitted = h0 + timedelta(seconds=int(rng.integers(0, max(1, int(span)))))
                    item = hist.items.iloc[int(rng.integers(0, len(hist.items)))]
                    channel = CHANNELS[int(rng.choice(len(CHANNELS), p=hist.channels))]
                    rows.append({
                        "request_id": f"{ID_PREFIX}{submitted:%y%m%d%H%M%S}{code}{len(rows):05d}",  # 27 chars
                        "district_code": code, "department_code": item["department_code"],
                        "item_code": item["code"], "channel": channel, "submitted_at": submitted,
                        "completed_at": None, "status": "submitted",
                        "deadline_at": submitted + timedelta(days=int(item["promised_days"])),
                    })
        return rows

    def _complete(self, conn, end: datetime) -> list[dict]:
        """Complete the feed's open requests whose handling time has passed by `end`."""
        r = self.requests.c
        open_rows = conn.execute(select(r.request_id, r.district_code, r.department_code, r.item_code, r.channel,
                                        r.submitted_at).where(r.status == "submitted",
                                                              r.request_id.like(f"{ID_PREFIX}%"))).all()
        done = []
        for row in open_rows:
            at = _after(row.request_id, row.submitted_at, timedelta(hours=MEAN_HANDLING_HOURS), "done")
            if at.replace(microsecond=0) <= end:
                done.append({**row._asdict(), "completed_at": at.replace(microsecond=0)})
        if done:  # one statement, executed for every row
            conn.execute(update(self.requests).where(r.request_id == bindparam("rid")).values(
                status="completed", completed_at=bindparam("at")),
                [{"rid": d["request_id"], "at": d["completed_at"]} for d in done])
        return done

    def _reviews_of(self, hist: History, done: list[dict], end: datetime, rng) -> list[dict]:
        rows = []
        for row in done:
            code = row["district_code"]
            if rng.random() >= hist.participation[code]:
                continue
            lag = timedelta(minutes=float(rng.exponential(MEAN_REVIEW_LAG_MINUTES)))
            review_id, score = f"R{row['request_id']}", int(rng.choice(5, p=hist.scores[code])) + 1
            rows.append({
                "review_id": review_id, "request_id": row["request_id"], "district_code": code,
                "department_code": row["department_code"], "item_code": row["item_code"],
                "channel": row["channel"], "score": score,
                "created_at": min(end, row["completed_at"] + lag).replace(microsecond=0), "rectified_at": None,
                **_review_extras(review_id, row["channel"], score),
            })
        return rows

    def _visit(self, conn, end: datetime) -> int:
        """Return-visit the feed's unvisited bad reviews whose time has come by `end` (slowly in the units slow to
        visit); a few are never visited, more of them when the reviewer is anonymous."""
        v = self.reviews.c
        open_bad = conn.execute(select(v.review_id, v.district_code, v.created_at, v.real_name).where(
            and_(v.score <= 2, v.visited_at.is_(None), v.review_id.like(f"R{ID_PREFIX}%")))).all()
        due = []
        for review_id, code, created, real_name in open_bad:
            slow = code in self.slow_visit
            never = (SLOW_NEVER_VISITED if slow else NEVER_VISITED) + (0.0 if real_name else ANONYMOUS_NEVER_VISITED)
            if _unit_hash("unvisited" + review_id) < never:
                continue
            mean = timedelta(hours=SLOW_VISIT_HOURS if slow else VISIT_HOURS)
            if (at := _after(review_id, created, mean, "visit").replace(microsecond=0)) <= end:
                due.append({"rid": review_id, "at": at})
        if due:
            conn.execute(update(self.reviews).where(v.review_id == bindparam("rid")).values(
                visited_at=bindparam("at")), due)
        return len(due)

    def _decide_appeals(self, conn, end: datetime) -> int:
        """Decide the feed's pending appeals whose day has come by `end` (APPEAL_DAYS after the review, as in the
        history): upheld or rejected in the history's proportion."""
        v = self.reviews.c
        pending = conn.execute(select(v.review_id, v.created_at).where(
            and_(v.appeal_status == "pending", v.review_id.like(f"R{ID_PREFIX}%")))).all()
        low, high = APPEAL_DAYS
        due = [{"rid": review_id,
                "status": "upheld" if _unit_hash("upheld" + review_id) < UPHELD else "rejected"}
               for review_id, created in pending
               if created + timedelta(days=low + (high - low) * _unit_hash("decided" + review_id)) <= end]
        if due:
            conn.execute(update(self.reviews).where(v.review_id == bindparam("rid")).values(
                appeal_status=bindparam("status")), due)
        return len(due)

    def _rectify(self, conn, end: datetime) -> int:
        """Rectify the feed's open bad reviews whose time has come by `end`; real-name reviewers mostly rate it."""
        v = self.reviews.c
        open_bad = conn.execute(select(v.review_id, v.created_at, v.real_name).where(
            and_(v.score <= 2, v.rectified_at.is_(None), v.review_id.like(f"R{ID_PREFIX}%")))).all()
        due = [{"rid": review_id, "at": at, "rating": _rating(review_id, real_name)}
               for review_id, created, real_name in open_bad
               if (at := _after(review_id, created, timedelta(days=MEAN_RECTIFICATION_DAYS), "fixed")
                   .replace(microsecond=0)) <= end]
        if due:
            conn.execute(update(self.reviews).where(v.review_id == bindparam("rid")).values(
                rectified_at=bindparam("at"), rectification_rating=bindparam("rating")), due)
        return len(due)
