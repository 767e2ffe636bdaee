"""Deterministic synthetic demo data for a city's units: requests, reviews and indicators over three years.

Everything here is invented except the units and their census population (dashboard/cities/<city>.json).
The world is built to show gaps: core districts ahead of outer districts ahead of counties in online share,
speed, satisfaction and indicators; two departments and a few items clearly worse; weekday, public-holiday and
Spring Festival patterns; and a small share of bad rows of every kind in ../shared/DATA.md. docs/demo-data.md
describes it.

Determinism: every random draw comes from numpy's PCG64 seeded by (seed, purpose, chunk), and nothing reads
the clock, so (scale, seed, end, bad_share) fixes every row. Requests are generated one calendar month at a
time, vectorised, so memory stays flat and ten million rows take seconds.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain, groupby, pairwise
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.aggregation import APPEAL_STATUSES, RECTIFICATION_RATINGS
from dashboard.regions import GROUPS, City
from data_sources.bulk import clear_table, load_frames
from data_sources.quality import REASONS
from data_sources.schema import CHANNELS, INDICATORS, ONLINE_CHANNELS, STATUSES
from data_sources.sql import SqlSources

DAY = 86_400
NAT = np.iinfo(np.int64).min  # int64 seconds viewed as datetime64[s]: this value is NaT, i.e. NULL
YEARS = 3
MONTHS = 36
FRAME_ROWS = 500_000  # rows per frame handed to the loader for tables generated in one piece

# First day of the lunar new year; the holiday runs from its eve for eight days (approximate official dates).
SPRING_FESTIVAL = {
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
# Fixed-date public holidays, approximated: (month, first day, days): New Year, Qingming, Labour Day, National Day.
FIXED_HOLIDAYS = ((1, 1, 1), (4, 4, 3), (5, 1, 5), (10, 1, 7))

# Day kinds and each channel's volume on them relative to a workday (channels in schema.CHANNELS order:
# web, app, window, self_service, hotline). Service halls nearly close at weekends; online barely notices.
WORKDAY, SATURDAY, SUNDAY, HOLIDAY, FESTIVAL = range(5)
DAY_FACTORS = np.array(
    [
        (1.00, 1.00, 1.00, 1.00, 1.00),
        (0.70, 0.80, 0.14, 0.45, 0.35),
        (0.62, 0.75, 0.08, 0.38, 0.30),
        (0.45, 0.52, 0.04, 0.22, 0.20),
        (0.22, 0.28, 0.02, 0.10, 0.08),
    ]
)
REBOUND = 1.3  # the first workday after a holiday catches up

# Relative volume per hour of day, per channel.
HOURS = np.array(
    [
        (5, 3, 2, 2, 2, 4, 10, 30, 60, 90, 100, 100, 80, 80, 90, 90, 80, 70, 60, 60, 70, 70, 50, 20),
        (8, 4, 2, 2, 2, 5, 15, 40, 60, 70, 80, 80, 90, 80, 70, 70, 70, 80, 90, 100, 100, 90, 60, 30),
        (0, 0, 0, 0, 0, 0, 0, 0, 50, 100, 100, 80, 20, 60, 100, 90, 60, 0, 0, 0, 0, 0, 0, 0),
        (0, 0, 0, 0, 0, 0, 0, 20, 60, 100, 100, 90, 70, 80, 90, 90, 80, 60, 40, 30, 20, 5, 0, 0),
        (0, 0, 0, 0, 0, 0, 0, 0, 60, 100, 100, 80, 40, 70, 90, 90, 70, 40, 10, 10, 0, 0, 0, 0),
    ],
    dtype=float,
)


@dataclass(frozen=True)
class Profile:
    """How the units of one balance group behave in the synthetic world."""

    demand: float  # requests per resident, relative
    channels: tuple[float, float, float, float, float]  # channel shares at the start, CHANNELS order
    online_growth: float  # log-growth of the online channels' weight over the three years
    speed: float  # processing-time multiplier
    rejected: float  # share of requests rejected
    stuck: float  # share of requests left open for good (the old backlog)
    reviewed: float  # share of completed requests rated
    bad: float  # probability of a 1-2 score before department, item and lateness effects
    fair: float  # probability of a 3
    top: float  # share of 5 among the 4-5 scores
    rectify_days: float  # median days to rectify a bad review
    unrectified: float  # share of bad reviews never rectified
    population_growth: float  # per year


PROFILES = {
    "core": Profile(1.12, (0.28, 0.34, 0.28, 0.06, 0.04), 0.20, 0.80, 0.020, 0.0015, 0.31, 0.020, 0.05, 0.72, 5.0,
                    0.015, 0.004),
    "outer": Profile(1.00, (0.22, 0.26, 0.40, 0.07, 0.05), 0.30, 1.00, 0.025, 0.0025, 0.29, 0.032, 0.08, 0.64, 6.5,
                     0.025, -0.002),
    "county": Profile(0.88, (0.15, 0.18, 0.55, 0.07, 0.05), 0.42, 1.35, 0.032, 0.0040, 0.27, 0.048, 0.11, 0.56, 8.0,
                      0.040, -0.012),
}

BASE_FRACTION = 0.30  # median processing time as a share of the promised time, before multipliers
PROCESSING_SIGMA = 0.8  # log-normal spread of processing times
IMPROVEMENT = 0.15  # processing times shrink this much over the three years
WITHDRAWN = 0.015
CHANNEL_SPEED = np.array((0.9, 0.9, 1.0, 0.95, 1.1))
CHANNEL_REVIEWED = np.array((1.0, 1.25, 0.95, 0.7, 0.8))
REVIEW_DELAY_MEAN = 8 * 3600  # seconds from completion to the rating, exponential
LATE_BAD = 2.5  # a late request is this much likelier to get a bad review
RECTIFY_SIGMA = 0.6
# Multipliers for the worse departments and the slow items, applied on top of the group profile.
WORSE = {"speed": 1.9, "rejected": 1.8, "stuck": 3.0, "bad": 2.5, "fair": 1.4, "rectify_days": 1.5, "unrectified": 2.0}
SLOW = {"speed": 1.7, "bad": 2.0}

# The optional review columns (DATA.md), drawn after every other draw of a review so that the other columns of a
# seed are the same as without them. Per-channel shares are in CHANNELS order (web, app, window, self_service,
# hotline).
VISIT_HOURS, VISIT_SIGMA = 5.0, 1.0  # return visit of a bad review: log-normal delay, median and spread
SLOW_VISIT_HOURS, SLOW_VISIT_SIGMA = 60.0, 0.8  # in the units slow to visit (SLOW_VISIT_RANK)
SLOW_VISIT_RANK = 1  # in each group, the unit with the second-largest population is slow to visit
NEVER_VISITED, SLOW_NEVER_VISITED = 0.03, 0.15  # bad reviews never visited
ANONYMOUS_NEVER_VISITED = 0.20  # more never visited when the reviewer is anonymous (harder to reach)
REAL_NAME = np.array((0.90, 0.95, 0.72, 0.62, 0.88))  # share of real-name reviews, per channel
DEFAULT_FIVE = np.array((0.0, 0.0, 0.30, 0.12, 0.0))  # share of the 5s recorded by default (no rating in 7 days)
APPEALED, UPHELD = 0.04, 0.40  # share of bad reviews appealed; share of decided appeals upheld
APPEAL_DAYS = (3, 20)  # an appeal is decided this many days after the review (uniform); pending until then
RATED = 0.80  # share of rectified bad reviews of real-name reviewers whose rectification is rated
RATING_SHARES = np.array((0.60, 0.30, 0.10))  # RECTIFICATION_RATINGS order: satisfied, basic, dissatisfied
NO_APPEAL, PENDING, UPHELD_APPEAL, REJECTED_APPEAL = (APPEAL_STATUSES.index(s) for s in APPEAL_STATUSES)


@dataclass(frozen=True)
class Department:
    """A handling department; `worse` ones are slower, reject more and get more bad reviews."""

    code: str
    name_zh: str
    name_en: str
    worse: bool = False


@dataclass(frozen=True)
class Item:
    """A service item: its department, promised days, relative volume, channel mode, and whether it is slow."""

    code: str
    name_zh: str
    name_en: str
    department_code: str
    promised_days: int
    weight: float
    mode: str  # online | mixed | counter
    slow: bool = False


DEPARTMENTS = (
    Department("GAJ", "公安局", "Public Security Bureau"),
    Department("SCJGJ", "市场监督管理局", "Market Regulation Administration"),
    Department("RSJ", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    Department("BDCDJ", "不动产登记中心", "Real Estate Registration Center", worse=True),
    Department("YBJ", "医疗保障局", "Healthcare Security Administration"),
    Department("SWJ", "税务局", "Taxation Bureau"),
    Department("GJJ", "住房公积金管理中心", "Housing Provident Fund Management Center"),
    Department("MZJ", "民政局", "Civil Affairs Bureau"),
    Department("JTYSJ", "交通运输局", "Transport Bureau"),
    Department("ZJJ", "住房和城乡建设局", "Housing and Urban-Rural Development Bureau", worse=True),
    Department("ZRZYJ", "自然资源和规划局", "Natural Resources and Planning Bureau"),
    Department("WJW", "卫生健康委员会", "Health Commission"),
)

_ITEMS = {  # department: (name_zh, name_en, promised days, weight, mode[, slow])
    "GAJ": (
        ("居民身份证换领", "Resident ID card renewal", 10, 8, "counter"),
        ("户口迁移登记", "Household registration transfer", 5, 4, "counter", True),
        ("普通护照签发", "Ordinary passport issuance", 7, 3, "mixed"),
        ("机动车驾驶证换证", "Driving licence renewal", 1, 5, "mixed"),
        ("无犯罪记录证明开具", "Certificate of no criminal record", 3, 3, "online"),
    ),
    "SCJGJ": (
        ("营业执照设立登记", "Business licence registration", 1, 5, "online"),
        ("营业执照变更登记", "Business licence change registration", 1, 4, "online"),
        ("个体工商户注册登记", "Individual business registration", 1, 4, "mixed"),
        ("食品经营许可", "Food business licence", 10, 2, "mixed"),
        ("企业注销登记", "Enterprise deregistration", 3, 2, "online"),
    ),
    "RSJ": (
        ("社会保障卡申领", "Social security card application", 10, 5, "mixed"),
        ("失业保险金申领", "Unemployment insurance benefit claim", 5, 3, "online"),
        ("职工退休审批", "Employee retirement approval", 15, 2, "counter"),
        ("就业登记", "Employment registration", 1, 3, "online"),
        ("养老保险关系转移接续", "Pension insurance transfer", 15, 2, "mixed", True),
        ("职业技能提升补贴申领", "Skills upgrading subsidy claim", 10, 2, "online"),
    ),
    "BDCDJ": (
        ("不动产首次登记", "First registration of real estate", 15, 2, "counter"),
        ("二手房转移登记", "Second-hand housing transfer registration", 5, 4, "counter", True),
        ("不动产抵押权登记", "Real estate mortgage registration", 5, 3, "mixed"),
        ("不动产登记资料查询", "Real estate record inquiry", 1, 3, "online"),
        ("不动产变更登记", "Real estate change registration", 5, 2, "mixed"),
    ),
    "YBJ": (
        ("异地就医备案", "Cross-region medical treatment filing", 1, 4, "online"),
        ("门诊慢特病待遇认定", "Chronic and special disease outpatient benefit", 10, 2, "counter"),
        ("医疗费用手工报销", "Manual medical expense reimbursement", 20, 3, "counter", True),
        ("生育津贴申领", "Maternity allowance claim", 10, 2, "mixed"),
        ("城乡居民医保参保登记", "Resident medical insurance enrolment", 1, 4, "online"),
    ),
    "SWJ": (
        ("个人所得税综合所得汇算", "Individual income tax annual reconciliation", 1, 6, "online"),
        ("增值税发票领用", "VAT invoice issuance", 1, 5, "online"),
        ("完税证明开具", "Tax payment certificate", 1, 3, "online"),
        ("新办纳税人套餐", "New taxpayer registration package", 1, 2, "mixed"),
        ("车辆购置税申报", "Vehicle purchase tax declaration", 1, 2, "mixed"),
        ("契税申报", "Deed tax declaration", 3, 2, "counter"),
    ),
    "GJJ": (
        ("住房公积金提取", "Housing provident fund withdrawal", 3, 6, "online"),
        ("住房公积金贷款申请", "Housing provident fund loan application", 15, 2, "counter"),
        ("住房公积金缴存登记", "Housing provident fund deposit registration", 1, 2, "online"),
        ("住房公积金异地转移接续", "Housing provident fund cross-region transfer", 10, 1, "mixed"),
    ),
    "MZJ": (
        ("结婚登记", "Marriage registration", 1, 2, "counter"),
        ("最低生活保障申请", "Minimum living allowance application", 20, 1, "counter", True),
        ("高龄津贴申领", "Old-age allowance claim", 10, 2, "mixed"),
        ("社会团体成立登记", "Social organisation registration", 20, 1, "counter"),
        ("惠民殡葬补贴申领", "Funeral subsidy claim", 10, 1, "counter"),
    ),
    "JTYSJ": (
        ("道路运输经营许可", "Road transport operating licence", 20, 1, "mixed"),
        ("网络预约出租汽车驾驶员证核发", "Ride-hailing driver permit", 10, 2, "online"),
        ("出租汽车驾驶员从业资格注册", "Taxi driver qualification registration", 5, 1, "mixed"),
        ("道路运输证年审", "Road transport certificate annual review", 3, 2, "online"),
        ("超限运输车辆行驶公路许可", "Over-limit vehicle road permit", 5, 1, "online"),
    ),
    "ZJJ": (
        ("建筑工程施工许可", "Construction permit", 15, 1, "mixed"),
        ("商品房预售许可", "Commercial housing pre-sale permit", 10, 1, "counter"),
        ("公共租赁住房申请", "Public rental housing application", 20, 2, "counter", True),
        ("建设工程竣工验收备案", "Construction completion acceptance filing", 5, 1, "mixed"),
        ("住宅专项维修资金使用", "Housing maintenance fund use", 10, 1, "counter"),
    ),
    "ZRZYJ": (
        ("建设用地规划许可", "Construction land planning permit", 20, 1, "counter"),
        ("建设工程规划许可", "Construction project planning permit", 20, 1, "mixed"),
        ("农村宅基地审批", "Rural homestead approval", 20, 1, "counter"),
        ("地名命名更名审批", "Place naming approval", 15, 1, "counter"),
    ),
    "WJW": (
        ("出生医学证明办理", "Birth medical certificate", 1, 2, "counter"),
        ("生育登记", "Birth registration", 1, 3, "online"),
        ("医师执业注册", "Physician practice registration", 15, 1, "online"),
        ("公共场所卫生许可", "Public place health licence", 10, 1, "mixed"),
        ("医疗机构执业登记", "Medical institution practice registration", 20, 1, "counter"),
    ),
}
ITEMS = tuple(
    Item(f"{dept}-{n:02d}", spec[0], spec[1], dept, *spec[2:])
    for dept, specs in _ITEMS.items()
    for n, spec in enumerate(specs, start=1)
)
# How much each mode of item prefers each channel (CHANNELS order).
MODE_AFFINITY = {
    "online": (1.7, 1.7, 0.5, 0.8, 0.6),
    "mixed": (1.0, 1.0, 1.0, 1.0, 1.0),
    "counter": (0.35, 0.35, 1.7, 1.1, 0.9),
}

# Codes that are not the city's or not in the catalogue, for bad rows: former Harbin units (动力区, 阿城市,
# 双城市), the city's own code, and nonsense.
UNKNOWN_UNITS = ("230107", "230181", "230182", "230100", "239999")
UNKNOWN_CHANNELS = ("fax", "wechat", "email")
UNKNOWN_STATUSES = ("pending", "cancelled", "archived")
UNKNOWN_INDICATORS = ("gdp_per_capita", "broadband_users", "5g_stations")
BAD_SCORES = (None, 0, 6, 10, -1)
CHANNEL_CODES = CHANNELS + UNKNOWN_CHANNELS
STATUS_CODES = STATUSES + UNKNOWN_STATUSES
INDICATOR_CODES = INDICATORS + UNKNOWN_INDICATORS
SUBMITTED, ACCEPTED, COMPLETED, REJECTED, WITHDRAWN_STATUS = (STATUSES.index(s) for s in STATUSES)
ONLINE = [CHANNELS.index(c) for c in ONLINE_CHANNELS]


@dataclass(frozen=True)
class IndicatorModel:
    """Level per 10,000 residents at the start and growth over the three years, per group (core, outer, county)."""

    per_10k: tuple[float, float, float]
    growth: tuple[float, float, float]
    stock: bool  # a stock only grows; a flow is counted per month and varies
    noise: float


INDICATOR_MODELS = {
    "open_datasets": IndicatorModel((1.6, 0.8, 0.35), (0.8, 1.0, 1.4), True, 0.02),
    "data_sharing_calls": IndicatorModel((900, 420, 160), (1.6, 1.2, 0.9), False, 0.12),  # diverging
    "g5_base_stations": IndicatorModel((28, 11, 5), (0.6, 1.0, 1.5), True, 0.02),
    "self_service_terminals": IndicatorModel((2.2, 1.3, 0.7), (0.3, 0.5, 0.8), True, 0.02),
    "digital_staff": IndicatorModel((1.4, 0.8, 0.45), (0.25, 0.35, 0.5), True, 0.03),
    "staff_trained": IndicatorModel((0.9, 0.55, 0.3), (0.5, 0.7, 1.0), False, 0.3),
    "security_incidents": IndicatorModel((0.035, 0.05, 0.07), (-0.35, -0.3, -0.25), False, 0.0),
}
GRADE_PROTECTION = {"core": (0.82, 0.94), "outer": (0.68, 0.85), "county": (0.52, 0.76)}  # start, end
FLOW_SEASON = np.array((0.9, 0.7, 1.0, 1.0, 1.0, 1.0, 0.85, 0.85, 1.0, 1.0, 1.05, 1.1))  # per calendar month

Columns = dict[str, np.ndarray]
Progress = Callable[[str, int, int], None]


class Batch(NamedTuple):
    """Rows for one table; `total` and `bad` (rows per reason) describe the whole table, not this batch."""

    table: str
    frame: pd.DataFrame
    total: int
    bad: Mapping[str, int]


@dataclass(frozen=True)
class DemoResult:
    """Rows written per table, and bad rows injected per (table, reason)."""

    rows: dict[str, int]
    bad: dict[tuple[str, str], int]


def rng_for(seed: int, purpose: str, index: int = 0) -> np.random.Generator:
    """A PCG64 generator for one purpose and chunk, independent of every other (seed, purpose, index)."""
    entropy = [seed % 2**64, zlib.crc32(purpose.encode()), index]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def window_start(end: date) -> date:
    """First day of the three years that end on `end` (inclusive)."""
    try:
        back = end.replace(year=end.year - YEARS)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - YEARS, day=28)
    return back + timedelta(days=1)


def holidays(years: range) -> np.ndarray:
    """Public-holiday dates (datetime64[D]) of some years, Spring Festival week excluded."""
    days = [
        np.datetime64(date(y, m, d)) + k for y in years for m, d, length in FIXED_HOLIDAYS for k in range(length)
    ]
    return np.array(days, dtype="datetime64[D]")


def festival_days(years: range) -> np.ndarray:
    """Spring Festival holiday dates: the eve and the seven days after it, where the year is in the table."""
    days = [np.datetime64(SPRING_FESTIVAL[y]) + k for y in years if y in SPRING_FESTIVAL for k in range(-1, 7)]
    return np.array(days, dtype="datetime64[D]")


def day_kinds(days: np.ndarray) -> np.ndarray:
    """Per day: WORKDAY, SATURDAY, SUNDAY, HOLIDAY or FESTIVAL."""
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    kinds = np.select([weekday == 5, weekday == 6], [SATURDAY, SUNDAY], WORKDAY)
    years = range(int(str(days.min())[:4]), int(str(days.max())[:4]) + 1)
    kinds[np.isin(days, holidays(years))] = HOLIDAY
    kinds[np.isin(days, festival_days(years))] = FESTIVAL
    return kinds


def daily_factors(days: np.ndarray) -> np.ndarray:
    """Relative volume per day and channel: day kind, rebound after holidays, season and a mild growth."""
    kinds = day_kinds(days)
    factors = DAY_FACTORS[kinds].copy()
    rebound = (kinds == WORKDAY) & (np.roll(kinds, 1) >= HOLIDAY)
    rebound[0] = False
    factors[rebound] *= REBOUND
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64)
    season = 1 + 0.06 * np.sin(2 * np.pi * (day_of_year - 80) / 365.25)
    growth = 1 + 0.12 * np.linspace(0, 1, len(days))
    return factors * (season * growth)[:, None]


@dataclass(frozen=True)
class UnitEffects:
    """Per-unit random effects that make units of one group differ a little."""

    volume: np.ndarray
    online: np.ndarray
    speed: np.ndarray
    mood: np.ndarray
    indicators: np.ndarray  # (units, indicators)


def unit_effects(units: int, seed: int) -> UnitEffects:
    """Small per-unit deviations from the group profile."""
    rng = rng_for(seed, "units")
    return UnitEffects(
        volume=np.exp(0.06 * rng.standard_normal(units)),
        online=0.12 * rng.standard_normal(units),
        speed=np.exp(0.08 * rng.standard_normal(units)),
        mood=np.exp(0.12 * rng.standard_normal(units)),
        indicators=np.exp(0.15 * rng.standard_normal((units, len(INDICATORS)))),
    )


def by_group(field: str, group_of_unit: np.ndarray) -> np.ndarray:
    """A profile field per unit."""
    return np.array([getattr(PROFILES[g], field) for g in GROUPS])[group_of_unit]


def channel_mix(group_of_unit: np.ndarray, effects: UnitEffects, t: np.ndarray) -> np.ndarray:
    """Channel shares per day and unit (days, units, channels): online grows over time, fastest in counties."""
    base = np.array([PROFILES[g].channels for g in GROUPS])[group_of_unit]
    online = np.exp(by_group("online_growth", group_of_unit)[None, :] * t[:, None] + effects.online[None, :])
    mix = np.repeat(base[None, :, :], len(t), axis=0)
    mix[:, :, ONLINE] *= online[:, :, None]
    return mix / mix.sum(axis=2, keepdims=True)


def plan_bad_rows(rows: int, bad_share: float, reasons: tuple[str, ...]) -> dict[str, int]:
    """Bad rows per reason: `bad_share` of the rows, spread evenly, at least one per reason if rows allow."""
    if bad_share <= 0 or rows <= 0:
        return dict.fromkeys(reasons, 0)
    total = round(rows * bad_share)
    if rows >= 20 * len(reasons):
        total = max(total, len(reasons))
    total = min(total, rows // 4)
    base, extra = divmod(total, len(reasons))
    return {reason: base + (i < extra) for i, reason in enumerate(reasons)}


def place_bad_rows(plan: Mapping[str, int], rows: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Distinct row positions for the planned bad rows, sorted, with the index of each one's reason."""
    counts = np.array(list(plan.values()), dtype=np.int64)
    positions = rng.choice(rows, size=int(counts.sum()), replace=False) if counts.sum() else np.zeros(0, np.int64)
    reasons = np.repeat(np.arange(len(counts)), counts)
    order = np.argsort(positions, kind="stable")
    return positions[order].astype(np.int64), reasons[order]


