"""Source -> aggregate tables by SQL pushdown (the source database does every GROUP BY), full or incremental.

Grains stay small whatever the number of source rows (docs/aggregates.md):

- req_day         unit x day x channel: submitted (by submit day); finished, completed, on_time (by finish day)
- req_item_month  unit x month x department x item: the same counts by month
- proc_hist       unit x month x processing-time bucket: completed requests (for median and p90)
- proc_item_month unit x month x department x item x bucket: the same histogram per service item
- departments, items  the services source's reference tables (names, promised days)
- rev_day         unit x day x channel: counted reviews (no upheld appeal), score sum, one count per score, good,
                  bad, appeals, default ratings, real-name bad reviews, rectification ratings, and rectified and
                  visited within the deadlines (judged in Python on the working-day calendar from rev_pairs)
- rev_item_month  unit x month x department x item: the same sums but the per-score counts
- review_columns  which optional review columns the source provides
- open_bad        one row per bad review not yet rectified (bounded by what is open)
- indicators      unit x month x indicator: value
- quality_counts  bad rows per table, reason and month

Incremental refresh re-aggregates only the id groups with a row from the cutoff on (the last watermark
minus the late-arrival window; for reviews also minus the longest rectification or visit period), for the days
from the cutoff, and replaces those keys. A month that holds the cutoff is completed from its head: the
previous refresh kept, per monthly grain, the sums of that month's days before the cutoff it planned for the
next refresh (`Cutoff.next_request_day`, `next_review_day`). Each monthly part therefore also groups by a
`head` flag (1 for a row dated before the next cutoff), and dashboard.refresh.roll_months adds the month up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)

from dashboard.sqlfuncs import day_key, hour_bucket, hours_between, iso_key, month_key, year_month

# Lower edges, in hours, of the processing-time buckets; the last bucket is open-ended.
HOUR_EDGES = (0, 0.5, 1, 2, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 480, 720, 1440)
CHANNELS = ("web", "app", "window", "self_service", "hotline")
ONLINE = ("web", "app")


def midnight(day: date | None) -> datetime | None:
    """The start of a day (None stays None)."""
    return None if day is None else datetime.combine(day, datetime.min.time())


@dataclass(frozen=True)
class Cutoff:
    """Where an incremental refresh starts, the first day re-aggregated per kind (None: everything), and where
    the next refresh will start (None: no heads kept)."""

    request_day: date | None = None
    review_day: date | None = None
    next_request_day: date | None = None
    next_review_day: date | None = None

    @property
    def full(self) -> bool:
        """True for a full refresh."""
        return self.request_day is None

    @property
    def since(self) -> dict[str, datetime] | None:
        """Fact table -> first datetime read by this refresh (None for a full refresh)."""
        if self.full:
            return None
        return {"service_request": midnight(self.request_day), "review": midnight(self.review_day)}

    def then(self, following: Cutoff) -> Cutoff:
        """This cutoff with the next refresh's cutoff (`following`) as where its heads end; a next cutoff before
        this one's is moved up to it (the heads can only be split from the days this refresh reads)."""
        def later(day, floor):
            return day if floor is None or day is None else max(day, floor)

        return Cutoff(self.request_day, self.review_day, later(following.request_day, self.request_day),
                      later(following.review_day, self.review_day))


def plan(watermark: datetime | None, late_hours: int, lookback_days: int) -> Cutoff:
    """The cutoff of a refresh after `watermark`: full without a watermark, else the watermark minus the late
    window.

    Reviews go back further by `lookback_days` (the longest of the rectification and visit periods, in
    calendar days, at the cutoff: Rule.lookback_days), because a late rectification or visit of a review still
    within its period changes whether it was in time."""
    if watermark is None:
        return Cutoff()
    request = (watermark - timedelta(hours=late_hours)).date()
    review = (watermark - timedelta(hours=late_hours) - timedelta(days=lookback_days)).date()
    return Cutoff(request, review)


def _flag(condition) -> object:
    """1 where a condition holds, else 0 (NULL counts as not holding)."""
    return case((condition, 1), else_=0)


def _bucket(hours) -> object:
    """Index of the processing-time bucket of an hour count (sqlfuncs.hour_bucket over HOUR_EDGES)."""
    return hour_bucket(hours, HOUR_EDGES)


def _since(column, day: date | None):
    """column >= the start of a day (true for a full refresh)."""
    return true() if day is None else column >= midnight(day)


