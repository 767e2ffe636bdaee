"""Answers of the district page: one unit against the city and the median of its group (core, outer, county).

Filters (DistrictParams) apply where the aggregates' grain carries them, and each answer's provenance lists the
filters it applied (`filters`) and those it could not (`notes["not_applied"]`):
- the date range and granularity cut day tables (req_day, rev_day); monthly tables (items, departments,
  processing time) take the whole months the range touches;
- the channel cuts the day tables and the open bad reviews (the item tables have no channel);
- the department cuts the item tables, the processing-time histogram per item and the open bad reviews.
Rules in docs/metrics.md ("District page").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

import numpy as np
import pandas as pd

from dashboard.aggregation import CHANNELS, HOUR_EDGES, ONLINE
from dashboard.answers import Answer, provenance
from dashboard.composite import composite
from dashboard.errors import BadInput
from dashboard.metrics import CITY, DIMENSIONS, count_ratios, hist_quantile, latest_complete_period, periods
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


def _days(frame: pd.DataFrame, p: DistrictParams, channel: bool = True) -> pd.DataFrame:
    """Rows of a day table within the range (and the channel)."""
    keep = (frame["day"] >= p.start.isoformat()) & (frame["day"] <= p.end.isoformat())
    if channel and p.channel != ALL:
        keep &= frame["channel"] == p.channel
    return frame[keep]


def _months(frame: pd.DataFrame, p: DistrictParams, department: bool = True) -> pd.DataFrame:
    """Rows of a monthly table in the months the range touches (and the department)."""
    first, last = p.months
    keep = (frame["month"] >= first) & (frame["month"] <= last)
    if department and p.department != ALL and "department_code" in frame:
        keep &= frame["department_code"] == p.department
    return frame[keep]


def _groups(view: View) -> pd.Series:
    return view.frames["units"].set_index("code")["group"]


def _series(per_unit: pd.DataFrame, city: pd.DataFrame, view: View, code: str) -> pd.DataFrame:
    """Long rows (period, metric, series, value) of one unit, the city and the median of the unit's group, from
    per-unit values (index unit, period) and city values (index period); columns are metrics."""
    groups = _groups(view)
    peers = [u for u in groups.index[groups == groups[code]]]
    unit = per_unit.xs(code, level="unit") if code in per_unit.index.get_level_values("unit") else None
    group = per_unit[per_unit.index.get_level_values("unit").isin(peers)].groupby(level="period").median()
    parts = []
    for name, frame in (("unit", unit), ("city", city), ("group_median", group)):
        if frame is None or frame.empty:
            continue
        long = frame.reset_index().melt(id_vars="period", var_name="metric", value_name="value")
        parts.append(long.assign(series=name))
    if not parts:
        return pd.DataFrame(columns=["period", "metric", "series", "value"])
    rows = pd.concat(parts, ignore_index=True)[["period", "metric", "series", "value"]]
    return rows.astype({"value": "float64"}).sort_values(["metric", "series", "period"], ignore_index=True)


def _count_metrics(counts: pd.DataFrame) -> pd.DataFrame:
    """requests and the count ratios of summed counts."""
    ratios = count_ratios(counts)
    return pd.DataFrame({"requests": counts["submitted"], **{m: ratios[m] for m in TREND_METRICS[1:]}})


def _day_counts(view: View, p: DistrictParams, keys: list[str]) -> pd.DataFrame:
    """Request and review counts of the range summed by `keys` (of unit, period, channel)."""
    req = _days(view.frames["req_day"], p).assign(period=lambda f: bucket(f["day"], p.granularity))
    rev = _days(view.frames["rev_day"], p).assign(period=lambda f: bucket(f["day"], p.granularity))
    req = req.assign(online=req["submitted"].where(req["channel"].isin(ONLINE), 0))
    cols_req = ["submitted", "online", "completed", "on_time"]
    cols_rev = ["reviews", "score_sum", "good", "bad"]
    out = pd.concat([req.groupby(keys)[cols_req].sum(), rev.groupby(keys)[cols_rev].sum()], axis=1)
    if "unit" in keys:  # a unit with no rows in a period counts 0 there (its volume is 0, its ratios undefined)
        units = view.frames["units"]["code"]
        full = (pd.MultiIndex.from_product([units, out.index.get_level_values("period").unique()], names=keys)
                if len(keys) == 2 else pd.Index(units, name="unit"))
        out = out.reindex(full)
    return out.fillna(0)


# --- where the unit stands -------------------------------------------------------------------------------------


def trends(view: View, p: DistrictParams) -> Answer:
    """Volume, online share, on-time rate, mean score and bad-review rate per period: the unit, the city and the
    median of the unit's group (long rows: period, metric, series, value). For the volume, which grows with a
    unit's size, the city series is the city's mean per unit."""

    def build(v: View):
        counts = _day_counts(v, p, ["unit", "period"])
        per_unit = _count_metrics(counts)
        city = _count_metrics(counts.groupby(level="period").sum())
        city["requests"] = city["requests"] / len(v.frames["units"])  # a volume: the city's mean per unit
        return _series(per_unit, city, v, p.code)

    rows = view.memo(("district_trends", p), build)
    return Answer(rows, _prov(view, "district_trends", p, ("channel",), metrics=TREND_METRICS))


def _quantile_frame(hist: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Median and p90 hours per key from a histogram frame (keys..., bucket, completed)."""
    if hist.empty:
        return pd.DataFrame(columns=["median_hours", "p90_hours"], index=pd.MultiIndex.from_tuples([], names=keys))
    table = hist.pivot_table(index=keys, columns="bucket", values="completed", aggfunc="sum", fill_value=0)
    counts = table.reindex(columns=range(len(HOUR_EDGES)), fill_value=0).to_numpy()
    return pd.DataFrame(
        {"median_hours": [hist_quantile(r, 0.5) for r in counts], "p90_hours": [hist_quantile(r, 0.9) for r in counts]},
        index=table.index,
    )


