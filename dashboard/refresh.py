"""Refresh: aggregate the sources by SQL pushdown, merge with the last snapshot, publish one new version."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pandas as pd

from dashboard import aggregation as agg
from dashboard import wall as wall_model
from dashboard import workdays
from dashboard.regions import City
from dashboard.sources import SourceError, Sources
from dashboard.workdays import Deadlines

log = logging.getLogger(__name__)

# After a failed refresh, the next try comes after RETRY_FIRST_SECONDS (or the interval, if shorter), doubling
# with each further failure up to the larger of the interval and RETRY_MAX_SECONDS.
RETRY_FIRST_SECONDS = 5.0
RETRY_MAX_SECONDS = 300.0

# Bad rows kept in a snapshot for the data-quality listing, per table and reason.
QUALITY_SAMPLE_PER_REASON = 100
# Source reads of a refresh at once (aggregate), each on its own connection: the requests' statement runs in the
# database while the reviews' does, and while Python turns the other's rows into frames. Two, as the cores of the
# machines measured (docs/benchmarks.md): four were no faster there.
READ_THREADS = 2

# Frame -> (key column whose values from the cutoff on are replaced, which cutoff); None: replaced whole.
MERGE_KEYS = {
    "req_day": ("day", "request"),
    "req_item_month": ("month", "request"),
    "proc_hist": ("month", "request"),
    "proc_item_month": ("month", "request"),
    "rev_day": ("day", "review"),
    "rev_item_month": ("month", "review"),
    "open_bad": None,
    "review_columns": None,
    "indicators": None,
    "units": None,
    "departments": None,
    "items": None,
}
KEYS = {
    "req_day": ["unit", "day", "channel"],
    "req_item_month": ["unit", "department_code", "item_code", "month"],
    "proc_hist": ["unit", "month", "bucket"],
    "proc_item_month": ["unit", "department_code", "item_code", "month", "bucket"],
    "rev_day": ["unit", "day", "channel"],
    "rev_item_month": ["unit", "department_code", "item_code", "month"],
    "open_bad": ["review_id"],
    "review_columns": ["column"],
    "indicators": ["unit", "month", "indicator_code"],
    "units": ["code"],
    "departments": ["code"],
    "items": ["code"],
    "quality_counts": ["source", "table", "reason", "month"],
    "quality_rows": ["table", "reason", "time", "row_id"],
}
# Monthly grains kept with a head (dashboard.aggregation): the snapshot frame that holds each head, whose cutoff
# it follows (None: each fact table's own, for the bad-row counts), its keys (month included) and its sums. The
# head of a grain sums the days of the next refresh's first month before the next cutoff, so that refresh
# re-aggregates from the cutoff day, not from the first of the month.
HEADS = {
    "req_item_month.submitted": ("req_item_head", "request", KEYS["req_item_month"], ["submitted"]),
    "req_item_bucket.finished": ("req_bucket_head", "request", [*KEYS["req_item_month"], "bucket"],
                                 ["finished", "completed", "on_time"]),
    "rev_item_month": ("rev_item_head", "review", KEYS["rev_item_month"],
                       ["reviews", "score_sum", *agg.REVIEW_SUMS, *agg.DEADLINE_SUMS]),
    "quality_counts": ("quality_head", None, KEYS["quality_counts"], ["rows"]),
}
KEYS |= {frame: keys for frame, _, keys, _ in HEADS.values()}
TIME_TABLES = {"service_request": "request", "review": "review"}
# Rows of a frame with a time key are kept in time-first key order, so that an incremental refresh's merge is
# the kept rows (a slice before the cutoff) followed by the new rows, with no sort of the whole frame.
SORT_KEYS = {name: [rule[0], *(k for k in KEYS[name] if k != rule[0])]
             for name, rule in MERGE_KEYS.items() if rule is not None}
# The snapshot layout this code merges into (meta "layout"): a snapshot of another layout (rows in another order,
# no heads) is not merged into, the refresh is full.
LAYOUT = 2
COUNT_COLUMNS = {
    "submitted",
    "finished",
    "completed",
    "on_time",
    "reviews",
    "score_sum",
    "good",
    "bad",
    *agg.REVIEW_SUMS,
    *agg.DEADLINE_SUMS,
    "s1",
    "s2",
    "s3",
    "s4",
    "s5",
    "rows",
    "bucket",
    "score",
}


def _normalise(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as int64, rows in key order, a fresh index: the same data always gives the same frame."""
    frame = frame.copy()
    for col in frame.columns:
        if col in COUNT_COLUMNS:
            frame[col] = pd.to_numeric(frame[col]).fillna(0).astype("int64")
        elif col == "value":
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
    keys = [k for k in SORT_KEYS.get(name, KEYS.get(name, [])) if k in frame.columns]
    return frame.sort_values(keys, ignore_index=True) if keys else frame.reset_index(drop=True)


