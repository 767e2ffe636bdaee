"""Metric catalogue and derived metrics of ../shared/DATA.md, per unit and period and for the city.

Every metric is a ratio of additive *components* (counts and sums) taken from the snapshot, so the city's
value is computed from the city's summed components, never as an average of unit rates. Definitions,
denominators and the processing-time histogram's error bound are in docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from dashboard.aggregation import HOUR_EDGES, ONLINE
from dashboard.workdays import Rule, as_rule

CITY = "city"
DIMENSIONS = ("service", "satisfaction", "openness", "infrastructure", "talent", "security")
STOCK_INDICATORS = (
    "population",
    "open_datasets",
    "g5_base_stations",
    "self_service_terminals",
    "digital_staff",
    "grade_protection_rate",
)
# Counted per month and summed over a period. staff_trained is person-times trained (培训人次) in the month.
FLOW_INDICATORS = ("data_sharing_calls", "staff_trained", "security_incidents")
# Counts shown per 10,000 residents (population itself and a share are not).
PER_CAPITA_INDICATORS = tuple(
    c for c in STOCK_INDICATORS + FLOW_INDICATORS if c not in ("population", "grade_protection_rate")
)


@dataclass(frozen=True, kw_only=True)
class Metric:
    """A metric: dimension, direction (True: higher is better; None: neither), unit, format, definition."""

    key: str
    dimension: str | None
    higher_is_better: bool | None
    unit_zh: str
    unit_en: str
    fmt: str
    definition_zh: str
    definition_en: str
    composite: bool = True


CATALOGUE: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            key="requests",
            dimension="service",
            higher_is_better=None,
            unit_zh="件",
            unit_en="requests",
            fmt=",.0f",
            definition_zh="期内提交的办件数。",
            definition_en="Requests submitted in the period.",
            composite=False,
        ),
        Metric(
            key="requests_per_10k",
            dimension="service",
            higher_is_better=None,
            unit_zh="件/万人",
            unit_en="per 10k residents",
            fmt=",.1f",
            definition_zh="期内办件数除以常住人口（万人）。",
            definition_en="Requests in the period per 10,000 residents.",
            composite=False,
        ),
        Metric(
            key="online_share",
            dimension="service",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="网上（网站和App）提交的办件占全部办件的比例。",
            definition_en="Share of requests submitted online (web and app).",
        ),
        Metric(
            key="on_time_rate",
            dimension="service",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="期内办结的办件中按承诺时限办结的比例。",
            definition_en="Of requests completed in the period, the share completed by their deadline.",
        ),
        Metric(
            key="median_hours",
            dimension="service",
            higher_is_better=False,
            unit_zh="小时",
            unit_en="hours",
            fmt=",.1f",
            definition_zh="期内办结办件的办理时长中位数（由分桶直方图插值，误差不超过所在桶宽）。",
            definition_en=(
                "Median processing time of requests completed in the period (interpolated from a fixed histogram)."
            ),
        ),
        Metric(
            key="p90_hours",
            dimension="service",
            higher_is_better=False,
            unit_zh="小时",
            unit_en="hours",
            fmt=",.1f",
            definition_zh="期内办结办件办理时长的第90百分位数。",
            definition_en="90th percentile of processing time of requests completed in the period.",
            composite=False,
        ),
        Metric(
            key="open_backlog",
            dimension="service",
            higher_is_better=False,
            unit_zh="件",
            unit_en="requests",
            fmt=",.0f",
            definition_zh="期末尚未办结的办件数（累计提交减累计办结）。",
            definition_en="Requests open at the end of the period (submitted, not yet finished).",
            composite=False,
        ),
        Metric(
            key="backlog_per_10k",
            dimension="service",
            higher_is_better=False,
            unit_zh="件/万人",
            unit_en="per 10k residents",
            fmt=",.2f",
            definition_zh="期末未办结办件数除以常住人口（万人）。",
            definition_en="Open requests at the end of the period per 10,000 residents.",
        ),
        Metric(
            key="reviews",
            dimension="satisfaction",
            higher_is_better=None,
            unit_zh="条",
            unit_en="reviews",
            fmt=",.0f",
            definition_zh="期内的评价条数。",
            definition_en="Reviews given in the period.",
            composite=False,
        ),
        Metric(
            key="participation",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="期内评价数除以期内办结数。",
            definition_en="Reviews in the period divided by requests completed in the period.",
        ),
        Metric(
            key="mean_score",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="分",
            unit_en="points",
            fmt=".2f",
            definition_zh="期内评价的平均分（1–5分）。",
            definition_en="Mean review score in the period (1 to 5).",
        ),
        Metric(
            key="good_rate",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="好评（4–5分）占全部评价的比例。",
            definition_en="Share of reviews that are good (4 or 5).",
        ),
        Metric(
            key="bad_rate",
            dimension="satisfaction",
            higher_is_better=False,
            unit_zh="%",
            unit_en="%",
            fmt=".2%",
            definition_zh="差评（1–2分）占全部评价的比例。",
            definition_en="Share of reviews that are bad (1 or 2).",
        ),
        Metric(
            key="rectification_rate",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="期内差评中已确认整改的比例（截至数据时点）。",
            definition_en="Of bad reviews given in the period, the share rectified so far.",
        ),
        Metric(
            key="rectification_on_time_rate",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="整改期限已到的差评中，在期限内整改的比例。",
            definition_en="Of bad reviews whose rectification deadline has passed, the share rectified within it.",
        ),
        Metric(
            key="overdue_bad_reviews",
            dimension="satisfaction",
            higher_is_better=False,
            unit_zh="条",
            unit_en="reviews",
            fmt=",.0f",
            definition_zh="超过整改期限仍未整改的差评数（截至数据时点）。",
            definition_en="Bad reviews still not rectified after the deadline (as of the data).",
            composite=False,
        ),
        Metric(
            key="return_visit_rate",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="回访期限已到的差评中，在期限内回访的比例（回访期限按工作日或自然日计，见配置）。",
            definition_en="Of bad reviews whose return-visit deadline has passed, the share visited within it "
            "(working or calendar days, as configured).",
            composite=False,
        ),
        Metric(
            key="real_name_visit_rate",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="实名差评中，回访期限已到且在期限内回访的比例（实名差评应100%回访）。",
            definition_en="Of real-name bad reviews whose return-visit deadline has passed, the share visited "
            "within it (rules require 100%).",
            composite=False,
        ),
        Metric(
            key="active_rating_rate",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="主动评价（非系统默认评价）占全部评价的比例。",
            definition_en="Reviews the citizen gave (not recorded by default) over all reviews.",
            composite=False,
        ),
        Metric(
            key="good_rate_active",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="不含默认评价的好评率：主动评价中4–5分的比例。",
            definition_en="Good rate without default ratings: share of the citizen-given reviews that are 4 or 5.",
            composite=False,
        ),
        Metric(
            key="mean_score_active",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="分",
            unit_en="points",
            fmt=".2f",
            definition_zh="不含默认评价的平均分（1–5分）。",
            definition_en="Mean score without default ratings (1 to 5).",
            composite=False,
        ),
        Metric(
            key="rectification_satisfied_rate",
            dimension="satisfaction",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="已评价整改结果的差评中，评价人对整改“满意”的比例。",
            definition_en="Of bad reviews whose rectification the reviewer rated, the share rated satisfied.",
            composite=False,
        ),
        Metric(
            key="rectification_basic_rate",
            dimension="satisfaction",
            higher_is_better=None,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="已评价整改结果的差评中，评价人对整改“基本满意”的比例。",
            definition_en="Of bad reviews whose rectification the reviewer rated, the share rated basically "
            "satisfied.",
            composite=False,
        ),
        Metric(
            key="rectification_dissatisfied_rate",
            dimension="satisfaction",
            higher_is_better=False,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="已评价整改结果的差评中，评价人对整改“不满意”的比例。",
            definition_en="Of bad reviews whose rectification the reviewer rated, the share rated dissatisfied.",
            composite=False,
        ),
        Metric(
            key="appeals_pending",
            dimension="satisfaction",
            higher_is_better=None,
            unit_zh="条",
            unit_en="reviews",
            fmt=",.0f",
            definition_zh="期内差评中申诉复核尚未办结的条数（仍计入差评）。",
            definition_en="Bad reviews of the period under appeal, not yet decided (still counted as bad).",
            composite=False,
        ),
        Metric(
            key="appeals_upheld",
            dimension="satisfaction",
            higher_is_better=None,
            unit_zh="条",
            unit_en="reviews",
            fmt=",.0f",
            definition_zh="申诉复核成立（确认误评、恶意评价）的评价数；此类评价不计入评价数、好评率、差评率和平均分。",
            definition_en="Reviews whose appeal was upheld (confirmed mistaken or malicious); they are left out of "
            "reviews, good and bad rates and the mean score.",
            composite=False,
        ),
        Metric(
            key="open_datasets_per_10k",
            dimension="openness",
            higher_is_better=True,
            unit_zh="个/万人",
            unit_en="per 10k residents",
            fmt=",.2f",
            definition_zh="开放数据集数量除以常住人口（万人）。",
            definition_en="Open datasets per 10,000 residents.",
        ),
        Metric(
            key="data_sharing_calls_per_10k",
            dimension="openness",
            higher_is_better=True,
            unit_zh="次/万人",
            unit_en="per 10k residents",
            fmt=",.0f",
            definition_zh="期内数据共享调用次数除以常住人口（万人）。",
            definition_en="Data-sharing calls in the period per 10,000 residents.",
        ),
        Metric(
            key="g5_base_stations_per_10k",
            dimension="infrastructure",
            higher_is_better=True,
            unit_zh="个/万人",
            unit_en="per 10k residents",
            fmt=",.2f",
            definition_zh="5G基站数除以常住人口（万人）。",
            definition_en="5G base stations per 10,000 residents.",
        ),
        Metric(
            key="self_service_terminals_per_10k",
            dimension="infrastructure",
            higher_is_better=True,
            unit_zh="台/万人",
            unit_en="per 10k residents",
            fmt=",.2f",
            definition_zh="自助终端数除以常住人口（万人）。",
            definition_en="Self-service terminals per 10,000 residents.",
        ),
        Metric(
            key="digital_staff_per_10k",
            dimension="talent",
            higher_is_better=True,
            unit_zh="人/万人",
            unit_en="per 10k residents",
            fmt=",.2f",
            definition_zh="数字化专业人员数除以常住人口（万人）。",
            definition_en="Digital staff per 10,000 residents.",
        ),
        Metric(
            key="staff_trained_per_10k",
            dimension="talent",
            higher_is_better=True,
            unit_zh="人/万人",
            unit_en="per 10k residents",
            fmt=",.2f",
            definition_zh="期内培训人次除以常住人口（万人）。",
            definition_en="Staff trained (person-times) in the period per 10,000 residents.",
        ),
        Metric(
            key="security_incidents_per_10k",
            dimension="security",
            higher_is_better=False,
            unit_zh="起/万人",
            unit_en="per 10k residents",
            fmt=",.3f",
            definition_zh="期内网络安全事件数除以常住人口（万人）。",
            definition_en="Security incidents in the period per 10,000 residents.",
        ),
        Metric(
            key="grade_protection_rate",
            dimension="security",
            higher_is_better=True,
            unit_zh="%",
            unit_en="%",
            fmt=".1%",
            definition_zh="通过等级保护测评的系统比例。",
            definition_en="Share of systems certified under graded protection.",
        ),
        Metric(
            key="population",
            dimension=None,
            higher_is_better=None,
            unit_zh="人",
            unit_en="persons",
            fmt=",.0f",
            definition_zh="常住人口。",
            definition_en="Resident population.",
            composite=False,
        ),
    )
}


# Metrics the overview offers (every metric with a dimension; population is a denominator, not a choice).
OVERVIEW_METRICS = tuple(k for k, m in CATALOGUE.items() if m.dimension is not None)
# Metrics that are one count over another, for a unit, the city or any window of days (the wall's too).
COUNT_RATIOS = {
    "online_share": ("online", "submitted"),
    "on_time_rate": ("on_time", "completed"),
    "participation": ("reviews", "completed"),
    "mean_score": ("score_sum", "reviews"),
    "good_rate": ("good", "reviews"),
    "bad_rate": ("bad", "reviews"),
}
# Indicators whose city value is taken over the units that report them (numerator and denominator alike).
COVERED = (*PER_CAPITA_INDICATORS, "grade_protection_rate")


def covered_population(code: str) -> str:
    """Column of the population of the units that report indicator `code` (docs/metrics.md, "Coverage")."""
    return f"population_for_{code}"


def count_ratios(counts):
    """COUNT_RATIOS of a frame or Series of counts; NaN where the denominator is 0 or missing."""
    return {m: _ratio(counts[n], counts[d]) for m, (n, d) in COUNT_RATIOS.items()}


# The quarter of each month: 'MM' -> 'Qn' (a quarter key is 'YYYY-Qn').
QUARTER_OF_MONTH = {f"{m:02d}": f"Q{(m - 1) // 3 + 1}" for m in range(1, 13)}


def period_of(keys: pd.Series, granularity: str) -> pd.Series:
    """'YYYY-MM-DD' or 'YYYY-MM' keys cut to months ('YYYY-MM'), quarters ('YYYY-Qn') or years ('YYYY')."""
    if granularity == "quarter":
        return keys.str.slice(0, 5) + keys.str.slice(5, 7).map(QUARTER_OF_MONTH)
    return keys.str.slice(0, 7 if granularity == "month" else 4)


def quarter_of(day: date) -> str:
    """The quarter key ('YYYY-Qn') of a day."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def hist_quantile(counts: np.ndarray, q: float) -> float:
    """The q-quantile of a processing-time histogram over HOUR_EDGES, linearly interpolated within its bucket;
    NaN for an empty histogram. The true quantile lies in the same bucket, so the error is below its width."""
    total = counts.sum()
    if total <= 0:
        return float("nan")
    target = q * total
    cum = np.cumsum(counts)
    i = int(np.searchsorted(cum, target, side="left"))
    lo = HOUR_EDGES[i]
    if i == len(HOUR_EDGES) - 1:
        return float(lo)  # open-ended last bucket: its lower edge, a lower bound
    hi = HOUR_EDGES[i + 1]
    before = cum[i - 1] if i else 0
    return float(lo + (hi - lo) * (target - before) / counts[i])


