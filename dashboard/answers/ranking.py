"""Answer of the quarterly ranking (季度综合排名): each unit's composite index for a quarter, its rank among every unit
of the city and the change since the previous quarter (docs/metrics.md, "Quarterly ranking").

The index is the overview's composite (dashboard.overview.unit_composite) over the metric table of quarters, whose
components are summed over the quarter's months exactly as a year's are over its months.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd

from dashboard.answers import Answer, provenance
from dashboard.answers.overview import query_values
from dashboard.composite import ranking
from dashboard.errors import BadInput
from dashboard.metrics import CATALOGUE, periods, quarter_of
from dashboard.overview import unit_composite
from dashboard.view import View

QUARTER = re.compile(r"\d{4}-Q[1-4]")
COLUMNS = ("code", "name_zh", "name_en", "group", "quarter", "composite", "rank", "previous_quarter",
           "previous_composite", "previous_rank", "rank_change", "composite_change")
NUMBER_COLUMNS = ("composite", "rank", "previous_composite", "previous_rank", "rank_change", "composite_change")
RANK_NOTE = ("city-wide: 1 is the best index among every unit of the city, whatever units the viewer sees; equal "
             "indices share the lowest rank; units without an index are not ranked and come last")


@dataclass(frozen=True)
class RankingParams:
    """A validated ranking request: a quarter the snapshot has (None: it has no complete quarter yet)."""

    quarter: str | None


def previous_quarter(quarter: str) -> str:
    """The calendar quarter before 'YYYY-Qn'."""
    year, n = int(quarter[:4]), int(quarter[-1])
    return f"{year - 1}-Q4" if n == 1 else f"{year}-Q{n - 1}"


def offered_quarters(view: View) -> tuple[str, ...]:
    """Quarters the snapshot has data for, oldest first (once per version)."""
    return view.memo(("offered_quarters",), lambda v: tuple(periods(v.metric_table("quarter"))))


def default_quarter(view: View) -> str | None:
    """The latest quarter that ended before the as-of date (the quarter still running is not complete, nor is any
    later one); None when the snapshot has none."""

    def build(v: View) -> str | None:
        running = quarter_of(v.as_of.date())
        done = [q for q in offered_quarters(v) if q < running]  # 'YYYY-Qn' keys sort in time order
        return done[-1] if done else None

    return view.memo(("default_quarter",), build)


def parse(view: View, quarter=None) -> RankingParams:
    """Validate the ranking's quarter once: absent or empty is the default; anything but an offered 'YYYY-Qn' is a
    BadInput naming the parameter."""
    if quarter is None or quarter == "":
        return RankingParams(default_quarter(view))
    if not isinstance(quarter, str) or not QUARTER.fullmatch(quarter):
        raise BadInput(f"quarter: {str(quarter)[:12]!r} is not a quarter (YYYY-Qn, for example 2026-Q1)")
    if quarter not in offered_quarters(view):
        raise BadInput(f"quarter: no data for {quarter}")
    return RankingParams(quarter)


def state_from_query(view: View, search: str) -> tuple[str | None, bool]:
    """The quarter a URL query names when the snapshot offers it (else the default), and whether the query named
    one that was ignored."""
    given = query_values(search).get("quarter")
    if given is not None and given in offered_quarters(view):
        return given, False
    return default_quarter(view), given is not None


def query_with(search: str, quarter: str | None) -> str:
    """A URL query with its `quarter` set (None: removed), the other parameters kept."""
    values = {k: v for k, v in query_values(search).items() if k != "quarter"}
    if quarter is not None:
        values["quarter"] = quarter
    return "?" + urlencode(values) if values else ""


def city_standing(view: View, quarter: str) -> pd.DataFrame:
    """Every unit of the city (scope aside: a rank is a city-wide figure) with its index, rank and previous
    quarter's; once per version and quarter."""

    def build(v: View) -> pd.DataFrame:
        table = v.metric_table("quarter")
        offered = set(periods(table))
        codes = list(v.city.codes)
        composites = v.composite_table("quarter")
        now = unit_composite(composites, quarter)["composite"].reindex(codes)
        before = previous_quarter(quarter)
        if before in offered:
            previous = unit_composite(composites, before)["composite"].reindex(codes)
            previous_rank = ranking(previous)["rank"].reindex(codes)
        else:
            previous = previous_rank = pd.Series(float("nan"), index=codes, dtype="float64")
        ranks = ranking(now, previous).reindex(codes)
        return pd.DataFrame(
            {
                "composite": now,
                "rank": ranks["rank"],
                "previous_composite": previous,
                "previous_rank": previous_rank,
                "rank_change": ranks["change"],  # positive: moved up
                "composite_change": now - previous,
            },
            index=pd.Index(codes, name="code"),
        ).astype("float64")

    return view.memo(("city_standing", quarter), build)


def quarterly_ranking(view: View, p: RankingParams) -> Answer:
    """Units in scope by their city-wide rank of the composite index in the quarter (unranked last): index, rank,
    the previous quarter's index and rank, and the changes since (NaN where the previous quarter has no index)."""
    units = view.units
    metrics = tuple(k for k, s in CATALOGUE.items() if s.composite)
    if p.quarter is None:
        rows = pd.DataFrame({c: pd.Series(dtype="float64" if c in NUMBER_COLUMNS else "str") for c in COLUMNS})
        notes = {"rank": RANK_NOTE, "quarter": "none: the data has no complete quarter before its as-of time"}
        return Answer(rows, provenance(view, "quarterly_ranking", period=None, filters={"quarter": None},
                                       metrics=metrics, notes=notes))
    standing = city_standing(view, p.quarter)
    before = previous_quarter(p.quarter)
    rows = pd.DataFrame(
        {
            "code": units["code"].to_numpy(),
            "name_zh": units["name_zh"].to_numpy(),
            "name_en": units["name_en"].to_numpy(),
            "group": units["group"].to_numpy(),
            "quarter": p.quarter,
            "previous_quarter": before,
        }
    ).join(standing, on="code")
    rows = rows.sort_values(["rank", "code"], na_position="last", kind="stable").reset_index(drop=True)
    notes = {
        "rank": RANK_NOTE,
        "ranked_units": int(standing["rank"].notna().sum()),
        "city_units": len(standing),
        "previous_quarter": before,
        "complete": p.quarter < quarter_of(view.as_of.date()),
        "weights": dict(view.weights or {}) or "equal",
    }
    return Answer(rows[list(COLUMNS)], provenance(view, "quarterly_ranking", period=p.quarter,
                                                  filters={"quarter": p.quarter}, metrics=metrics, notes=notes))
