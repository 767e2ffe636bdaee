"""Answers of the wall screen: KPI tiles, this month's metric per unit and for the city, the balance trend and
the units over an alert threshold (rules in dashboard/wall.py and docs/wall.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date

import pandas as pd

from dashboard import wall as model
from dashboard.answers import Answer, provenance, unit_rows
from dashboard.answers.overview import trend_rows
from dashboard.view import View

STOCKS = ("open_bad", "overdue")


@dataclass(frozen=True)
class Thresholds:
    """The alert thresholds of the settings."""

    bad_rate_alert: float
    min_reviews: int
    overdue_alert: int


def _tiles_model(view: View) -> model.Tiles:
    return view.memo(("wall_tiles",), lambda v: model.tiles(v.frames, v.as_of, v.rectify))


def tiles(view: View) -> Answer:
    """Every KPI tile: each flow metric today and this month against its previous window, and the open and
    overdue bad reviews with how many arrived today and this month. One row per tile figure."""
    kpis = _tiles_model(view)
    rows = []
    for window, changes in (("today", kpis.today), ("month", kpis.month)):
        w, before = kpis.windows[window], kpis.windows["last_week" if window == "today" else "last_month"]
        for c in changes.values():
            rows.append({"tile": c.metric, "window": window, "start": w.start, "end": w.end,
                         "previous_start": before.start, "previous_end": before.end, "current": c.current,
                         "previous": c.previous, "delta": c.delta, "change_kind": c.kind, "better": c.better})
    for name in STOCKS:
        stock = getattr(kpis, name)
        rows += [{"tile": name, "window": w, "current": float(getattr(stock, w))} for w in ("now", "today", "month")]
    frame = pd.DataFrame(rows)
    notes = {"day": kpis.day.isoformat(), "provisional_overdue": provisional_overdue(view)}
    return Answer(frame, provenance(view, "tiles", period=kpis.day.isoformat(), metrics=model.TILE_METRICS,
                                    notes=notes))


def provisional_overdue(view: View) -> int:
    """How many of the overdue bad reviews have a provisional deadline (it reaches a year the working-day
    calendar does not know: dashboard.workdays)."""
    return view.memo(("wall_provisional_overdue",),
                     lambda v: model.provisional_overdue(v.frames["open_bad"], v.as_of, v.rectify))


def tiles_model(answer: Answer) -> model.Tiles:
    """The tiles' model read back from the answer's rows (what the tile renderer draws)."""
    rows = answer.rows
    flows = rows[~rows["tile"].isin(STOCKS)]
    changes, windows = {}, {}
    for window, before in (("today", "last_week"), ("month", "last_month")):
        part = flows[flows["window"] == window]
        changes[window] = {
            r.tile: model.Change(r.tile, r.current, r.previous, None if pd.isna(r.delta) else r.delta,
                                 r.change_kind, None if pd.isna(r.better) else bool(r.better))
            for r in part.itertuples()
        }
        first = part.iloc[0]
        windows[window] = model.Window(first["start"], first["end"])
        windows[before] = model.Window(first["previous_start"], first["previous_end"])
    stocks = {
        name: model.Stock(**{w: int(v) for w, v in rows[rows["tile"] == name].set_index("window")["current"].items()})
        for name in STOCKS
    }
    day = date.fromisoformat(answer.provenance.notes["day"])
    return model.Tiles(day, changes["today"], changes["month"], stocks["open_bad"], stocks["overdue"], windows)


def month_values(view: View, metric: str) -> Answer:
    """The metric per unit for this month to date (the wall's map and ranking)."""
    window = _tiles_model(view).windows["month"]
    per_unit = model.metric_values(model.window_counts(view.frames, window, by_unit=True))[metric]
    return Answer(unit_rows(view, per_unit), provenance(
        view, "month_values", period=f"{window.start}..{window.end}", metrics=(metric,), filters={"metric": metric}))


def month_city_value(view: View, metric: str) -> Answer:
    """The city's value of the metric for this month to date."""
    window = _tiles_model(view).windows["month"]
    value = model.metric_values(model.window_counts(view.frames, window))[metric]
    rows = pd.DataFrame({"code": ["city"], "value": [float(value)], "units": [len(view.frames["units"])]})
    return Answer(rows, provenance(view, "month_city_value", period=f"{window.start}..{window.end}",
                                   metrics=(metric,), filters={"metric": metric}))


def trend(view: View, metric: str) -> Answer:
    """Monthly balance indices of the metric over the last TREND_MONTHS months (the overview's trend rows; the
    verdict is the overview's too)."""
    rows, weighted, verdict = trend_rows(view, metric, "month")
    prov = provenance(view, "balance_trend", metrics=(metric,), filters={"metric": metric, "granularity": "month"},
                      notes={"weighted": weighted, "verdict": verdict})
    return Answer(rows.tail(model.TREND_MONTHS).reset_index(drop=True), prov)


def alerts(view: View, thresholds: Thresholds) -> Answer:
    """Units at or over an alert threshold, worst first: unit, kind, value, threshold, reviews, since (when the
    breach began: the refresher's alert state in the snapshot; a breach it has not seen reads as of the data)."""
    def build(v: View) -> list[model.Alert]:
        began = {(a["unit"], a["kind"]): a.get("since") for a in v.snapshot.meta.get("alerts", [])}
        found = model.alerts(model.unit_status(v.frames, v.as_of, v.rectify), **asdict(thresholds))
        stamp = v.as_of.isoformat(sep=" ", timespec="seconds")
        return [replace(a, since=began.get((a.unit, a.kind)) or stamp) for a in found]

    found = [a for a in view.memo(("wall_alerts", thresholds), build) if a.unit in view.scope.units]
    columns = ["unit", "kind", "value", "threshold", "reviews", "since"]
    rows = pd.DataFrame([asdict(a) for a in found], columns=columns)
    return Answer(rows, provenance(view, "alerts", filters=asdict(thresholds)))


def alert_list(answer: Answer) -> list[model.Alert]:
    """The alerts read back from the answer's rows (what the alert renderers draw)."""
    return [model.Alert(r.unit, r.kind, float(r.value), float(r.threshold), int(r.reviews), r.since)
            for r in answer.rows.itertuples()]