def _head(column, day: date | None):
    """1 for a row dated before the start of a day (the next refresh's cutoff): the row belongs to its month's
    head; else 0 (also for an undated row, and for every row without a next cutoff)."""
    return literal(0) if day is None else _flag(column < midnight(day))


def request_statements(r, cutoff: Cutoff, per_reason: int) -> dict[str, object]:
    """GROUP BY statements over classified requests `r` (a `reason` column, NULL for a good row), keyed by the
    frame part they produce: the aggregates of the good rows and quality_parts of the bad ones."""
    finished = r.completed_at.is_not(None)
    completed = and_(r.status == "completed", finished)
    rows = select(
        r.request_id,
        r.reason,
        r.district_code.label("unit"),
        r.channel,
        r.department_code,
        r.item_code,
        r.submitted_at,
        r.completed_at,
        day_key(r.submitted_at).label("sub_day"),
        month_key(r.submitted_at).label("sub_month"),
        day_key(r.completed_at).label("fin_day"),
        month_key(r.completed_at).label("fin_month"),
        _flag(finished).label("finished"),
        _flag(completed).label("completed"),
        _flag(and_(completed, r.completed_at <= r.deadline_at)).label("on_time"),
        case((completed, _bucket(hours_between(r.completed_at, r.submitted_at))), else_=None).label("bucket"),
        _head(r.submitted_at, cutoff.next_request_day).label("sub_head"),
        _head(r.completed_at, cutoff.next_request_day).label("fin_head"),
    ).cte("request_rows")
    c = rows.c
    good = c.reason.is_(None)
    day = cutoff.request_day
    sums = [
        func.sum(c.finished).label("finished"),
        func.sum(c.completed).label("completed"),
        func.sum(c.on_time).label("on_time"),
    ]
    item_keys = [c.unit, c.department_code, c.item_code]
    return {
        "req_day.submitted": select(c.unit, c.sub_day.label("day"), c.channel, func.count().label("submitted"))
        .where(good, _since(c.submitted_at, day))
        .group_by(c.unit, c.sub_day, c.channel),
        "req_day.finished": select(c.unit, c.fin_day.label("day"), c.channel, *sums)
        .where(good, c.completed_at.is_not(None), _since(c.completed_at, day))
        .group_by(c.unit, c.fin_day, c.channel),
        "req_item_month.submitted": select(*item_keys, c.sub_month.label("month"), c.sub_head.label("head"),
                                           func.count().label("submitted"))
        .where(good, _since(c.submitted_at, day))
        .group_by(*item_keys, c.sub_month, c.sub_head),
        # one grain for req_item_month's finished counts, proc_item_month and proc_hist (refresh.finished_items
        # rolls them up): the bucket is NULL where a finished request was not completed
        "req_item_bucket.finished": select(*item_keys, c.fin_month.label("month"), c.bucket,
                                           c.fin_head.label("head"), *sums)
        .where(good, c.completed_at.is_not(None), _since(c.completed_at, day))
        .group_by(*item_keys, c.fin_month, c.bucket, c.fin_head),
        **quality_parts(c, "submitted_at", "sub_head", "request_id", cutoff.since, "service_request", per_reason),
    }


# Optional review columns of ../shared/DATA.md: a source may lack any of them (the mapping, or the real table,
# says which), and a metric that needs an absent one is "not available from this source".
OPTIONAL_REVIEW_COLUMNS = ("visited_at", "real_name", "appeal_status", "is_default", "rectification_rating")
APPEAL_STATUSES = ("none", "pending", "upheld", "rejected")
RECTIFICATION_RATINGS = ("satisfied", "basic", "dissatisfied")


def _true(column) -> object:
    """A yes/no column is yes: stored as a boolean, 0/1 or TINYINT alike (NULL: no)."""
    return cast(column, Integer) == 1


def counted(v) -> object:
    """A review that counts in the rates: any review but one whose appeal was upheld (docs/metrics.md)."""
    return or_(v.appeal_status.is_(None), v.appeal_status != "upheld")