def _processing_hist(view: View, p: DistrictParams) -> pd.DataFrame:
    """unit, month, bucket, completed: the unit histogram, or the department's item histogram."""
    if p.department == ALL:
        return _months(view.frames["proc_hist"], p)
    return _months(view.frames["proc_item_month"], p)[["unit", "month", "bucket", "completed"]]


def processing(view: View, p: DistrictParams) -> Answer:
    """Median and p90 processing hours per month (the histograms are monthly): unit, city, group median."""

    def build(v: View):
        hist = _processing_hist(v, p).rename(columns={"month": "period"})
        per_unit = _quantile_frame(hist, ["unit", "period"])
        city = _quantile_frame(hist, ["period"])
        return _series(per_unit, city, v, p.code)

    rows = view.memo(("district_processing", p), build)
    return Answer(rows, _prov(view, "district_processing", p, ("department",),
                              metrics=("median_hours", "p90_hours"), notes={"granularity": "month"}))


def standing(view: View, p: DistrictParams) -> Answer:
    """The unit's value over the range on each ranked metric, the city's and the group median, and its rank
    among all units and within its group (1 = best)."""

    def build(v: View):
        counts = _day_counts(v, p, ["unit"])
        values = _count_metrics(counts)
        values["median_hours"] = _quantile_frame(_processing_hist(v, p).drop(columns="month"), ["unit"])[
            "median_hours"
        ]
        city = _count_metrics(counts.sum().to_frame().T).iloc[0]
        city_hours = _quantile_frame(_processing_hist(v, p).drop(columns="month").assign(k=0), ["k"])
        city["median_hours"] = city_hours["median_hours"].iloc[0] if len(city_hours) else np.nan
        groups = _groups(v).reindex(values.index)
        rows = []
        for metric, higher in RANKED.items():
            col = values[metric].astype("float64")
            rank = col.rank(ascending=not higher, method="min")
            peers = groups == groups.get(p.code)
            group_rank = col[peers].rank(ascending=not higher, method="min")
            rows.append({
                "metric": metric,
                "unit": col.get(p.code, np.nan),
                "city": float(city[metric]),
                "group_median": float(col[peers].median()),
                "rank": rank.get(p.code, np.nan),
                "units": int(col.notna().sum()),
                "group_rank": group_rank.get(p.code, np.nan),
                "group_units": int(col[peers].notna().sum()),
            })
        return pd.DataFrame(rows)

    rows = view.memo(("district_standing", p), build)
    return Answer(rows, _prov(view, "district_standing", p, ("channel",), metrics=tuple(RANKED)))