def hist_quantiles(counts: np.ndarray, q: float) -> np.ndarray:
    """hist_quantile of each row of a 2-D array of histograms over HOUR_EDGES, with the same arithmetic."""
    counts = np.asarray(counts, dtype="float64").reshape(-1, len(HOUR_EDGES))
    out = np.full(len(counts), np.nan)
    total = counts.sum(axis=1)
    rows = np.flatnonzero(total > 0)
    if not len(rows):
        return out
    counts = counts[rows]
    target = q * total[rows]
    cum = np.cumsum(counts, axis=1)
    i = (cum < target[:, None]).sum(axis=1)
    edges = np.asarray(HOUR_EDGES, dtype="float64")
    last = i == len(HOUR_EDGES) - 1
    inner = np.flatnonzero(~last)
    j = i[inner]
    before = np.where(j > 0, cum[inner, np.maximum(j - 1, 0)], 0.0)
    lo, hi = edges[j], edges[j + 1]
    out[rows[inner]] = lo + (hi - lo) * (target[inner] - before) / counts[inner, j]
    out[rows[last]] = edges[-1]
    return out


def _sum_by(frame: pd.DataFrame, key: str, granularity: str, columns: list[str]) -> pd.DataFrame:
    """Sum columns by unit and period."""
    keyed = frame.assign(period=period_of(frame[key], granularity))
    return keyed.groupby(["unit", "period"])[columns].sum()