@dataclass(frozen=True, eq=False)
class World:
    """Everything fixed before rows are drawn: the calendar, requests per day, unit and channel, bad rows."""

    city: City
    seed: int
    bad_share: float
    start: date
    end: date
    days: np.ndarray  # datetime64[D], start..end
    counts: np.ndarray  # requests per (day, unit, channel), summing to scale
    effects: UnitEffects
    request_plan: dict[str, int]  # bad requests per reason
    bad_requests: tuple[np.ndarray, np.ndarray]  # their positions and reason indexes

    @property
    def group_of_unit(self) -> np.ndarray:
        """Group index (into regions.GROUPS) of each unit."""
        return np.array([GROUPS.index(u.group) for u in self.city.units])

    @property
    def district_codes(self) -> tuple[str, ...]:
        """The city's codes followed by codes that are not the city's (for bad rows)."""
        unknown = tuple(c for c in UNKNOWN_UNITS if c not in self.city.codes) or ("999999",)
        return self.city.codes + unknown

    @property
    def slow_visit(self) -> np.ndarray:
        """Whether each unit is slow to visit its bad reviews (slow_visit_units)."""
        slow = slow_visit_units(self.city)
        return np.array([u.code in slow for u in self.city.units], dtype=bool)

    @property
    def start_second(self) -> int:
        """The window's first second, as int64 seconds of naive local time."""
        return int(np.datetime64(self.start, "s").astype(np.int64))

    @property
    def end_second(self) -> int:
        """The window's last second (end 23:59:59)."""
        return int(np.datetime64(self.end, "s").astype(np.int64)) + DAY - 1

    def month_chunks(self) -> list[tuple[int, int]]:
        """(first day index, last day index + 1) of each calendar month of the window."""
        months = self.days.astype("datetime64[M]")
        edges = np.flatnonzero(np.diff(months.astype(np.int64))) + 1
        bounds = [0, *edges.tolist(), len(self.days)]
        return list(pairwise(bounds))