def composite_profile(view: View, p: DistrictParams) -> Answer:
    """The unit's composite index by dimension in the latest complete month of the range, against the median
    of its group and the city (0-100, higher is better)."""

    def build(v: View):
        table = v.metric_table("month")
        offered = [m for m in periods(table) if m <= p.months[1]]
        period = latest_complete_period(table.loc[table.index.get_level_values("period").isin(offered)],
                                        min(p.end + timedelta(days=1), v.as_of.date())) or (
            offered[-1] if offered else None)
        if period is None:
            return pd.DataFrame(columns=["dimension", "unit", "group_median", "city"]), None
        scores = composite(table.xs(period, level="period"), v.weights)
        groups = _groups(v)
        peers = [u for u in groups.index[groups == groups[p.code]] if u in scores.index]
        dims = [*DIMENSIONS, "composite"]
        rows = pd.DataFrame({
            "dimension": dims,
            "unit": [float(scores.loc[p.code, d]) if p.code in scores.index else np.nan for d in dims],
            "group_median": [float(scores.loc[peers, d].median()) for d in dims],
            "city": [float(scores.loc[CITY, d]) if CITY in scores.index else np.nan for d in dims],
        })
        return rows, period

    rows, period = view.memo(("district_composite", p), build)
    return Answer(rows, provenance(view, "district_composite", period=period, filters={"unit": p.code}))


# --- departments and items ----------------------------------------------------------------------------------------


def _item_table(view: View, p: DistrictParams, level: str) -> pd.DataFrame:
    """Per department or item (`level`: department_code or item_code): the unit's values, the city's for the
    same key, and the gaps (unit minus city)."""
    keys = ["department_code"] if level == "department_code" else ["department_code", "item_code"]
    req = _months(view.frames["req_item_month"], p)
    rev = _months(view.frames["rev_item_month"], p)
    hist = _months(view.frames["proc_item_month"], p)

    def values(unit_rows: bool) -> pd.DataFrame:
        r = req[req["unit"] == p.code] if unit_rows else req
        v = rev[rev["unit"] == p.code] if unit_rows else rev
        h = hist[hist["unit"] == p.code] if unit_rows else hist
        counts = pd.concat(
            [r.groupby(keys)[["submitted", "completed", "on_time"]].sum(),
             v.groupby(keys)[["reviews", "score_sum", "good", "bad"]].sum()], axis=1).fillna(0)
        ratios = count_ratios(counts.assign(online=0))
        out = pd.DataFrame({"requests": counts["submitted"], "on_time_rate": ratios["on_time_rate"],
                            "mean_score": ratios["mean_score"], "bad_rate": ratios["bad_rate"]}, index=counts.index)
        out["median_hours"] = _quantile_frame(h, keys)["median_hours"].reindex(out.index)
        return out[list(ITEM_COLUMNS)]

    unit, city = values(True), values(False)
    unit = unit[unit["requests"] > 0]  # the unit's own departments and items
    rows = unit.join(city.add_prefix("city_"), how="left")
    for col in ITEM_COLUMNS:
        rows[f"gap_{col}"] = rows[col] - rows[f"city_{col}"]
    rows = rows.reset_index()
    names = view.frames["departments"].set_index("code")
    if level == "item_code":
        names = view.frames["items"].set_index("code")
    rows["name_zh"] = rows[level].map(names["name_zh"]).fillna(rows[level])
    rows["name_en"] = rows[level].map(names["name_en"]).fillna(rows[level])
    ordered = [*keys, "name_zh", "name_en", *ITEM_COLUMNS, *[f"city_{c}" for c in ITEM_COLUMNS],
               *[f"gap_{c}" for c in ITEM_COLUMNS]]
    return rows[ordered].sort_values("requests", ascending=False, ignore_index=True)