# Review sums that the components carry per (unit, period), besides the due ones (docs/metrics.md).
REVIEW_COMPONENTS = ("reviews", "score_sum", "good", "bad", "appeal_upheld", "appeal_pending", "defaults",
                     "default_score", "default_good", "rated_satisfied", "rated_basic", "rated_dissatisfied")
# Optional review columns each review metric needs; with one absent, the metric is "not available from this
# source" (NaN), never 0.
NEEDS = {
    "return_visit_rate": ("visited_at",),
    "real_name_visit_rate": ("visited_at", "real_name"),
    "active_rating_rate": ("is_default",),
    "good_rate_active": ("is_default",),
    "mean_score_active": ("is_default",),
    "rectification_satisfied_rate": ("rectification_rating",),
    "rectification_basic_rate": ("rectification_rating",),
    "rectification_dissatisfied_rate": ("rectification_rating",),
    "appeals_pending": ("appeal_status",),
    "appeals_upheld": ("appeal_status",),
}


def unavailable(frames: dict[str, pd.DataFrame]) -> frozenset[str]:
    """Metrics that need an optional review column this snapshot's source does not provide."""
    cols = frames.get("review_columns")
    absent = set() if cols is None else set(cols.loc[~cols["available"].astype(bool), "column"])
    return frozenset(m for m, needs in NEEDS.items() if absent & set(needs))