def slow_visit_units(city: City) -> tuple[str, ...]:
    """Codes of the units slow to return-visit bad reviews: in each group, the unit ranked SLOW_VISIT_RANK by
    population (largest first)."""
    slow = []
    for group in GROUPS:
        units = sorted((u for u in city.units if u.group == group), key=lambda u: (-u.population, u.code))
        if len(units) > SLOW_VISIT_RANK:
            slow.append(units[SLOW_VISIT_RANK].code)
    return tuple(slow)


def plan_world(city: City, *, scale: int, seed: int, end: date, bad_share: float) -> World:
    """Fix the calendar and draw how many requests fall on each day, unit and channel."""
    start = window_start(end)
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1)
    effects = unit_effects(len(city.units), seed)
    groups = np.array([GROUPS.index(u.group) for u in city.units])
    population = np.array([u.population for u in city.units], dtype=float)
    volume = population * by_group("demand", groups) * effects.volume
    t = np.linspace(0, 1, len(days))
    intensity = volume[None, :, None] * channel_mix(groups, effects, t) * daily_factors(days)[:, None, :]
    p = intensity.ravel() / intensity.sum()
    counts = rng_for(seed, "cells").multinomial(scale, p).reshape(intensity.shape)
    plan = plan_bad_rows(scale, bad_share, REASONS["service_request"])
    bad = place_bad_rows(plan, scale, rng_for(seed, "bad:service_request"))
    return World(city, seed, bad_share, start, end, days, counts, effects, plan, bad)