def departments(view: View, p: DistrictParams) -> Answer:
    """The unit's departments over the months of the range, each against the city's same department."""
    rows = view.memo(("district_departments", p), lambda v: _item_table(v, p, "department_code"))
    return Answer(rows, _prov(view, "district_departments", p, ("department",), metrics=ITEM_COLUMNS,
                              notes={"months": "..".join(p.months)}))


def items(view: View, p: DistrictParams) -> Answer:
    """The unit's service items over the months of the range, each against the city's same item."""
    rows = view.memo(("district_items", p), lambda v: _item_table(v, p, "item_code"))
    return Answer(rows, _prov(view, "district_items", p, ("department",), metrics=ITEM_COLUMNS,
                              notes={"months": "..".join(p.months)}))


def pareto(view: View, p: DistrictParams, kind: str) -> Answer:
    """The unit's items ordered by their bad reviews (`kind` bad) or late completions (`kind` late), with each
    item's share and the cumulative share: the few items that give most of them."""
    if kind not in ("bad", "late"):
        raise BadInput("pareto: bad or late")

    def build(v: View):
        if kind == "bad":
            frame = _months(v.frames["rev_item_month"], p)
            frame = frame[frame["unit"] == p.code].assign(count=lambda f: f["bad"])
        else:
            frame = _months(v.frames["req_item_month"], p)
            frame = frame[frame["unit"] == p.code].assign(count=lambda f: f["completed"] - f["on_time"])
        counts = frame.groupby("item_code")["count"].sum()
        counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
        total = counts.sum()
        names = v.frames["items"].set_index("code")
        codes = pd.Series(counts.index, dtype="object")
        rows = pd.DataFrame({
            "item_code": codes,
            "name_zh": codes.map(names["name_zh"]).fillna(codes),
            "name_en": codes.map(names["name_en"]).fillna(codes),
            "count": counts.to_numpy().astype("int64"),
        })
        rows["share"] = rows["count"] / total if total else np.nan
        rows["cumulative_share"] = rows["share"].cumsum()
        return rows.reset_index(drop=True)

    rows = view.memo(("district_pareto", kind, p), build)
    return Answer(rows, _prov(view, f"district_pareto_{kind}", p, ("department",),
                              notes={"months": "..".join(p.months)}))


# --- channels -----------------------------------------------------------------------------------------------------


def channel_mix(view: View, p: DistrictParams) -> Answer:
    """Requests per period and channel of the unit, and each channel's share of the period."""

    def build(v: View):
        req = _days(v.frames["req_day"], p, channel=False)
        req = req[req["unit"] == p.code].assign(period=lambda f: bucket(f["day"], p.granularity))
        counts = req.groupby(["period", "channel"])["submitted"].sum().rename("requests").reset_index()
        counts = counts[counts["requests"] > 0].reset_index(drop=True)  # rows of completions only: no requests
        counts["share"] = counts["requests"] / counts.groupby("period")["requests"].transform("sum")
        return counts.astype({"requests": "int64"})

    rows = view.memo(("district_channel_mix", p), build)
    return Answer(rows, _prov(view, "district_channel_mix", p, ()))