def _due(frame: pd.DataFrame, rule: Rule, as_of: datetime) -> pd.DataFrame:
    """The rows of a day-keyed review frame whose deadline under `rule` has passed at `as_of`."""
    return frame[frame["day"] <= rule.last_passed(as_of).isoformat()]


def components(frames: dict[str, pd.DataFrame], granularity: str, as_of: datetime, rectify: Rule | int,
               visit: Rule | int | None = None):
    """Additive components per (unit, period) for every metric; a wide frame indexed by unit and period.
    `rectify` and `visit` are the deadlines (an int: calendar days; no visit rule: one day)."""
    rectify, visit = as_rule(rectify), as_rule(1 if visit is None else visit)
    req_day = frames["req_day"]
    online = req_day[req_day["channel"].isin(ONLINE)]
    parts = [
        _sum_by(req_day, "day", granularity, ["submitted", "finished", "completed", "on_time"]),
        _sum_by(online, "day", granularity, ["submitted"]).rename(columns={"submitted": "online"}),
    ]
    rev_day = frames["rev_day"]
    present = [c for c in REVIEW_COMPONENTS if c in rev_day]
    parts.append(_sum_by(rev_day, "day", granularity, present))
    due = _due(rev_day, rectify, as_of)
    parts.append(_sum_by(due, "day", granularity, ["bad", "rect_on_time"]).rename(
        columns={"bad": "bad_due", "rect_on_time": "rect_on_time_due"}))
    if "visit_on_time" in rev_day:
        seen = _due(rev_day, visit, as_of)
        parts.append(_sum_by(seen, "day", granularity, ["bad", "real_bad", "visit_on_time", "real_visit_on_time"])
                     .rename(columns={"bad": "bad_visit_due", "real_bad": "real_bad_visit_due"}))
    open_bad = frames["open_bad"].assign(day=lambda f: pd.to_datetime(f["created_at"]).dt.strftime("%Y-%m-%d"), n=1)
    open_bad["overdue"] = (open_bad["day"] <= rectify.last_passed(as_of).isoformat()).astype("int64")
    parts.append(_sum_by(open_bad, "day", granularity, ["n", "overdue"]).rename(columns={"n": "open_bad"}))
    out = pd.concat(parts, axis=1).fillna(0)
    return out