def review_statements(v, cutoff: Cutoff, per_reason: int) -> dict[str, object]:
    """GROUP BY statements over classified reviews `v` (a `reason` column, NULL for a good row), with
    quality_parts of the bad ones.

    Whether a bad review was rectified or visited in time is judged in Python against the working-day calendar
    (dashboard.workdays), so the deadlines need only `rev_pairs`: the counted bad reviews that were rectified or
    visited, by their created, rectified and visited days."""
    valid = counted(v)
    bad = and_(valid, v.score <= 2)
    default = and_(valid, _true(v.is_default))
    rows = select(
        v.review_id,
        v.reason,
        v.district_code.label("unit"),
        v.channel,
        v.department_code,
        v.item_code,
        v.created_at,
        case((valid, v.score), else_=0).label("score"),
        day_key(v.created_at).label("day"),
        month_key(v.created_at).label("month"),
        day_key(v.rectified_at).label("rect_day"),
        day_key(v.visited_at).label("visit_day"),
        _flag(valid).label("valid"),
        *[_flag(and_(valid, v.score == s)).label(f"s{s}") for s in range(1, 6)],
        _flag(and_(valid, v.score >= 4)).label("good"),
        _flag(bad).label("bad"),
        _flag(v.appeal_status == "upheld").label("appeal_upheld"),
        _flag(and_(bad, v.appeal_status == "pending")).label("appeal_pending"),
        _flag(default).label("defaults"),
        case((default, v.score), else_=0).label("default_score"),
        _flag(and_(default, v.score >= 4)).label("default_good"),
        _flag(and_(bad, _true(v.real_name))).label("real_bad"),
        *[_flag(and_(bad, v.rectification_rating == r)).label(f"rated_{r}") for r in RECTIFICATION_RATINGS],
        _head(v.created_at, cutoff.next_review_day).label("head"),
    ).cte("review_rows")
    c = rows.c
    good = c.reason.is_(None)
    day = cutoff.review_day
    common = [
        func.sum(c.valid).label("reviews"),
        func.sum(c.score).label("score_sum"),
        *[func.sum(c[name]).label(name) for name in REVIEW_SUMS],
    ]
    item_keys = [c.unit, c.department_code, c.item_code]
    pair_keys = [c.unit, c.channel, c.department_code, c.item_code, c.day, c.rect_day, c.visit_day, c.real_bad]
    return {
        "rev_day": select(
            c.unit, c.day, c.channel, *common, *[func.sum(c[f"s{s}"]).label(f"s{s}") for s in range(1, 6)]
        )
        .where(good, _since(c.created_at, day))
        .group_by(c.unit, c.day, c.channel),
        "rev_item_month": select(*item_keys, c.month, c.head, *common)
        .where(good, _since(c.created_at, day))
        .group_by(*item_keys, c.month, c.head),
        "rev_pairs": select(*pair_keys, func.count().label("n"))
        .where(good, c.bad == 1, or_(c.rect_day.is_not(None), c.visit_day.is_not(None)),
               _since(c.created_at, day))
        .group_by(*pair_keys),
        **quality_parts(c, "created_at", "head", "review_id", cutoff.since, "review", per_reason),
    }


def quality_parts(c, time: str, head: str, ident: str, since: dict | None, table: str, per_reason: int) -> dict:
    """The bad rows among classified rows `c`, from the same pass as the aggregates (a table is classified once
    per refresh): counts per reason, month of `time` (NULL: undated) and `head` flag, and the ids of the newest
    `per_reason` of each reason (undated first, then newest), whose rows are read afterwards through the id
    index. With `since` (table -> first datetime, an incremental refresh), only rows dated from then on, or
    undated."""
    start = (since or {}).get(table)
    bad = and_(c.reason.is_not(None), true() if start is None else or_(c[time] >= start, c[time].is_(None)))
    # the bad rows once, apart: both parts below read them, and the classified rows are every row of the table
    # (reading those twice for the few bad ones cost 2.3 s at 10M requests)
    rows = select(c[ident].label("bad_id"), c.reason, c[time].label("moment"), c[head].label("head")).where(
        bad).cte(f"{table}_bad")
    b = rows.c
    # the month in a subquery: grouping by year_month() itself would bind its format twice, which PostgreSQL
    # takes for two different expressions
    dated = select(b.reason, year_month(b.moment).label("bad_month"), b.head).subquery(f"{table}_bad_rows")
    newest = func.row_number().over(
        partition_by=b.reason, order_by=[b.moment.is_(None).desc(), b.moment.desc(), b.bad_id]
    )
    ranked = select(b.bad_id, b.reason, newest.label("newest")).subquery(f"{table}_bad_ranked")
    return {
        f"{table}.bad_counts": select(dated.c.reason, dated.c.bad_month, dated.c.head,
                                      func.count().label("bad_rows"))
        .group_by(dated.c.reason, dated.c.bad_month, dated.c.head),
        f"{table}.bad_ids": select(ranked.c.bad_id, ranked.c.reason).where(ranked.c.newest <= per_reason),
    }


