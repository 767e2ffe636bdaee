"""Each page's panels and how a request names them: the registry exports (and the API) render from.

`PAGES[name].params(view, query, code, settings)` turns a request's query (a dict of strings) into the page's
validated parameters, refusing any parameter the page does not take; `.panels` maps a panel's export name to its
answer function. A page's whole export is every panel, in this order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.answers import Answer
from dashboard.answers import district as district_answers
from dashboard.answers import overview as overview_answers
from dashboard.answers import quality as quality_answers
from dashboard.answers import ranking as ranking_answers
from dashboard.answers import wall as wall_answers
from dashboard.errors import BadInput
from dashboard.view import View
from dashboard.wall import WALL_METRICS

COMMON = {"lang"}  # accepted everywhere, changes no number


class UnknownParameter(BadInput):
    """A query parameter the route does not take."""

    def __init__(self, name: str):
        super().__init__(f"unknown parameter {name[:40]!r}")
        self.parameter = name[:40]


def check_names(query: dict[str, str], allowed: set[str]) -> None:
    """Refuse the first parameter that is not allowed."""
    for name in query:
        if name not in allowed | COMMON:
            raise UnknownParameter(name)


@dataclass(frozen=True)
class Page:
    """A page's export registry entry."""

    name: str
    params: Callable[[View, dict, str | None, object], object]
    panels: dict[str, Callable[[View, object], Answer]]
    needs_code: bool = False


@dataclass(frozen=True)
class OverviewPage:
    """The overview's parameters: the charts' metric, period and unit, and the quarterly ranking's quarter."""

    charts: overview_answers.OverviewParams
    ranking: ranking_answers.RankingParams


def _overview(view: View, query: dict, code, settings) -> OverviewPage:
    check_names(query, {"metric", "period", "unit", "quarter"})
    period = query.get("period") or overview_answers.default_period(view)
    defaults = overview_answers.overview_defaults(view, period or "")
    charts = overview_answers.parse(view, query.get("metric", defaults.metric), period,
                                    query.get("unit", defaults.unit))
    return OverviewPage(charts, ranking_answers.parse(view, query.get("quarter")))


def _district(view: View, query: dict, code, settings) -> district_answers.DistrictParams:
    check_names(query, {"from", "to", "by", "department", "channel"})
    return district_answers.parse(view, code, start=query.get("from"), end=query.get("to"),
                                  granularity=query.get("by"), department=query.get("department"),
                                  channel=query.get("channel"))


@dataclass(frozen=True)
class WallParams:
    """The wall's metric and its alert thresholds."""

    metric: str
    thresholds: wall_answers.Thresholds


def _wall(view: View, query: dict, code, settings) -> WallParams:
    check_names(query, {"metric"})
    metric = query.get("metric", settings.wall_metric)
    if metric not in WALL_METRICS:
        raise BadInput(f"metric: one of {', '.join(WALL_METRICS)}")
    thresholds = wall_answers.Thresholds(settings.wall_bad_rate_alert, settings.wall_min_reviews,
                                         settings.wall_overdue_alert)
    return WallParams(metric, thresholds)


def _quality(view: View, query: dict, code, settings) -> quality_answers.QualityParams:
    check_names(query, {"table", "reason"})
    return quality_answers.parse(query.get("table", "all"), query.get("reason", "all"))


PAGES: dict[str, Page] = {
    "overview": Page("overview", _overview, {
        "unit_values": lambda view, p: overview_answers.unit_values(view, p.charts),
        "city_value": lambda view, p: overview_answers.city_value(view, p.charts),
        "lorenz": lambda view, p: overview_answers.lorenz(view, p.charts),
        "balance_trend": lambda view, p: overview_answers.balance_trend(view, p.charts),
        "composite": lambda view, p: overview_answers.composite(view, p.charts),
        "profile": lambda view, p: overview_answers.profile(view, p.charts),
        "quarterly_ranking": lambda view, p: ranking_answers.quarterly_ranking(view, p.ranking),
    }),
    "district": Page("district", _district, {
        name: answer for name, answer in district_answers.PANELS.items()
    }, needs_code=True),
    "wall": Page("wall", _wall, {
        "tiles": lambda view, p: wall_answers.tiles(view),
        "month_values": lambda view, p: wall_answers.month_values(view, p.metric),
        "month_city_value": lambda view, p: wall_answers.month_city_value(view, p.metric),
        "trend": lambda view, p: wall_answers.trend(view, p.metric),
        "alerts": lambda view, p: wall_answers.alerts(view, p.thresholds),
    }),
    "quality": Page("quality", _quality, {
        "counts": quality_answers.counts,
        "listing": quality_answers.listing,
        "summary": lambda view, p: quality_answers.summary(view),
    }),
}