def _cumulative_backlog(comp: pd.DataFrame) -> pd.Series:
    """Open requests at the end of each period: cumulative submitted minus cumulative finished, per unit."""
    ordered = comp.sort_index()
    net = ordered["submitted"] - ordered["finished"]
    return net.groupby(level="unit").cumsum()


def _quantiles(proc_hist: pd.DataFrame, granularity: str, by_unit: bool) -> pd.DataFrame:
    """Median and p90 processing hours per (unit, period), or per period for the city."""
    hist = proc_hist.assign(period=period_of(proc_hist["month"], granularity))
    keys = ["unit", "period"] if by_unit else ["period"]
    table = hist.pivot_table(index=keys, columns="bucket", values="completed", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=range(len(HOUR_EDGES)), fill_value=0)
    counts = table.to_numpy()
    return pd.DataFrame(
        {
            "median_hours": [hist_quantile(row, 0.5) for row in counts],
            "p90_hours": [hist_quantile(row, 0.9) for row in counts],
        },
        index=table.index,
    )


def _indicators(frame: pd.DataFrame, granularity: str) -> pd.DataFrame:
    """Indicator values per (unit, period): stocks at the period's last month, flows summed over it."""
    if frame.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["unit", "period"]))
    ind = frame.assign(period=period_of(frame["month"], granularity))
    stocks = ind[ind["indicator_code"].isin(STOCK_INDICATORS)].sort_values("month")
    stock = stocks.groupby(["unit", "period", "indicator_code"])["value"].last().unstack("indicator_code")
    flows = ind[ind["indicator_code"].isin(FLOW_INDICATORS)]
    flow = flows.groupby(["unit", "period", "indicator_code"])["value"].sum().unstack("indicator_code")
    return pd.concat([stock, flow], axis=1)