def channel_satisfaction(view: View, p: DistrictParams) -> Answer:
    """Each channel's reviews, mean score and bad-review rate over the range: the unit and the city."""

    def build(v: View):
        rev = _days(v.frames["rev_day"], p, channel=False)
        out = []
        for series, part in (("unit", rev[rev["unit"] == p.code]), ("city", rev)):
            counts = part.groupby("channel")[["reviews", "score_sum", "good", "bad"]].sum()
            counts = counts.reindex(list(CHANNELS), fill_value=0)
            ratios = count_ratios(counts.assign(online=0, submitted=0, completed=0, on_time=0))
            out.append(pd.DataFrame({"channel": counts.index, "series": series, "reviews": counts["reviews"],
                                     "mean_score": ratios["mean_score"], "bad_rate": ratios["bad_rate"]}))
        return pd.concat(out, ignore_index=True).astype({"reviews": "int64"})

    rows = view.memo(("district_channel_satisfaction", p), build)
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
        rev = _days(v.frames["rev_day"], p).assign(period=lambda f: f["day"].str.slice(0, 7))
        due = rev[rev["day"] <= v.rectify.last_passed(v.as_of).isoformat()]
        ob = v.frames["open_bad"]
        if p.channel != ALL:
            ob = ob[ob["channel"] == p.channel]
        ob = ob.assign(day=pd.to_datetime(ob["created_at"]).dt.strftime("%Y-%m-%d"))
        ob = _days(ob, p, channel=False).assign(period=lambda f: f["day"].str.slice(0, 7), n=1)
        rows = []
        for series, pick in (("unit", lambda f: f[f["unit"] == p.code]), ("city", lambda f: f)):
            bad = pick(rev).groupby("period")["bad"].sum()
            still_open = pick(ob).groupby("period")["n"].sum().reindex(bad.index, fill_value=0)
            bad_due = pick(due).groupby("period")["bad"].sum().reindex(bad.index, fill_value=0)
            on_time = pick(due).groupby("period")["rect_on_time"].sum().reindex(bad.index, fill_value=0)
            rate = (bad - still_open) / bad.where(bad > 0)
            timely = on_time / bad_due.where(bad_due > 0)
            for metric, values in (("rectification_rate", rate), ("rectification_on_time_rate", timely)):
                rows.append(pd.DataFrame({"period": values.index, "metric": metric, "series": series,
                                          "value": values.to_numpy(dtype="float64")}))
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
            columns=["period", "metric", "series", "value"])

    rows = view.memo(("district_rectification", p), build)
    return Answer(rows, _prov(view, "district_rectification", p, ("channel",),
                              metrics=("rectification_rate", "rectification_on_time_rate"),
                              notes={"granularity": "month"}))


def rectification_by_department(view: View, p: DistrictParams) -> Answer:
    """Per department of the unit over the months of the range: bad reviews, still open, the rectification
    rate, and the on-time rate over the months whose every deadline has passed."""

    def build(v: View):
        rev = _months(v.frames["rev_item_month"], p)
        rev = rev[rev["unit"] == p.code]
        ob = v.frames["open_bad"]
        ob = ob[ob["unit"] == p.code].assign(month=lambda f: pd.to_datetime(f["created_at"]).dt.strftime("%Y-%m"))
        ob = _months(ob, p)
        due_until = v.rectify.last_passed(v.as_of)
        month_end = pd.to_datetime(rev["month"] + "-01") + pd.offsets.MonthEnd(0)
        fully_due = rev[month_end.dt.date <= due_until]
        bad = rev.groupby("department_code")["bad"].sum()
        bad = bad[bad > 0]
        still_open = ob.groupby("department_code").size().reindex(bad.index, fill_value=0)
        due_bad = fully_due.groupby("department_code")["bad"].sum().reindex(bad.index, fill_value=0)
        due_on_time = fully_due.groupby("department_code")["rect_on_time"].sum().reindex(bad.index, fill_value=0)
        names = v.frames["departments"].set_index("code")
        rows = pd.DataFrame({
            "department_code": bad.index,
            "name_zh": bad.index.map(names["name_zh"]),
            "name_en": bad.index.map(names["name_en"]),
            "bad": bad.to_numpy().astype("int64"),
            "open": still_open.to_numpy().astype("int64"),
            "rectification_rate": ((bad - still_open) / bad).to_numpy(dtype="float64"),
            "rectification_on_time_rate": (due_on_time / due_bad.where(due_bad > 0)).to_numpy(dtype="float64"),
        })
        return rows.sort_values(["bad", "department_code"], ascending=[False, True], ignore_index=True)

    rows = view.memo(("district_rectification_departments", p), build)
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