def sample_by(groups: np.ndarray, cdf: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row draw an index from the cumulative distribution of its group (row of `cdf`)."""
    out = np.zeros(len(groups), dtype=np.int64)
    for g in range(len(cdf)):
        rows = np.flatnonzero(groups == g)
        out[rows] = np.searchsorted(cdf[g], rng.random(len(rows)) * cdf[g, -1], side="right")
    return np.minimum(out, cdf.shape[1] - 1)


ITEM_DEPARTMENT = np.array([[d.code for d in DEPARTMENTS].index(i.department_code) for i in ITEMS])
ITEM_PROMISED = np.array([i.promised_days for i in ITEMS], dtype=np.int64)
ITEM_SLOW = np.array([i.slow for i in ITEMS])
DEPARTMENT_WORSE = np.array([d.worse for d in DEPARTMENTS])
ITEM_CDF = np.cumsum(np.array([[i.weight * MODE_AFFINITY[i.mode][c] for i in ITEMS] for c in range(len(CHANNELS))]),
                     axis=1)
HOUR_CDF = np.cumsum(HOURS, axis=1)


def draw_requests(world: World, chunk: int, days: tuple[int, int], offset: int) -> Columns:
    """The requests of some days, sorted by submission: unit, channel, item, times and status."""
    counts = world.counts[days[0] : days[1]]
    units, channels = counts.shape[1:]
    rng = rng_for(world.seed, "requests", chunk)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    n = len(cell)
    day, rest = np.divmod(cell, units * channels)
    unit, channel = np.divmod(rest, channels)
    day += days[0]
    day_seconds = world.days.astype("datetime64[s]").astype(np.int64)
    submitted = day_seconds[day] + 3600 * sample_by(channel, HOUR_CDF, rng) + rng.integers(0, 3600, n)
    order = np.argsort(submitted, kind="stable")
    day, unit, channel, submitted = day[order], unit[order], channel[order], submitted[order]
    item = sample_by(channel, ITEM_CDF, rng)
    department = ITEM_DEPARTMENT[item]
    group = world.group_of_unit[unit]
    worse, slow = DEPARTMENT_WORSE[department], ITEM_SLOW[item]
    t = day / max(len(world.days) - 1, 1)
    median = (
        ITEM_PROMISED[item] * DAY * BASE_FRACTION * by_group("speed", group) * world.effects.speed[unit]
        * np.where(worse, WORSE["speed"], 1.0) * np.where(slow, SLOW["speed"], 1.0) * CHANNEL_SPEED[channel]
        * (1 - IMPROVEMENT * t)
    )
    duration = np.maximum(600, median * np.exp(PROCESSING_SIGMA * rng.standard_normal(n))).astype(np.int64)
    rejected = by_group("rejected", group) * np.where(worse, WORSE["rejected"], 1.0)
    u = rng.random(n)
    outcome = np.where(u < rejected, REJECTED, np.where(u < rejected + WITHDRAWN, WITHDRAWN_STATUS, COMPLETED))
    duration = np.where(outcome == REJECTED, duration // 2, np.where(outcome == COMPLETED, duration, duration // 3))
    finished = submitted + duration
    stuck = rng.random(n) < by_group("stuck", group) * np.where(worse, WORSE["stuck"], 1.0)
    still_open = stuck | (finished > world.end_second)
    fresh = (world.end_second - submitted < 2 * DAY) & (rng.random(n) < 0.5)
    return {
        "position": offset + np.arange(n, dtype=np.int64),
        "unit": unit,
        "item": item,
        "channel": channel,
        "status": np.where(still_open, np.where(fresh, SUBMITTED, ACCEPTED), outcome),
        "submitted": submitted,
        "completed": np.where(still_open, NAT, finished),
        "deadline": submitted + ITEM_PROMISED[item] * DAY,
    }


def requests_chunk(world: World, chunk: int, days: tuple[int, int], offset: int) -> tuple[Columns, Columns]:
    """One month of requests with their bad rows, and the reviews of its good completed requests."""
    requests = draw_requests(world, chunk, days, offset)
    n = len(requests["position"])
    positions, reasons = world.bad_requests
    lo, hi = np.searchsorted(positions, [offset, offset + n])
    where, why = positions[lo:hi] - offset, reasons[lo:hi]
    bad = np.zeros(n, dtype=bool)
    bad[where] = True
    eligible = (requests["status"] == COMPLETED) & ~bad
    reviews = reviews_of(world, requests, eligible, rng_for(world.seed, "reviews", chunk))
    corrupt_requests(world, requests, where, why, bad, rng_for(world.seed, "bad-requests", chunk))
    return requests, reviews


def reviews_of(world: World, requests: Columns, eligible: np.ndarray, rng: np.random.Generator) -> Columns:
    """Ratings of a sample of completed requests: scores by group, department, item and lateness; rectification."""
    group = world.group_of_unit[requests["unit"]]
    chance = by_group("reviewed", group) * CHANNEL_REVIEWED[requests["channel"]]
    rows = np.flatnonzero(eligible & (rng.random(len(group)) < chance))
    completed = requests["completed"][rows]
    created = completed + 60 + rng.exponential(REVIEW_DELAY_MEAN, len(rows)).astype(np.int64)
    keep = created <= world.end_second
    rows, created, completed = rows[keep], created[keep], completed[keep]
    unit, item = requests["unit"][rows], requests["item"][rows]
    group, worse, m = world.group_of_unit[unit], DEPARTMENT_WORSE[ITEM_DEPARTMENT[item]], len(rows)
    late = completed > requests["deadline"][rows]
    p_bad = np.minimum(
        0.6,
        by_group("bad", group) * world.effects.mood[unit] * np.where(worse, WORSE["bad"], 1.0)
        * np.where(ITEM_SLOW[item], SLOW["bad"], 1.0) * np.where(late, LATE_BAD, 1.0),
    )
    p_fair = by_group("fair", group) * np.where(worse, WORSE["fair"], 1.0)
    u, v = rng.random(m), rng.random(m)
    top = np.where(v < by_group("top", group), 5, 4)
    score = np.where(u < p_bad, np.where(v < 0.4, 1, 2), np.where(u < p_bad + p_fair, 3, top))
    delay = by_group("rectify_days", group) * np.where(worse, WORSE["rectify_days"], 1.0) * DAY
    rectified = created + (delay * np.exp(RECTIFY_SIGMA * rng.standard_normal(m))).astype(np.int64)
    never = rng.random(m) < by_group("unrectified", group) * np.where(worse, WORSE["unrectified"], 1.0)
    rectified = np.where((score <= 2) & ~never & (rectified <= world.end_second), rectified, NAT)
    channel = requests["channel"][rows]
    return {
        "request": requests["position"][rows],
        "unit": unit,
        "item": item,
        "channel": channel,
        "score": score.astype(np.int64),
        "created": created,
        "rectified": rectified,
        **review_extras(world, unit, channel, score, created, rectified, rng),
    }


def review_extras(world: World, unit: np.ndarray, channel: np.ndarray, score: np.ndarray, created: np.ndarray,
                  rectified: np.ndarray, rng: np.random.Generator) -> Columns:
    """The optional review columns: default ratings, real names, return visits, appeals, rectification ratings.

    Called after every other draw of `rng` for the reviews, so the other columns do not depend on these."""
    m = len(score)
    bad = score <= 2
    default = (score == 5) & (rng.random(m) < DEFAULT_FIVE[channel])
    real = (rng.random(m) < REAL_NAME[channel]) & ~default
    slow = world.slow_visit[unit]
    hours = np.where(slow, SLOW_VISIT_HOURS, VISIT_HOURS) * np.exp(
        np.where(slow, SLOW_VISIT_SIGMA, VISIT_SIGMA) * rng.standard_normal(m))
    visited = created + np.maximum(600, hours * 3600).astype(np.int64)
    never = rng.random(m) < np.where(slow, SLOW_NEVER_VISITED, NEVER_VISITED) + np.where(
        real, 0.0, ANONYMOUS_NEVER_VISITED)
    visited = np.where(bad & ~never & (visited <= world.end_second), visited, NAT)  # later: not visited yet
    appealed = bad & (rng.random(m) < APPEALED)
    decided = created + rng.integers(APPEAL_DAYS[0] * DAY, APPEAL_DAYS[1] * DAY, m) <= world.end_second
    upheld = rng.random(m) < UPHELD
    appeal = np.select([~appealed, ~decided, upheld], [NO_APPEAL, PENDING, UPHELD_APPEAL], REJECTED_APPEAL)
    rated = (rectified != NAT) & real & (rng.random(m) < RATED)
    level = np.minimum(np.searchsorted(np.cumsum(RATING_SHARES), rng.random(m), side="right"), len(RATING_SHARES) - 1)
    return {
        "visited": visited,
        "real_name": real,
        "appeal": appeal.astype(np.int64),
        "default": default,
        "rating": np.where(rated, level, -1).astype(np.int64),
    }


def copy_rows(columns: Columns, targets: np.ndarray, good: np.ndarray, rng: np.random.Generator) -> None:
    """Overwrite the target rows with exact copies of randomly chosen good rows (duplicate ids)."""
    if len(targets) and len(good):
        sources = good[rng.integers(0, len(good), len(targets))]
        for values in columns.values():
            values[targets] = values[sources]


def future_shift(times: np.ndarray, world: World, rng: np.random.Generator) -> np.ndarray:
    """Seconds to add to each time so that it lands 30 to 400 days after the window's end."""
    days = rng.integers(30, 401, len(times))
    return world.end_second - times + days * DAY + rng.integers(0, DAY, len(times))


def earlier(times: np.ndarray, world: World, rng: np.random.Generator) -> np.ndarray:
    """A time 1 second to 3 days before each time, never before the window's start (times are after it)."""
    room = np.maximum(times - world.start_second, 1)
    return times - np.minimum(rng.integers(3600, 3 * DAY, len(times)), room)


def corrupt_requests(world: World, rows: Columns, where: np.ndarray, why: np.ndarray, bad: np.ndarray, rng) -> None:
    """Make the planned rows bad, each breaking exactly one rule, the one named by its reason."""
    units = len(world.city.units)
    for reason_index, reason in enumerate(REASONS["service_request"]):
        idx = where[why == reason_index]
        half = rng.random(len(idx)) < 0.5
        if reason == "unknown_unit":
            rows["unit"][idx] = rng.integers(units, len(world.district_codes), len(idx))
        elif reason == "unknown_code":
            rows["channel"][idx[half]] = rng.integers(len(CHANNELS), len(CHANNEL_CODES), half.sum())
            rows["status"][idx[~half]] = rng.integers(len(STATUSES), len(STATUS_CODES), (~half).sum())
        elif reason == "null_time":
            rows["submitted"][idx[half]] = NAT
            rows["status"][idx[~half]] = COMPLETED
            rows["completed"][idx[~half]] = NAT
        elif reason == "future_time":
            shift = future_shift(rows["submitted"][idx], world, rng)
            rows["submitted"][idx] += shift
            rows["deadline"][idx] += shift
            rows["completed"][idx] = np.where(rows["completed"][idx] == NAT, NAT, rows["completed"][idx] + shift)
        elif reason == "completed_before_submitted":
            submitted = rows["submitted"][idx]
            at_start = submitted <= world.start_second  # nothing earlier in the window: move the submission instead
            rows["completed"][idx] = np.where(at_start, submitted, earlier(submitted, world, rng))
            rows["submitted"][idx] = np.where(at_start, submitted + 3600, submitted)
            rows["status"][idx] = COMPLETED
        elif reason == "duplicate_id":
            copy_rows(rows, idx, np.flatnonzero(~bad), rng)


def corrupt_reviews(world: World, rows: Columns, where: np.ndarray, why: np.ndarray, rng) -> None:
    """Make the planned review rows bad, each breaking exactly one rule, the one named by its reason."""
    units = len(world.city.units)
    for reason_index, reason in enumerate(REASONS["review"]):
        idx = where[why == reason_index]
        if reason == "unknown_unit":
            rows["unit"][idx] = rng.integers(units, len(world.district_codes), len(idx))
        elif reason == "unknown_code":
            rows["channel"][idx] = rng.integers(len(CHANNELS), len(CHANNEL_CODES), len(idx))
        elif reason == "bad_score":
            rows["score"][idx] = rng.choice(np.array([NAT if s is None else s for s in BAD_SCORES]), len(idx))
        elif reason == "null_time":
            rows["created"][idx] = NAT
        elif reason == "future_time":
            shift = future_shift(rows["created"][idx], world, rng)
            rows["created"][idx] += shift
            rows["rectified"][idx] = np.where(rows["rectified"][idx] == NAT, NAT, rows["rectified"][idx] + shift)
            rows["visited"][idx] = np.where(rows["visited"][idx] == NAT, NAT, rows["visited"][idx] + shift)
        elif reason == "rectified_before_created":
            rows["score"][idx] = rng.integers(1, 3, len(idx))
            rows["default"][idx] = False  # a default rating is a 5; this row is now a bad review
            rows["rectified"][idx] = earlier(rows["created"][idx], world, rng)
        elif reason == "duplicate_id":
            good = np.ones(len(rows["created"]), dtype=bool)
            good[where] = False
            copy_rows(rows, idx, np.flatnonzero(good), rng)


def text_column(vocabulary: tuple[str, ...], index: np.ndarray, nullable: bool = False) -> pd.Series:
    """Strings picked from a small vocabulary by index, as an Arrow-backed column (if nullable, -1 is NULL)."""
    indices = pa.array(index, mask=index < 0) if nullable else pa.array(index)
    return pa.array(vocabulary, pa.string()).take(indices).to_pandas()


def id_column(prefix: str, numbers: np.ndarray) -> pd.Series:
    """Ids like SR0000000042: a prefix and a ten-digit zero-padded number."""
    digits = pc.utf8_lpad(pa.array(numbers, pa.int64()).cast(pa.string()), 10, "0")
    return pc.binary_join_element_wise(prefix, digits, "").to_pandas()


def time_column(seconds: np.ndarray) -> pd.Series:
    """int64 seconds (NAT for NULL) as a datetime64[s] column."""
    return pd.Series(seconds.view("datetime64[s]"))


def requests_frame(world: World, rows: Columns) -> pd.DataFrame:
    """Request columns as the canonical service_request table."""
    return pd.DataFrame(
        {
            "request_id": id_column("SR", rows["position"] + 1),
            "district_code": text_column(world.district_codes, rows["unit"]),
            "department_code": text_column(tuple(d.code for d in DEPARTMENTS), ITEM_DEPARTMENT[rows["item"]]),
            "item_code": text_column(tuple(i.code for i in ITEMS), rows["item"]),
            "channel": text_column(CHANNEL_CODES, rows["channel"]),
            "submitted_at": time_column(rows["submitted"]),
            "completed_at": time_column(rows["completed"]),
            "status": text_column(STATUS_CODES, rows["status"]),
            "deadline_at": time_column(rows["deadline"]),
        }
    )


def reviews_frame(world: World, rows: Columns) -> pd.DataFrame:
    """Review columns as the canonical review table."""
    score = rows["score"]
    return pd.DataFrame(
        {
            "review_id": id_column("RV", rows["id"] + 1),
            "request_id": id_column("SR", rows["request"] + 1),
            "district_code": text_column(world.district_codes, rows["unit"]),
            "department_code": text_column(tuple(d.code for d in DEPARTMENTS), ITEM_DEPARTMENT[rows["item"]]),
            "item_code": text_column(tuple(i.code for i in ITEMS), rows["item"]),
            "channel": text_column(CHANNEL_CODES, rows["channel"]),
            "score": pd.arrays.IntegerArray(np.where(score == NAT, 0, score), score == NAT),
            "created_at": time_column(rows["created"]),
            "rectified_at": time_column(rows["rectified"]),
            "visited_at": time_column(rows["visited"]),
            "real_name": rows["real_name"],
            "appeal_status": text_column(APPEAL_STATUSES, rows["appeal"]),
            "is_default": rows["default"],
            "rectification_rating": text_column(RECTIFICATION_RATINGS, rows["rating"], nullable=True),
        }
    )


def months_of(end: date) -> np.ndarray:
    """The 36 months (datetime64[M]) that end with end's month."""
    last = np.datetime64(end, "M")
    return np.arange(last - (MONTHS - 1), last + 1)


def indicator_values(world: World) -> np.ndarray:
    """Indicator values per (unit, month, indicator): gaps between groups, trends, noise; counts are integers."""
    rng = rng_for(world.seed, "indicators")
    months = months_of(world.end)
    groups = world.group_of_unit
    units = len(groups)
    t = np.linspace(0, 1, MONTHS)[None, :]
    years = months.astype("datetime64[Y]").astype(np.int64)
    population = np.array([u.population for u in world.city.units], dtype=float)[:, None] * (
        1 + by_group("population_growth", groups)[:, None]
    ) ** (years - years[0])[None, :]
    season = FLOW_SEASON[months.astype(np.int64) % 12][None, :]
    values = np.zeros((units, MONTHS, len(INDICATORS)))
    for k, code in enumerate(INDICATORS):
        factor = world.effects.indicators[:, k][:, None]
        if code == "population":
            values[:, :, k] = np.round(population)
        elif code == "grade_protection_rate":
            first, last = (np.array([GRADE_PROTECTION[g][i] for g in GROUPS])[groups][:, None] for i in (0, 1))
            level = first + (last - first) * t + 0.04 * np.log(factor)
            values[:, :, k] = np.round(np.clip(level + 0.01 * rng.standard_normal((units, MONTHS)), 0, 0.995), 4)
        else:
            model = INDICATOR_MODELS[code]
            per_10k, growth = (np.array(v)[groups][:, None] for v in (model.per_10k, model.growth))
            expected = per_10k * population / 1e4 * factor * np.maximum(1 + growth * t, 0.05)
            if model.stock:
                noisy = expected * np.exp(model.noise * rng.standard_normal((units, MONTHS)))
                values[:, :, k] = np.maximum.accumulate(np.round(noisy), axis=1)
            elif code == "security_incidents":
                values[:, :, k] = rng.poisson(expected)
            else:
                noise = np.exp(model.noise * rng.standard_normal((units, MONTHS)))
                values[:, :, k] = np.round(expected * season * noise)
    return values


def indicator_rows(world: World) -> tuple[Columns, dict[str, int]]:
    """The long indicator table with its bad rows: bad values replace a row, the other kinds are extra rows."""
    values = indicator_values(world)
    units, _, kinds = values.shape
    unit, month, kind = (a.ravel() for a in np.meshgrid(*map(np.arange, values.shape), indexing="ij"))
    period = months_of(world.end).astype("datetime64[s]").astype(np.int64)
    rows = {"unit": unit, "period": period[month], "indicator": kind, "value": values.ravel().copy()}
    plan = plan_bad_rows(len(unit), world.bad_share, REASONS["district_indicator"])
    where, why = place_bad_rows(plan, len(unit), rng_for(world.seed, "bad:district_indicator"))
    rng = rng_for(world.seed, "bad-indicators")
    extra = {name: [] for name in rows}
    for reason_index, reason in enumerate(REASONS["district_indicator"]):
        idx = where[why == reason_index]
        if reason == "bad_value":
            grade = rows["indicator"][idx] == INDICATORS.index("grade_protection_rate")
            null = rng.random(len(idx)) < 0.5
            value = rows["value"][idx]
            wrong = np.where(null, np.nan, -np.maximum(value, 1))
            rows["value"][idx] = np.where(grade, np.maximum(value * 100, 2.0), wrong)  # a percentage, not a share
            continue
        copy = {name: column[idx].copy() for name, column in rows.items()}
        if reason == "unknown_unit":
            copy["unit"] = rng.integers(units, len(world.district_codes), len(idx))
        elif reason == "unknown_code":
            copy["indicator"] = rng.integers(kinds, len(INDICATOR_CODES), len(idx))
        elif reason == "null_time":
            copy["period"][:] = NAT
        elif reason == "future_time":
            ahead = np.datetime64(world.end, "M") + rng.integers(3, 13, len(idx))
            copy["period"] = ahead.astype("datetime64[s]").astype(np.int64)
        for name in rows:
            extra[name].append(copy[name])
    rows = {name: np.concatenate([rows[name], *extra[name]]) for name in rows}
    return rows, plan


def indicators_frame(world: World, rows: Columns) -> pd.DataFrame:
    """Indicator columns as the canonical district_indicator table."""
    return pd.DataFrame(
        {
            "district_code": text_column(world.district_codes, rows["unit"]),
            "period": time_column(rows["period"]),
            "indicator_code": text_column(INDICATOR_CODES, rows["indicator"]),
            "value": rows["value"],
        }
    )


def reference_batches(city: City) -> Iterator[Batch]:
    """The units, departments and service items."""
    departments = pd.DataFrame([(d.code, d.name_zh, d.name_en) for d in DEPARTMENTS], columns=["code", "name_zh",
                                                                                                "name_en"])
    items = pd.DataFrame(
        [(i.code, i.name_zh, i.name_en, i.department_code, i.promised_days) for i in ITEMS],
        columns=["code", "name_zh", "name_en", "department_code", "promised_days"],
    )
    for name, frame in (("district", city.units_frame()), ("department", departments), ("service_item", items)):
        yield Batch(name, frame, len(frame), {})


def review_batches(world: World, chunks: list[Columns]) -> Iterator[Batch]:
    """All reviews, numbered in request order, with their bad rows, in frames of FRAME_ROWS."""
    rows = {name: np.concatenate([c[name] for c in chunks]) for name in chunks[0]}
    total = len(rows["created"])
    rows["id"] = np.arange(total, dtype=np.int64)
    plan = plan_bad_rows(total, world.bad_share, REASONS["review"])
    where, why = place_bad_rows(plan, total, rng_for(world.seed, "bad:review"))
    corrupt_reviews(world, rows, where, why, rng_for(world.seed, "bad-reviews"))
    for first in range(0, max(total, 1), FRAME_ROWS):  # an empty frame when there are no reviews
        part = {name: column[first : first + FRAME_ROWS] for name, column in rows.items()}
        yield Batch("review", reviews_frame(world, part), total, plan)


def demo_batches(city: City, *, scale: int, seed: int, end: date, bad_share: float) -> Iterator[Batch]:
    """Every table's rows in load order: reference tables, requests by month, reviews, indicators."""
    world = plan_world(city, scale=scale, seed=seed, end=end, bad_share=bad_share)
    yield from reference_batches(city)
    reviews: list[Columns] = []
    offset = 0
    for chunk, days in enumerate(world.month_chunks()):
        requests, chunk_reviews = requests_chunk(world, chunk, days, offset)
        offset += len(requests["position"])
        reviews.append(chunk_reviews)
        yield Batch("service_request", requests_frame(world, requests), scale, world.request_plan)
    yield from review_batches(world, reviews)
    rows, plan = indicator_rows(world)
    yield Batch("district_indicator", indicators_frame(world, rows), len(rows["unit"]), plan)


def run_demo(
    sources: SqlSources,
    city: City,
    *,
    scale: int,
    seed: int,
    end: date,
    bad_share: float,
    progress: Progress | None = None,
) -> DemoResult:
    """Replace the sources' canonical tables with demo data, loading each in bulk; return what was written."""
    sources.create_schema()
    for name in ("district", "department", "service_item", "service_request", "review", "district_indicator"):
        source = sources.source_of(name)
        clear_table(sources.engine(source), sources.table(source, name))
    rows: dict[str, int] = {}
    bad: dict[tuple[str, str], int] = {}
    batches = demo_batches(city, scale=scale, seed=seed, end=end, bad_share=bad_share)
    for name, group in groupby(batches, key=lambda b: b.table):
        first = next(group)
        source = sources.source_of(name)
        frames = chain([first.frame], (b.frame for b in group))  # noqa: B031 - consumed once, before the next group
        rows[name] = load_frames(sources.engine(source), sources.table(source, name), frames, progress, first.total)
        bad.update({(name, reason): count for reason, count in first.bad.items()})
    from data_sources.feed import mark_demo  # the marker the live feed asks for before it writes anything

    mark_demo(sources, datetime.combine(end + timedelta(days=1), datetime.min.time()))
    return DemoResult(rows, bad)