def _ratio(num, den):
    """num / den, NaN where the denominator is 0 or missing (a scalar numerator is broadcast)."""
    if not isinstance(den, pd.Series):
        return float(num) / float(den) if den > 0 else float("nan")
    den = den.astype("float64")
    num = num.astype("float64") if isinstance(num, pd.Series) else pd.Series(num, index=den.index, dtype="float64")
    return num / den.where(den > 0)


def derive(comp: pd.DataFrame) -> pd.DataFrame:
    """Metric values from components (the same rule for a unit and for the city)."""
    pop10k = comp["population"] / 1e4
    out = pd.DataFrame(index=comp.index)
    out["population"] = comp["population"]
    out["requests"] = comp["submitted"]
    out["requests_per_10k"] = _ratio(comp["submitted"], pop10k)
    ratios = count_ratios(comp)
    out["online_share"] = ratios["online_share"]
    out["on_time_rate"] = ratios["on_time_rate"]
    out["median_hours"] = comp["median_hours"]
    out["p90_hours"] = comp["p90_hours"]
    out["open_backlog"] = comp["backlog"]
    out["backlog_per_10k"] = _ratio(comp["backlog"], pop10k)
    out["reviews"] = comp["reviews"]
    for m in ("participation", "mean_score", "good_rate", "bad_rate"):
        out[m] = ratios[m]
    out["rectification_rate"] = _ratio(comp["bad"] - comp["open_bad"], comp["bad"])
    out["rectification_on_time_rate"] = _ratio(comp["rect_on_time_due"], comp["bad_due"])
    out["overdue_bad_reviews"] = comp["overdue"]
    zero = pd.Series(0.0, index=comp.index)
    col = lambda name: comp[name] if name in comp else zero  # noqa: E731 - a snapshot from before a column
    out["return_visit_rate"] = _ratio(col("visit_on_time"), col("bad_visit_due"))
    out["real_name_visit_rate"] = _ratio(col("real_visit_on_time"), col("real_bad_visit_due"))
    active = col("reviews") - col("defaults")
    out["active_rating_rate"] = _ratio(active, col("reviews"))
    out["good_rate_active"] = _ratio(col("good") - col("default_good"), active)
    out["mean_score_active"] = _ratio(col("score_sum") - col("default_score"), active)
    rated = col("rated_satisfied") + col("rated_basic") + col("rated_dissatisfied")
    for level in ("satisfied", "basic", "dissatisfied"):
        out[f"rectification_{level}_rate"] = _ratio(col(f"rated_{level}"), rated)
    out["appeals_pending"] = col("appeal_pending")
    out["appeals_upheld"] = col("appeal_upheld")
    for code in PER_CAPITA_INDICATORS:
        if code in comp:
            out[f"{code}_per_10k"] = _ratio(comp[code], comp[covered_population(code)] / 1e4)
        else:
            out[f"{code}_per_10k"] = np.nan
    if "grade_protection_rate" in comp:  # the units' value; the city's is the population-weighted mean over them
        out["grade_protection_rate"] = comp["grade_protection_rate"]
    else:
        out["grade_protection_rate"] = np.nan
    for code in COVERED:  # how many units stand behind each indicator's value (18 for a unit that reports)
        out[f"units_{code}"] = comp[f"units_{code}"] if f"units_{code}" in comp else 0
    return out


