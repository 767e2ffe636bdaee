"""The demo generator on SQLite, PostgreSQL and MariaDB, checked with SQL straight from the tables it writes."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from statistics import mean

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import and_, case, func, or_, select

from dashboard.aggregation import APPEAL_STATUSES, RECTIFICATION_RATINGS
from dashboard.settings import Settings
from data_sources import demo as demo_module
from data_sources.demo import (
    FESTIVAL,
    SATURDAY,
    SUNDAY,
    WORKDAY,
    day_kinds,
    demo_batches,
    plan_bad_rows,
    run_demo,
    slow_visit_units,
    window_start,
)
from data_sources.schema import CHANNELS, INDICATORS, ONLINE_CHANNELS, STATUSES
from data_sources.sql import SqlSources

SCALE = 20_000
END = date(2026, 11, 22)
START = datetime(2023, 11, 23)  # three years up to END, inclusive
LAST = datetime(2026, 11, 22, 23, 59, 59)
FUTURE = LAST + timedelta(days=2)  # a deliberately future time lies at least this far ahead
BAD_SHARE = Settings.model_fields["demo_bad_share"].default
TABLES = ("district", "department", "service_item", "service_request", "review", "district_indicator")
OPTIONAL = ("visited_at", "real_name", "appeal_status", "is_default", "rectification_rating")


def sources_at(url: str) -> SqlSources:
    return SqlSources({"services": url, "reviews": url, "indicators": url})


def table(sources: SqlSources, name: str):
    return sources.table(sources.source_of(name), name)


def rows(sources: SqlSources, name: str, stmt) -> list:
    with sources.engine(sources.source_of(name)).connect() as conn:
        return conn.execute(stmt).all()


def scalar(sources: SqlSources, name: str, stmt):
    return rows(sources, name, stmt)[0][0]


def flag(condition):
    """1 where a condition holds, else 0 (NULL counts as not holding)."""
    return case((condition, 1), else_=0)


def rules(name: str, t, codes: tuple[str, ...]) -> dict[str, object]:
    """The bad-row rules of DATA.md as SQL conditions, duplicate_id excepted (it is checked by counting ids)."""
    unit = t.c.district_code.not_in(codes)
    if name == "service_request":
        return {
            "unknown_unit": unit,
            "unknown_code": or_(t.c.channel.not_in(CHANNELS), t.c.status.not_in(STATUSES)),
            "null_time": or_(t.c.submitted_at.is_(None), and_(t.c.status == "completed", t.c.completed_at.is_(None))),
            "future_time": or_(t.c.submitted_at > LAST, t.c.completed_at > LAST),
            "completed_before_submitted": t.c.completed_at < t.c.submitted_at,
        }
    if name == "review":
        return {
            "unknown_unit": unit,
            "unknown_code": t.c.channel.not_in(CHANNELS),
            "bad_score": or_(t.c.score.is_(None), t.c.score < 1, t.c.score > 5),
            "null_time": t.c.created_at.is_(None),
            "future_time": or_(t.c.created_at > LAST, t.c.rectified_at > LAST, t.c.visited_at > LAST),
            "rectified_before_created": t.c.rectified_at < t.c.created_at,
        }
    return {
        "unknown_unit": unit,
        "unknown_code": t.c.indicator_code.not_in(INDICATORS),
        "bad_value": or_(
            t.c.value.is_(None), t.c.value < 0, and_(t.c.indicator_code == "grade_protection_rate", t.c.value > 1)
        ),
        "null_time": t.c.period.is_(None),
        "future_time": t.c.period > LAST.date(),
    }


def by_group(sources: SqlSources, name: str, stmt) -> dict[str, float]:
    """A (key, number) query as a dict of floats (PostgreSQL and MariaDB average to Decimal)."""
    return {key: float(value) for key, value in rows(sources, name, stmt)}


def duplicates(sources: SqlSources, name: str) -> int:
    """Rows beyond the first of each id."""
    t = table(sources, name)
    ids = {"service_request": ("request_id",), "review": ("review_id",)}.get(
        name, ("district_code", "period", "indicator_code")
    )
    per_id = select(func.count().label("n")).select_from(t).group_by(*(t.c[k] for k in ids)).subquery()
    return scalar(sources, name, select(func.coalesce(func.sum(per_id.c.n - 1), 0)))


def digest(sources: SqlSources) -> str:
    """A hash of every row of every table, independent of row order."""
    h = hashlib.sha256()
    for name in TABLES:
        t = table(sources, name)
        content = sorted(tuple("" if v is None else str(v) for v in row) for row in rows(sources, name, select(t)))
        h.update(repr((name, content)).encode())
    return h.hexdigest()


@pytest.fixture
def demo(db_url, city):
    sources = sources_at(db_url)
    result = run_demo(sources, city, scale=SCALE, seed=7, end=END, bad_share=BAD_SHARE)
    yield sources, result
    sources.dispose()


def test_counts_window_and_every_kind_of_bad_row(demo, city):
    sources, result = demo
    for name in TABLES:
        assert scalar(sources, name, select(func.count()).select_from(table(sources, name))) == result.rows[name]
    assert result.rows["service_request"] == SCALE
    assert 0.25 * SCALE < result.rows["review"] < 0.32 * SCALE
    assert result.rows["district_indicator"] >= 18 * 36 * 9

    for name in ("service_request", "review", "district_indicator"):
        t = table(sources, name)
        conditions = rules(name, t, city.codes)
        counts = rows(sources, name, select(*(func.sum(flag(c)) for c in conditions.values())))[0]
        found = dict(zip(conditions, map(int, counts)))
        found["duplicate_id"] = duplicates(sources, name)
        assert all(n >= 1 for n in found.values()), (name, found)
        assert found == {reason: n for (table_, reason), n in result.bad.items() if table_ == name}
        broken = sum((flag(c) for c in conditions.values()), start=0)
        assert scalar(sources, name, select(func.count()).select_from(t).where(broken > 1)) == 0, name


def test_every_time_is_in_the_window_except_the_deliberate_future_ones(demo):
    sources, _ = demo
    times = {"service_request": ("submitted_at", "completed_at"),
             "review": ("created_at", "rectified_at", "visited_at")}
    for name, columns in times.items():
        t = table(sources, name)
        for column in columns:
            c = t.c[column]
            earliest = scalar(sources, name, select(func.min(c)))
            latest_not_future = scalar(sources, name, select(func.max(c)).where(c <= FUTURE))
            assert earliest >= START and latest_not_future <= LAST, (name, column)
    t = table(sources, "district_indicator")
    periods = [r[0] for r in rows(sources, "district_indicator", select(t.c.period).distinct()) if r[0] is not None]
    inside = sorted(p for p in periods if p <= LAST.date())
    assert inside[0] == date(2023, 12, 1) and inside[-1] == date(2026, 11, 1) and len(inside) == 36
    assert all(p >= date(2027, 1, 1) for p in periods if p > LAST.date())


def test_the_world_shows_gaps_and_calendar_patterns(demo):
    sources, _ = demo
    r, d, v = (table(sources, n) for n in ("service_request", "district", "review"))
    online = flag(r.c.channel.in_(ONLINE_CHANNELS))
    share = by_group(sources, "service_request", select(d.c.group, func.avg(online)).select_from(
        r.join(d, r.c.district_code == d.c.code)).group_by(d.c.group))
    assert share["core"] > share["outer"] + 0.05 > share["county"] + 0.1

    on_time = flag(r.c.completed_at <= r.c.deadline_at)
    rate = by_group(sources, "service_request", select(d.c.group, func.avg(on_time)).select_from(
        r.join(d, r.c.district_code == d.c.code)).where(r.c.status == "completed").group_by(d.c.group))
    assert rate["core"] > rate["outer"] > rate["county"]

    valid = v.c.score.between(1, 5)
    score = by_group(sources, "review", select(d.c.group, func.avg(v.c.score)).select_from(
        v.join(d, v.c.district_code == d.c.code)).where(valid).group_by(d.c.group))
    assert score["core"] > score["outer"] > score["county"] + 0.1

    bad_rate = rows(sources, "review", select(v.c.department_code, func.avg(flag(v.c.score <= 2))).where(valid)
                    .group_by(v.c.department_code))
    worst = {code for code, _ in sorted(bad_rate, key=lambda x: -float(x[1]))[:3]}
    assert {"BDCDJ", "ZJJ"} <= worst

    day = func.date(r.c.submitted_at)
    per_day = rows(sources, "service_request", select(day, r.c.channel, func.count()).where(r.c.submitted_at <= LAST)
                   .group_by(day, r.c.channel))
    window = {date.fromisoformat(str(k)[:10]): n for k, channel, n in per_day if channel == "window"}
    weekday = mean(n for k, n in window.items() if k.weekday() < 5)
    weekend = sum(n for k, n in window.items() if k.weekday() >= 5) / sum(1 for k in window if k.weekday() >= 5)
    assert weekend < 0.3 * weekday

    total = {}
    for k, _, n in per_day:
        total[date.fromisoformat(str(k)[:10])] = total.get(date.fromisoformat(str(k)[:10]), 0) + n
    for festival in (date(2024, 2, 10), date(2025, 1, 29), date(2026, 2, 17)):
        week = sum(total.get(festival + timedelta(days=k), 0) for k in range(-1, 6))
        around = [sum(total.get(festival + timedelta(days=k), 0) for k in range(a, a + 7)) for a in (-15, 9)]
        assert week < 0.4 * mean(around), festival


def test_bad_reviews_are_rectified_mostly_in_time_some_late_and_some_never(demo):
    sources, _ = demo
    v = table(sources, "review")
    bad = and_(v.c.score.in_([1, 2]), v.c.created_at <= LAST, v.c.district_code.is_not(None))
    overdue = scalar(sources, "review", select(func.count()).where(
        bad, v.c.rectified_at.is_(None), v.c.created_at < LAST - timedelta(days=15)))
    assert overdue > 0
    done = rows(sources, "review", select(v.c.created_at, v.c.rectified_at).where(
        bad, v.c.rectified_at.is_not(None), v.c.rectified_at >= v.c.created_at, v.c.rectified_at <= LAST))
    delays = [(b - a).total_seconds() / 86400 for a, b in done]
    late = sum(d > 15 for d in delays)
    assert 0 < late < 0.5 * len(delays)
    good = and_(v.c.score >= 3, v.c.score <= 5)
    assert scalar(sources, "review", select(func.count()).where(good, v.c.rectified_at.is_not(None))) == 0


def test_the_optional_review_columns_show_realistic_patterns(demo, city):
    sources, _ = demo
    v = table(sources, "review")
    assert scalar(sources, "review", select(func.count()).where(v.c.visited_at < v.c.created_at)) == 0  # even future
    clean = and_(v.c.score.between(1, 5), v.c.created_at <= LAST, v.c.district_code.in_(city.codes),
                 v.c.channel.in_(CHANNELS), or_(v.c.rectified_at.is_(None), v.c.rectified_at >= v.c.created_at))
    found = rows(sources, "review", select(v.c.district_code, v.c.channel, v.c.score, v.c.created_at, v.c.rectified_at,
                                           *(v.c[c] for c in OPTIONAL)).where(clean))
    assert len(found) > 0.9 * SCALE * 0.25
    # The Boolean columns come back as booleans on every engine, never NULL; the codes are DATA.md's.
    assert all(isinstance(r.real_name, bool) and isinstance(r.is_default, bool) for r in found)
    assert {r.appeal_status for r in found} <= set(APPEAL_STATUSES)
    assert {r.rectification_rating for r in found} <= {None, *RECTIFICATION_RATINGS}

    def share(rows_, test) -> float:
        return sum(map(test, rows_)) / len(rows_)

    by_channel = {c: [r for r in found if r.channel == c] for c in CHANNELS}
    real = {c: share(rs, lambda r: r.real_name) for c, rs in by_channel.items()}
    assert min(real["web"], real["app"], real["hotline"]) > max(real["window"], real["self_service"]) + 0.1
    assert 0.75 < share(found, lambda r: r.real_name) < 0.95

    defaults = [r for r in found if r.is_default]  # recorded as 非常满意 when the citizen did not rate
    assert defaults and all(r.score == 5 and not r.real_name for r in defaults)
    assert share(defaults, lambda r: r.channel == "window") > 0.7
    assert {r.channel for r in defaults} <= {"window", "self_service"}
    window_fives = [r for r in by_channel["window"] if r.score == 5]
    assert 0.2 < share(window_fives, lambda r: r.is_default) < 0.4

    bad = [r for r in found if r.score <= 2]
    assert all(r.visited_at is None for r in found if r.score > 2)
    settled = [r for r in bad if r.created_at < LAST - timedelta(days=2)]  # the visit had time to happen
    slow = set(slow_visit_units(city))
    assert slow == {"230102", "230111", "230126"}  # 道里区, 呼兰区, 巴彦县: docs/demo-data.md names them

    def visited_within_a_day(r) -> bool:
        return r.visited_at is not None and r.visited_at - r.created_at <= timedelta(days=1)

    slow_rate = share([r for r in settled if r.district_code in slow], visited_within_a_day)
    other_rate = share([r for r in settled if r.district_code not in slow], visited_within_a_day)
    assert slow_rate < 0.3 and other_rate > 0.75, (slow_rate, other_rate)
    old = [r for r in bad if r.created_at < LAST - timedelta(days=30)]
    assert 0.01 < share(old, lambda r: r.visited_at is None) < 0.2  # a small share never visited

    appealed = [r for r in found if r.appeal_status != "none"]
    assert appealed and all(r.score <= 2 for r in appealed)
    assert 0.01 < len(appealed) / len(bad) < 0.1
    assert {"upheld", "rejected"} <= {r.appeal_status for r in appealed}
    assert all(r.created_at > LAST - timedelta(days=20) for r in appealed if r.appeal_status == "pending")

    rated = [r for r in found if r.rectification_rating is not None]
    assert rated and all(r.score <= 2 and r.rectified_at is not None and r.real_name for r in rated)
    rectified_real = [r for r in bad if r.rectified_at is not None and r.real_name]
    assert 0.65 < len(rated) / len(rectified_real) < 0.95
    levels = {level: share(rated, lambda r, level=level: r.rectification_rating == level)
              for level in RECTIFICATION_RATINGS}
    assert levels["satisfied"] > levels["basic"] > levels["dissatisfied"] > 0


def test_duplicates_copy_every_column_the_optional_ones_too(demo):
    sources, result = demo
    v = table(sources, "review")
    twice = select(v.c.review_id).group_by(v.c.review_id).having(func.count() > 1)
    copies = rows(sources, "review", select(v).where(v.c.review_id.in_(twice)))
    assert len({r.review_id for r in copies}) == result.bad[("review", "duplicate_id")]
    assert len(set(copies)) == len({r.review_id for r in copies})  # each id's rows are identical


def test_chinese_names_round_trip(demo, city):
    sources, _ = demo
    d, dep, item = (table(sources, n) for n in ("district", "department", "service_item"))
    assert dict(rows(sources, "district", select(d.c.code, d.c.name_zh))) == {u.code: u.name_zh for u in city.units}
    assert scalar(sources, "department", select(dep.c.name_zh).where(dep.c.code == "BDCDJ")) == "不动产登记中心"
    names = {n for (n,) in rows(sources, "service_item", select(item.c.name_zh))}
    assert {"营业执照设立登记", "居民身份证换领", "网络预约出租汽车驾驶员证核发"} <= names


def test_same_seed_same_rows_and_a_rerun_replaces_them(db_url, city):
    sources = sources_at(db_url)
    runs = {}
    for label, seed in (("first", 1), ("again", 1), ("other", 2)):
        result = run_demo(sources, city, scale=3_000, seed=seed, end=END, bad_share=0.01)
        runs[label] = (digest(sources), result.rows)
    sources.dispose()
    assert runs["first"] == runs["again"]
    assert runs["first"][0] != runs["other"][0]
    assert runs["again"][1]["service_request"] == 3_000


def test_bad_rows_are_planned_evenly_with_at_least_one_per_reason():
    reasons = ("a", "b", "c")
    assert plan_bad_rows(10_000, 0.002, reasons) == {"a": 7, "b": 7, "c": 6}
    assert plan_bad_rows(100, 0.002, reasons) == {"a": 1, "b": 1, "c": 1}  # rounds to 0, but every kind shows
    assert plan_bad_rows(10_000, 0.0, reasons) == {"a": 0, "b": 0, "c": 0}


def test_the_window_is_three_years_up_to_end():
    assert window_start(date(2026, 11, 22)) == date(2023, 11, 23)
    assert window_start(date(2028, 2, 29)) == date(2025, 3, 1)


def test_spring_festival_and_weekends_are_told_apart_from_workdays():
    days = np.arange(np.datetime64("2025-01-27"), np.datetime64("2025-02-07"))
    kinds = dict(zip(days.astype(str), day_kinds(days)))
    assert kinds["2025-01-27"] == WORKDAY and kinds["2025-01-28"] == FESTIVAL and kinds["2025-02-04"] == FESTIVAL
    assert kinds["2025-02-05"] == WORKDAY and kinds["2025-02-01"] == FESTIVAL  # a Saturday inside the holiday
    assert day_kinds(np.array(["2025-03-08", "2025-03-09"], dtype="datetime64[D]")).tolist() == [SATURDAY, SUNDAY]


def test_generation_is_identical_in_memory_at_any_run(city):
    def frames(seed):
        return [b.frame for b in demo_batches(city, scale=4_000, seed=seed, end=END, bad_share=0.01)]

    first, again, other = frames(3), frames(3), frames(4)
    for a, b in zip(first, again, strict=True):
        assert_frame_equal(a, b)
    assert not all(a.equals(b) for a, b in zip(first, other))


def test_the_optional_review_columns_leave_every_other_column_as_it_was(city, monkeypatch):
    """The optional columns are drawn after every other draw of a review: however they are drawn, the other
    columns of a seed stay the same (a digest of the demo data without them still holds)."""
    def reviews(seed):
        return [b.frame for b in demo_batches(city, scale=4_000, seed=seed, end=END, bad_share=0.01)
                if b.table == "review"]

    real = reviews(3)
    extras = demo_module.review_extras

    def drawn_elsewhere(world, unit, channel, score, created, rectified, rng):
        rng.random(1000)  # consuming more of the generator, or less, changes nothing before it
        return extras(world, unit, channel, score, created, rectified, demo_module.rng_for(99, "elsewhere"))

    monkeypatch.setattr(demo_module, "review_extras", drawn_elsewhere)
    moved = reviews(3)
    for a, b in zip(real, moved, strict=True):
        assert_frame_equal(a.drop(columns=list(OPTIONAL)), b.drop(columns=list(OPTIONAL)))
    assert not all(a.equals(b) for a, b in zip(real, moved))
    frame = real[0]
    assert frame["visited_at"].dtype == "datetime64[s]" and frame["visited_at"].isna().any()
    assert all(pd.api.types.is_bool_dtype(frame[c]) for c in ("real_name", "is_default"))
    assert all(pd.api.types.is_string_dtype(frame[c]) for c in ("appeal_status", "rectification_rating"))
    assert frame["rectification_rating"].isna().any() and frame["appeal_status"].notna().all()