def combine(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Outer join of two count frames on their keys; a count missing on one side is 0."""
    merged = left.merge(right, on=keys, how="outer")
    counts = [c for c in merged.columns if c not in keys]
    merged[counts] = merged[counts].fillna(0)
    return merged


def cutoff_values(cutoff: agg.Cutoff) -> dict[str, dict[str, str]]:
    """For each cutoff kind, the first day ('YYYY-MM-DD') and month ('YYYY-MM') that are re-aggregated, and the
    month of the next cutoff ('next_month', where the heads are)."""
    out = {}
    for kind, day, following in (("request", cutoff.request_day, cutoff.next_request_day),
                                 ("review", cutoff.review_day, cutoff.next_review_day)):
        out[kind] = {"day": day.isoformat(), "month": day.isoformat()[:7]} if day else {}
        out[kind]["next_month"] = following.isoformat()[:7] if following else None
    return out


def roll_months(fresh: pd.DataFrame, head: pd.DataFrame | None, keys: list[str], sums: list[str],
                next_month: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A monthly grain from its fresh rows (with a `head` flag, dashboard.aggregation) and the previous refresh's
    head of the cutoff's month (None for a full refresh): the months from the cutoff on, summed over both, and
    the new head (the flagged rows of the next cutoff's month, summed)."""
    fresh = fresh.assign(**{c: pd.to_numeric(fresh[c]).fillna(0).astype("int64") for c in [*sums, "head"]})
    rows = fresh if head is None or head.empty else pd.concat([head.assign(head=1), fresh], ignore_index=True)
    # in one statement's rows a key repeats only in the next cutoff's month and after (head 1 and 0); a head
    # from the previous refresh repeats keys of its own month
    first = next_month if head is None or head.empty else min(next_month or "9999", head["month"].min())
    many = rows["month"] >= first if first else pd.Series(True, index=rows.index)
    summed = rows[many].groupby(keys, as_index=False, sort=False, dropna=False)[sums].sum()
    rolled = pd.concat([rows.loc[~many, [*keys, *sums]], summed], ignore_index=True)
    flagged = rows[(rows["head"] == 1) & (rows["month"] == next_month)]
    new_head = flagged.groupby(keys, as_index=False, sort=False, dropna=False)[sums].sum()
    return rolled, new_head[[*keys, *sums]]


def merge_frame(name: str, old: pd.DataFrame, new: pd.DataFrame, cutoff: agg.Cutoff) -> pd.DataFrame:
    """Old rows before the cutoff plus every re-aggregated row, normalised. Both are in time-first key order
    (SORT_KEYS), so the old rows kept are a slice and the result needs no sort."""
    rule = MERGE_KEYS.get(name)
    if rule is None:
        return _normalise(name, new)
    column, kind = rule
    start = cutoff_values(cutoff)[kind][column]
    # the old rows are sorted by the column first: the rows before the cutoff are those that compare less
    # (a vectorised count; searchsorted would turn Arrow-backed strings into Python objects first)
    kept = old.iloc[: int((old[column] < start).sum())]
    return pd.concat([kept, _normalise(name, new)], ignore_index=True)


def merge_quality(old: pd.DataFrame, new: pd.DataFrame, cutoff: agg.Cutoff, time_col: str) -> pd.DataFrame:
    """Bad-row counts of earlier months (time_col 'month') or sampled bad rows of earlier days (time_col 'time')
    kept where the refresh did not look again; the rest replaced."""
    starts = cutoff_values(cutoff)
    keep = pd.Series(False, index=old.index)
    for table, kind in TIME_TABLES.items():
        start = starts[kind]["month" if time_col == "month" else "day"]
        keep |= (old["table"] == table) & (old[time_col] != "") & (old[time_col] < start)
    return pd.concat([old[keep], new], ignore_index=True)


def newest_per_reason(rows: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` rows per table and reason, undated first, then newest first."""
    order = rows.assign(_undated=rows["time"] == "").sort_values(
        ["table", "reason", "_undated", "time", "row_id"], ascending=[True, True, False, False, True]
    )
    return order.groupby(["table", "reason"], sort=False).head(limit).drop(columns="_undated")


def judge_deadlines(pairs: pd.DataFrame, deadlines: Deadlines) -> pd.DataFrame:
    """rev_pairs with, per row, how many were rectified within the rectification deadline, visited within the
    visit deadline, and (of real-name ones) visited within it, on the configured calendar."""
    days = pairs["day"].drop_duplicates()
    parsed = {d: date.fromisoformat(d) for d in days}
    rect_due = pairs["day"].map({d: deadlines.rectify.due(x).isoformat() for d, x in parsed.items()})
    visit_due = pairs["day"].map({d: deadlines.visit.due(x).isoformat() for d, x in parsed.items()})
    n = pd.to_numeric(pairs["n"]).astype("int64")
    rect_ok = pairs["rect_day"].notna() & (pairs["rect_day"].fillna("") <= rect_due)
    # a visit stamped before the review was given is no visit of it (rectified_before_created is a bad row)
    visit_ok = pairs["visit_day"].notna() & pairs["visit_day"].fillna("").between(pairs["day"], visit_due)
    real = pd.to_numeric(pairs["real_bad"]).fillna(0).astype("int64") == 1
    return pairs.assign(
        month=pairs["day"].str.slice(0, 7),
        rect_on_time=n * rect_ok,
        visit_on_time=n * visit_ok,
        real_visit_on_time=n * (visit_ok & real),
    )


def with_deadline_sums(frame: pd.DataFrame, judged: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """A review frame with DEADLINE_SUMS added from judged pairs, summed over its keys (0 where none)."""
    sums = judged.groupby(keys, dropna=False)[list(agg.DEADLINE_SUMS)].sum().reset_index()
    merged = frame.merge(sums, on=keys, how="left")
    merged[list(agg.DEADLINE_SUMS)] = merged[list(agg.DEADLINE_SUMS)].fillna(0).astype("int64")
    return merged


def finished_items(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """req_item_month's finished counts, proc_item_month and proc_hist rolled up from the one grain the source
    returns (unit x department x item x month of finish x processing-time bucket, -1 for not completed)."""
    keys = ["unit", "department_code", "item_code", "month"]
    sums = ["finished", "completed", "on_time"]
    frame = frame.assign(**{c: pd.to_numeric(frame[c]).astype("int64") for c in sums})
    timed = frame[frame["bucket"] >= 0]
    proc_item = timed[[*keys, "bucket", "completed"]].reset_index(drop=True)
    return {
        "req_item_month.finished": frame.groupby(keys, as_index=False, sort=False)[sums].sum(),
        "proc_item_month": proc_item,
        "proc_hist": proc_item.groupby(["unit", "month", "bucket"], as_index=False, sort=False)["completed"].sum(),
    }


def quality_of(sources: Sources, table: str, part: dict, codes, now: datetime, since: dict | None):
    """Bad-row counts (quality_counts shape) and the sampled bad rows of a table from its quality_parts."""
    counts = part[f"{table}.bad_counts"]
    frame = pd.DataFrame({
        "source": sources.source_of(table),
        "table": table,
        "reason": counts["reason"].astype(object),
        "month": counts["bad_month"].astype(object).fillna(""),
        "head": pd.to_numeric(counts["head"]).astype("int64"),
        "rows": pd.to_numeric(counts["bad_rows"]).astype("int64"),
    })
    return frame, sources.bad_rows(table, codes, now, part[f"{table}.bad_ids"]["bad_id"].tolist(), since)


def request_frames(sources: Sources, codes, now: datetime, cutoff: agg.Cutoff) -> dict[str, pd.DataFrame]:
    """The request parts of `aggregate`: one statement over the classified requests, and their bad rows."""
    r = sources.classified("service_request", codes, now, agg.request_scope(cutoff)).c
    parts = agg.request_statements(r, cutoff, QUALITY_SAMPLE_PER_REASON)
    req = agg.split_parts(sources.read("service_request", agg.one_statement(parts)), parts)
    counts, rows = quality_of(sources, "service_request", req, codes, now, cutoff.since)
    return {
        "req_day": combine(req["req_day.submitted"], req["req_day.finished"], KEYS["req_day"]),
        "req_item_month.submitted": req["req_item_month.submitted"],
        "req_item_bucket.finished": req["req_item_bucket.finished"],
        "quality_counts": counts,
        "quality_rows": rows,
    }


def review_frames(sources: Sources, codes, now: datetime, cutoff: agg.Cutoff,
                  deadlines: Deadlines) -> dict[str, pd.DataFrame]:
    """The review parts of `aggregate`: one statement over the classified reviews, their deadlines judged, and
    their bad rows."""
    review_columns = sources.review_columns()  # before the review statements: which columns they may read
    v = sources.classified("review", codes, now, agg.review_scope(cutoff)).c
    parts = agg.review_statements(v, cutoff, QUALITY_SAMPLE_PER_REASON)
    rev = agg.split_parts(sources.read("review", agg.one_statement(parts)), parts)
    counts, rows = quality_of(sources, "review", rev, codes, now, cutoff.since)
    judged = judge_deadlines(rev["rev_pairs"], deadlines)
    next_day = "" if cutoff.next_review_day is None else cutoff.next_review_day.isoformat()
    judged["head"] = (judged["day"] < next_day).astype("int64")
    return {
        "rev_day": with_deadline_sums(rev["rev_day"], judged, KEYS["rev_day"]),
        "rev_item_month": with_deadline_sums(rev["rev_item_month"].astype({"head": "int64"}), judged,
                                             [*KEYS["rev_item_month"], "head"]),
        "review_columns": review_columns,
        "quality_counts": counts,
        "quality_rows": rows,
    }


def indicator_frames(sources: Sources, codes, now: datetime, cutoff: agg.Cutoff) -> dict[str, pd.DataFrame]:
    """The indicators, read whole, their bad-row counts and sample, and the reference tables."""
    return {
        "indicators": sources.read(
            "district_indicator", agg.indicator_statement(sources.clean("district_indicator", codes, now).c)),
        "quality_counts": sources.bad_row_counts(codes, now, cutoff.since, tables=("district_indicator",)),
        "quality_rows": sources.bad_row_sample(codes, now, QUALITY_SAMPLE_PER_REASON, cutoff.since,
                                               tables=("district_indicator",)),
        "units": sources.read_units(),
        "departments": sources.read_reference("department"),
        "items": sources.read_reference("service_item"),
    }


def open_bad_frames(sources: Sources, codes, now: datetime) -> dict[str, pd.DataFrame]:
    """Every open bad review."""
    clean = sources.clean("review", codes, now, agg.open_bad_scope).c
    return {"open_bad": sources.read("review", agg.open_bad_statement(clean))}


def aggregate(
    sources: Sources, codes, now: datetime, cutoff: agg.Cutoff, deadlines: Deadlines, progress=None
) -> dict[str, pd.DataFrame]:
    """Every aggregate frame for the rows in scope of a cutoff, computed by the source databases; the monthly
    grains of HEADS (and bad-row counts) with their `head` flag, to be rolled up by build_snapshot_frames.

    Each fact table is classified once: one statement gives its aggregates, its bad-row counts and the ids of
    its sampled bad rows (dashboard.aggregation.quality_parts). The reads run READ_THREADS at a time, each on
    its own connection: the databases work on one while Python turns another's rows into frames."""
    step = progress or (lambda label: None)
    tasks = {
        "requests": lambda: request_frames(sources, codes, now, cutoff),
        "reviews": lambda: review_frames(sources, codes, now, cutoff, deadlines),
        "open bad reviews": lambda: open_bad_frames(sources, codes, now),
        "indicators": lambda: indicator_frames(sources, codes, now, cutoff),
    }

    def run(label, task):
        step(label)
        return task()

    with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="refresh-read") as pool:
        futures = [pool.submit(run, label, task) for label, task in tasks.items()]
        try:
            done = [future.result() for future in futures]
        except BaseException:  # a failed read fails the refresh: the reads not yet started are not started
            for future in futures:
                future.cancel()
            raise
    step("merge")
    frames = {name: frame for part in done for name, frame in part.items() if not name.startswith("quality_")}
    for name in ("quality_counts", "quality_rows"):
        frames[name] = pd.concat([part[name] for part in done if name in part], ignore_index=True)
    return frames


def rolled_up(fresh: dict, previous: dict | None, cutoff: agg.Cutoff) -> dict[str, pd.DataFrame]:
    """The fresh frames with every monthly grain of HEADS summed over the days of its months (the previous
    snapshot's heads added, in an incremental refresh), the new heads, and the frames derived from the one
    finished grain. Bad-row counts are rolled per fact table (each has its own cutoff); the indicators' are
    counted whole by every refresh and pass through."""
    starts = cutoff_values(cutoff)
    out = {name: frame for name, frame in fresh.items() if name not in HEADS}
    # the finished grain's bucket is NULL for a request finished but not completed: -1 here, so that a head
    # (a snapshot frame, normalised to integers) keeps it apart from bucket 0
    bucket = fresh["req_item_bucket.finished"]["bucket"]
    fresh = fresh | {"req_item_bucket.finished": fresh["req_item_bucket.finished"].assign(
        bucket=pd.to_numeric(bucket).fillna(-1).astype("int64"))}
    for name, (head_frame, kind, keys, sums) in HEADS.items():
        frame, old = fresh[name], None if previous is None else previous[head_frame]
        if kind is None:
            groups = [(own, frame[frame["table"] == table], None if old is None else old[old["table"] == table])
                      for table, own in TIME_TABLES.items()]
            passed = [frame[~frame["table"].isin(list(TIME_TABLES))].drop(columns="head")]
        else:
            groups, passed = [(kind, frame, old)], []
        rolled = [roll_months(rows, head, keys, sums, starts[of]["next_month"]) for of, rows, head in groups]
        out[name] = pd.concat([*passed, *(r for r, _ in rolled)], ignore_index=True)
        out[head_frame] = pd.concat([h for _, h in rolled], ignore_index=True)
    finished = finished_items(out.pop("req_item_bucket.finished"))
    out["req_item_month"] = combine(out.pop("req_item_month.submitted"), finished["req_item_month.finished"],
                                    KEYS["req_item_month"])
    out["proc_item_month"], out["proc_hist"] = finished["proc_item_month"], finished["proc_hist"]
    return out


def build_snapshot_frames(fresh: dict, previous: dict | None, cutoff: agg.Cutoff) -> dict[str, pd.DataFrame]:
    """Fresh frames alone (full refresh) or merged into the previous snapshot's (incremental)."""
    incremental = previous is not None and not cutoff.full
    fresh = rolled_up(fresh, previous if incremental else None, cutoff)
    if not incremental:
        frames = dict(fresh)
        merged = {}
    else:
        merged = {name: merge_frame(name, previous[name], fresh[name], cutoff) for name in MERGE_KEYS}
        frames = {head: fresh[head] for head, _, _, _ in HEADS.values()}
        frames["quality_counts"] = merge_quality(previous["quality_counts"], fresh["quality_counts"], cutoff, "month")
        frames["quality_rows"] = merge_quality(previous["quality_rows"], fresh["quality_rows"], cutoff, "time")
    frames["quality_rows"] = newest_per_reason(frames["quality_rows"], QUALITY_SAMPLE_PER_REASON)
    return merged | {name: _normalise(name, frame) for name, frame in frames.items()}


def source_rows(frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Rows per fact table, good and bad, derived from the aggregates (no COUNT(*) over the sources)."""
    bad = frames["quality_counts"].groupby("table")["rows"].sum()
    return {
        "service_request": int(frames["req_day"]["submitted"].sum() + bad.get("service_request", 0)),
        "review": int(frames["rev_day"]["reviews"].sum() + bad.get("review", 0)),
        "district_indicator": int(len(frames["indicators"]) + bad.get("district_indicator", 0)),
    }


def planned(watermark: datetime | None, late_hours: int, deadlines: Deadlines) -> agg.Cutoff:
    """The cutoff of a refresh after `watermark` (full without one): the watermark minus the late window, and
    for reviews also minus the longest rectification or visit period at that day."""
    if watermark is None:
        return agg.Cutoff()
    lookback = max(rule.lookback_days((watermark - timedelta(hours=late_hours)).date())
                   for rule in (deadlines.rectify, deadlines.visit))
    return agg.plan(watermark, late_hours, lookback)


def plan_cutoff(meta: dict | None, now: datetime, late_hours: int, deadlines: Deadlines) -> agg.Cutoff:
    """The cutoff of this refresh and of the next (where this one's heads end).

    Incremental from the previous snapshot's heads (`meta`, None: full), provided they do not start after the
    cutoff its watermark asks for (they may start before it: reading more days is always right). Otherwise, or
    when it kept no heads (an older snapshot, or late_hours raised since), the refresh is full."""
    following = planned(now, late_hours, deadlines)
    heads = (meta or {}).get("heads")
    if not heads or "watermark" not in meta:
        return agg.Cutoff().then(following)
    wanted = planned(datetime.fromisoformat(meta["watermark"]), late_hours, deadlines)
    request, review = date.fromisoformat(heads["request"]), date.fromisoformat(heads["review"])
    if request > wanted.request_day or review > wanted.review_day:
        return agg.Cutoff().then(following)
    return agg.Cutoff(request, review).then(following)


def previous_frames(store, version: int) -> dict[str, pd.DataFrame] | None:
    """The frames of a snapshot version to merge into: None when the store's current version is no longer that
    one, or lacks a frame of KEYS."""
    snap = store.current()
    if snap is None or snap.version != version or not all(name in snap.frames for name in KEYS):
        return None
    return snap.frames


def refresh(
    sources: Sources,
    store,
    city: City,
    now: datetime,
    *,
    deadlines: Deadlines | None = None,
    late_hours: int = 48,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
    alert_rules: dict | None = None,
    on_alert_events: Callable[[list[dict], int], None] | None = None,
) -> int | None:
    """Publish a new snapshot and return its version; None when another refresher holds the lock or a
    source failed (the failure is recorded and the last good snapshot stays current).

    With `alert_rules` (dashboard.wall.alerts' thresholds), the snapshot's meta carries the alert state: each
    breach with since when it is on (dashboard.wall.track against the last snapshot's state, full refresh or
    not), and once the version is published `on_alert_events(events, version)` gets the breaches that started or
    ended. Only a refresher calls this, so each event is sent by one process.

    `deadlines` (default: 15 and 1 working days on the official calendar) judge rectifications and visits; a
    snapshot judged on other deadlines is not merged into, the refresh is full."""
    deadlines = deadlines or workdays.deadlines(15, 1)
    with store.refresh_lock() as acquired:
        if not acquired:
            log.info("another refresh is running; skipped")
            return None
        started = time.perf_counter()
        head = store.current_meta()
        last_meta = head[1] if head else {}
        usable = (not full and head is not None and last_meta.get("deadlines") == deadlines.fingerprint()
                  and last_meta.get("layout") == LAYOUT)
        cutoff = plan_cutoff(last_meta if usable else None, now, late_hours, deadlines)
        merging = not cutoff.full  # a full cutoff needs no previous frames (no heads kept, a wider late window)
        try:
            # the previous version's frames are read while the sources answer (only its meta plans the cutoff)
            with ThreadPoolExecutor(1, thread_name_prefix="refresh-previous") as loader:
                pending = loader.submit(previous_frames, store, head[0]) if merging else None
                fresh = aggregate(sources, city.codes, now, cutoff, deadlines, progress)
                previous = pending.result() if pending is not None else None
            if merging and previous is None:  # not the version planned from, or a frame missing: full instead
                log.warning("the previous snapshot cannot be merged into; refreshing in full",
                            extra={"event": "refresh_full_instead"})
                cutoff = plan_cutoff(None, now, late_hours, deadlines)
                fresh = aggregate(sources, city.codes, now, cutoff, deadlines, progress)
        except SourceError as exc:
            log.warning("refresh failed, keeping the last good snapshot: %s", exc,
                        extra={"event": "refresh_failed", "reason": str(exc)[:300]})
            store.record_failure(str(exc), now.isoformat(sep=" "))
            return None
        frames = build_snapshot_frames(fresh, previous, cutoff)
        meta = {
            "kind": "full" if cutoff.full else "incremental",
            "watermark": now.isoformat(),
            "cutoff": cutoff.request_day.isoformat() if cutoff.request_day else None,
            "heads": {"request": cutoff.next_request_day.isoformat(), "review": cutoff.next_review_day.isoformat()},
            "duration_s": round(time.perf_counter() - started, 3),
            "source_rows": source_rows(frames),
            "bad_rows": int(frames["quality_counts"]["rows"].sum()),
            "checked_at": now.isoformat(sep=" "),
            "deadlines": deadlines.fingerprint(),
            "layout": LAYOUT,
        }
        events = []
        if alert_rules is not None:
            found = wall_model.alerts(wall_model.unit_status(frames, now, deadlines.rectify), **alert_rules)
            meta["alerts"], events = wall_model.track(last_meta.get("alerts", []), found, now)
        version = store.publish(frames, as_of=now.isoformat(sep=" "), meta=meta)
        log.info("published version %s (%s, %.2f s)", version, meta["kind"], meta["duration_s"],
                 extra={"event": "refresh_published", "version": version, "kind": meta["kind"],
                        "duration_s": meta["duration_s"], "bad_rows": meta["bad_rows"]})
        if events and on_alert_events is not None:
            try:
                on_alert_events(events, version)
            except Exception as exc:  # a failed notification never undoes a published snapshot
                log.error("alert notification failed: %s", exc, exc_info=True, extra={"event": "alert_failed"})
        return version


def retry_delay(every: float, failures: int) -> float:
    """Seconds to wait before the next try after `failures` failures in a row (0: the normal interval)."""
    if failures <= 0:
        return every
    first = min(every, RETRY_FIRST_SECONDS)
    return min(max(every, RETRY_MAX_SECONDS), first * 2 ** (failures - 1))


def run_every(step: Callable[[], bool], every: float, wait: Callable[[float], bool],
              fatal: tuple[type[Exception], ...] = ()) -> None:
    """Call `step` every `every` seconds until `wait(seconds)` returns True (stop). A step that returns False or
    raises is a failure: the next try comes sooner, then later and later (retry_delay), and the first success
    returns to the normal interval. The loop never dies of a failed step, except of a `fatal` error (a setting
    or mapping no retry can mend), which it raises."""
    failures = 0
    while True:
        started = time.monotonic()
        try:
            ok = step()
        except fatal:
            raise
        except Exception as exc:
            log.error("refresh round failed: %s", exc, exc_info=True, extra={"event": "refresh_failed"})
            ok = False
        failures = 0 if ok else failures + 1
        if ok:
            delay = max(0.0, every - (time.monotonic() - started))
        else:
            delay = retry_delay(every, failures)
            log.warning("refresh will retry in %.0f s (failure %d in a row)", delay, failures,
                        extra={"event": "refresh_retry", "retry_in_s": delay, "failures": failures})
        if wait(delay):
            return