def metric_table(
    frames: dict[str, pd.DataFrame], granularity: str, as_of: datetime, rectify: Rule | int,
    visit: Rule | int | None = None,
) -> pd.DataFrame:
    """Every metric per (unit, period), plus the city as unit 'city'; index (unit, period). A metric whose
    optional review column the source lacks is NaN throughout (`unavailable(frames)` names them)."""
    comp = components(frames, granularity, as_of, rectify, visit)
    ind = _indicators(frames["indicators"], granularity)
    comp = comp.join(ind, how="left")
    units = frames["units"].set_index("code")["population"].astype("float64")
    if "population" not in comp or comp["population"].isna().all():
        comp["population"] = comp.index.get_level_values("unit").map(units)
    else:
        fallback = pd.Series(comp.index.get_level_values("unit").map(units), index=comp.index)
        comp["population"] = comp["population"].fillna(fallback)
    comp["backlog"] = _cumulative_backlog(comp)
    comp = comp.join(_quantiles(frames["proc_hist"], granularity, by_unit=True), how="left")
    # Coverage: an indicator's city value takes numerator and denominator over the units that report it.
    for code in COVERED:
        if code in comp:
            reports = comp[code].notna()
            comp[covered_population(code)] = comp["population"].where(reports)
            comp[f"units_{code}"] = reports.astype("int64")
    if "grade_protection_rate" in comp:
        comp["grade_weighted"] = comp["grade_protection_rate"] * comp["population"]

    additive = comp.drop(columns=["median_hours", "p90_hours", "grade_protection_rate"], errors="ignore")
    city = additive.groupby(level="period").sum(min_count=1)
    city = city.join(_quantiles(frames["proc_hist"], granularity, by_unit=False), how="left")
    if "grade_protection_rate" in comp:
        city["grade_protection_rate"] = _ratio(
            city["grade_weighted"], city[covered_population("grade_protection_rate")]
        )
    city.index = pd.MultiIndex.from_product([[CITY], city.index], names=["unit", "period"])
    table = derive(pd.concat([comp, city]))
    for metric in unavailable(frames):
        table[metric] = np.nan
    return table


def periods(table: pd.DataFrame) -> list[str]:
    """The periods present in a metric table, oldest first."""
    return sorted(table.index.get_level_values("period").unique())


def latest_complete_period(table: pd.DataFrame, as_of: date) -> str | None:
    """The newest period that ended before as_of (a month, quarter or year still running is not complete)."""
    return latest_complete(periods(table), as_of)


def latest_complete(keys: list[str], as_of: date) -> str | None:
    """The newest of some period keys, oldest first, that ended before as_of (latest_complete_period's rule)."""
    current, running_quarter = as_of.isoformat(), quarter_of(as_of)
    done = [p for p in keys if not current.startswith(p) and p != running_quarter]
    return done[-1] if done else None