# Sums of rev_day and rev_item_month besides reviews and score_sum (docs/aggregates.md).
REVIEW_SUMS = ("good", "bad", "appeal_upheld", "appeal_pending", "defaults", "default_score", "default_good",
               "real_bad", *[f"rated_{r}" for r in RECTIFICATION_RATINGS])
# Filled in Python from rev_pairs (dashboard.refresh.judge_deadlines).
DEADLINE_SUMS = ("rect_on_time", "visit_on_time", "real_visit_on_time")


def one_statement(parts: dict[str, object]) -> object:
    """The parts as one UNION ALL with a `part` column, so the source classifies the rows once (the shared
    CTE is computed once) instead of once per part; columns a part lacks are typed NULLs."""
    subs = {name: stmt.subquery(name.replace(".", "_")) for name, stmt in parts.items()}
    widths = dict.fromkeys(DAY_KEYS, 10) | dict.fromkeys(MONTH_KEYS, 7)
    types: dict[str, object] = {}
    for sub in subs.values():
        for col in sub.c:
            types.setdefault(col.key, String() if col.key in widths else col.type)

    def column(sub, k):  # day and month keys leave the engine as ISO text, formatted on the grouped rows
        return iso_key(sub.c[k], widths[k]) if k in widths else sub.c[k]

    # Parts are numbered and missing text columns are bare NULLs: string literals and CASTs to text carry
    # the connection's collation, which MariaDB refuses to mix with the columns' in a UNION. Missing numbers
    # are CAST, or PostgreSQL would type two NULLs of a nested UNION as text.
    def missing(t):
        return type_coerce(null(), t) if isinstance(t, String) else cast(null(), t)

    branches = [
        select(
            literal(number).label("part"),
            *[(column(sub, k) if k in sub.c else missing(t)).label(k) for k, t in types.items()],
        )
        for number, sub in enumerate(subs.values())
    ]
    return union_all(*branches)


# Grouping keys that one_statement hands over as ISO text (sqlfuncs.iso_key): days 'YYYY-MM-DD', months 'YYYY-MM'.
DAY_KEYS, MONTH_KEYS = ("day", "rect_day", "visit_day"), ("month",)


def split_parts(frame, parts) -> dict:
    """The result of one_statement back as one frame per part, with only that part's columns."""
    out = {}
    for number, (name, stmt) in enumerate(parts.items()):
        columns = [c.key for c in stmt.selected_columns]
        out[name] = frame.loc[frame["part"] == number, columns].reset_index(drop=True)
    return out


def open_bad_statement(v) -> object:
    """Every bad review not yet rectified (score 1-2, rectified_at empty, no upheld appeal), with its visit and
    appeal."""
    return select(
        v.review_id, v.district_code.label("unit"), v.department_code, v.item_code, v.channel, v.score, v.created_at,
        v.visited_at, v.appeal_status,
    ).where(v.score <= 2, v.rectified_at.is_(None), counted(v))


def indicator_statement(i) -> object:
    """Indicator values per unit, month and indicator."""
    rows = select(i.district_code.label("unit"), year_month(i.period).label("month"), i.indicator_code, i.value)
    inner = rows.subquery("indicator_rows")
    return select(inner.c.unit, inner.c.month, inner.c.indicator_code, func.max(inner.c.value).label("value")).group_by(
        inner.c.unit, inner.c.month, inner.c.indicator_code
    )


def request_scope(cutoff: Cutoff):
    """restrict(columns) for requests: id groups with a submission or a finish from the cutoff on, or undated
    (an undated row is a bad row that every refresh counts again)."""
    if cutoff.full:
        return None
    start = cutoff.since["service_request"]
    return lambda c: or_(c.submitted_at >= start, c.completed_at >= start, c.submitted_at.is_(None))


def review_scope(cutoff: Cutoff):
    """restrict(columns) for reviews: id groups with a review from the cutoff on, or undated."""
    if cutoff.full:
        return None
    start = cutoff.since["review"]
    return lambda c: or_(c.created_at >= start, c.created_at.is_(None))


def open_bad_scope(c):
    """restrict(columns) for the open bad reviews."""
    return and_(c.score <= 2, c.rectified_at.is_(None), counted(c))
