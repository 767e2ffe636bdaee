"""The wall screen: its numbers against a small snapshot worked out by hand, reconciled with the metric table,
and its callbacks called directly, bad URL values included."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from app import create_app
from callbacks.router import render_page
from callbacks.wall import draw_wall, poll_wall, screen_of, wall_page
from dashboard import wall
from dashboard.answers import overview as overview_answers
from dashboard.answers import wall as wall_answers
from dashboard.errors import BadInput
from dashboard.metrics import CITY, metric_table, periods
from dashboard.refresh import refresh
from dashboard.workdays import Rule, WorkCalendar, calendar_for
from layouts.wall import tiles_view
from tests.conftest import as_leader, fixed_settings, leader_view, sign_in
from tests.frames import with_overdue

AS_OF = datetime(2026, 3, 10, 14, 0)  # a Tuesday, 14:00
DAYS = 15  # rectification days
DEFAULTS = wall.WallOptions(("map", "ranking", "trend"), 20, 15.0, "online_share")


def frames() -> dict[str, pd.DataFrame]:
    """Two units around 10 March 2026; the expected figures are worked out beside each test."""
    req_day = pd.DataFrame(
        [  # unit, day, channel, submitted, finished, completed, on_time
            ("a", "2026-03-10", "web", 4, 2, 2, 2),
            ("a", "2026-03-10", "window", 6, 3, 3, 1),
            ("b", "2026-03-10", "app", 2, 0, 0, 0),
            ("a", "2026-03-03", "window", 5, 4, 4, 4),
            ("b", "2026-03-03", "web", 3, 1, 1, 0),
            ("a", "2026-03-05", "window", 10, 5, 5, 5),
            ("a", "2026-02-05", "web", 8, 4, 4, 3),
            ("b", "2026-02-10", "window", 12, 6, 6, 6),
            ("a", "2026-02-11", "window", 100, 50, 50, 50),  # after the 10th: not in February's first ten days
            ("b", "2026-01-20", "web", 7, 7, 7, 7),
        ],
        columns=["unit", "day", "channel", "submitted", "finished", "completed", "on_time"],
    )
    rev_day = pd.DataFrame(
        [  # unit, day, channel, reviews, score_sum, good, bad, rect_on_time, s1..s5
            ("a", "2026-03-10", "web", 2, 9, 2, 0, 0, 0, 0, 0, 1, 1),
            ("b", "2026-03-10", "window", 1, 1, 0, 1, 0, 1, 0, 0, 0, 0),
            ("a", "2026-03-03", "web", 4, 16, 4, 0, 0, 0, 0, 0, 4, 0),
            ("a", "2026-03-04", "window", 3, 6, 1, 2, 1, 2, 0, 0, 1, 0),
            ("b", "2026-02-03", "web", 5, 20, 5, 0, 0, 0, 0, 0, 5, 0),
            ("b", "2026-02-20", "window", 10, 10, 0, 10, 0, 10, 0, 0, 0, 0),
        ],
        columns=["unit", "day", "channel", "reviews", "score_sum", "good", "bad", "rect_on_time"]
        + [f"s{i}" for i in range(1, 6)],
    )
    created = {  # review id: (unit, created_at); due by the end of the 15th calendar day after the day given
        "r1": ("a", "2026-03-10 09:00:00"),  # new today
        "r2": ("a", "2026-03-02 12:00:00"),  # new this month, due 17 March
        "r3": ("b", "2026-02-20 10:00:00"),  # due 7 March: overdue since this month
        "r4": ("b", "2026-02-23 16:00:00"),  # due by the end of 10 March: not yet
        "r5": ("b", "2026-02-22 13:00:00"),  # due by the end of 9 March: overdue since today
        "r6": ("a", "2026-01-05 08:00:00"),  # due 20 January: overdue since before this month
    }
    open_bad = pd.DataFrame(
        {
            "review_id": list(created),
            "unit": [u for u, _ in created.values()],
            "department_code": "D",
            "item_code": "I",
            "channel": "window",
            "score": 1,
            "created_at": [c for _, c in created.values()],
        }
    )
    proc_hist = pd.DataFrame(
        [("a", "2026-03", 3, 5), ("b", "2026-03", 4, 1), ("a", "2026-02", 3, 4), ("b", "2026-02", 3, 6)],
        columns=["unit", "month", "bucket", "completed"],
    )
    indicators = pd.DataFrame(columns=["unit", "month", "indicator_code", "value"])
    units = pd.DataFrame(
        {"code": ["a", "b"], "name_zh": ["甲", "乙"], "name_en": ["A", "B"], "population": [20_000, 10_000],
         "group": ["core", "county"]}
    )
    return {
        "req_day": req_day,
        "rev_day": rev_day,
        "open_bad": open_bad,
        "proc_hist": proc_hist,
        "indicators": indicators,
        "units": units,
    }


# --- periods ----------------------------------------------------------------------------------------------------


def test_today_is_compared_with_the_same_weekday_a_week_earlier():
    today, before = wall.today_windows(date(2026, 3, 10))
    assert (today.start, today.end) == (date(2026, 3, 10), date(2026, 3, 10))
    assert (before.start, before.end) == (date(2026, 3, 3), date(2026, 3, 3))
    assert before.start.weekday() == today.start.weekday()


@pytest.mark.parametrize(
    ("day", "current", "previous"),
    [
        (date(2026, 3, 10), ("2026-03-01", "2026-03-10"), ("2026-02-01", "2026-02-10")),
        (date(2026, 3, 31), ("2026-03-01", "2026-03-31"), ("2026-02-01", "2026-02-28")),  # clamped to February
        (date(2024, 3, 30), ("2024-03-01", "2024-03-30"), ("2024-02-01", "2024-02-29")),  # a leap year
        (date(2026, 1, 15), ("2026-01-01", "2026-01-15"), ("2025-12-01", "2025-12-15")),  # across the year
        (date(2026, 5, 1), ("2026-05-01", "2026-05-01"), ("2026-04-01", "2026-04-01")),
    ],
)
def test_month_to_date_is_compared_with_as_many_first_days_of_the_previous_month(day, current, previous):
    now, before = wall.month_windows(day)
    assert now.days() == current and before.days() == previous


# --- tiles -----------------------------------------------------------------------------------------------------


def test_today_tiles_worked_by_hand():
    tiles = wall.tiles(frames(), AS_OF, DAYS)
    today = tiles.today
    # 10 March: submitted 4 + 6 + 2 = 12, online (web, app) 4 + 2 = 6, completed 2 + 3 = 5 of which on time 2 + 1.
    # 3 March: submitted 5 + 3 = 8, online 3, completed 4 + 1 = 5 of which on time 4.
    assert (today["requests"].current, today["requests"].previous) == (12, 8)
    assert today["requests"].delta == pytest.approx(0.5) and today["requests"].kind == "relative"
    assert today["requests"].better is None  # more requests is neither good nor bad
    assert today["online_share"].current == pytest.approx(0.5) and today["online_share"].previous == 0.375
    assert today["online_share"].delta == pytest.approx(0.125) and today["online_share"].better is True
    assert today["on_time_rate"].current == pytest.approx(0.6) and today["on_time_rate"].previous == 0.8
    assert today["on_time_rate"].delta == pytest.approx(-0.2) and today["on_time_rate"].better is False
    # Scores: today (9 + 1) / 3 reviews; 3 March 16 / 4.
    assert today["mean_score"].current == pytest.approx(10 / 3) and today["mean_score"].previous == 4.0
    assert today["mean_score"].kind == "points" and today["mean_score"].delta == pytest.approx(10 / 3 - 4)


def test_month_tiles_worked_by_hand():
    month = wall.tiles(frames(), AS_OF, DAYS).month
    # 1–10 March: submitted 4+6+2+5+3+10 = 30, online 4+2+3 = 9, completed 15, on time 2+1+4+5 = 12.
    # 1–10 February: submitted 8 + 12 = 20, online 8, completed 10, on time 9 (11 February is not counted).
    assert (month["requests"].current, month["requests"].previous) == (30, 20)
    assert month["online_share"].current == pytest.approx(0.3) and month["online_share"].previous == 0.4
    assert month["online_share"].delta == pytest.approx(-0.1) and month["online_share"].kind == "pp"
    assert month["on_time_rate"].current == pytest.approx(0.8) and month["on_time_rate"].previous == 0.9
    # Scores: March 9 + 1 + 16 + 6 = 32 over 10 reviews; February 20 over 5 (20 February is not counted).
    assert month["mean_score"].current == pytest.approx(3.2) and month["mean_score"].previous == 4.0
    assert month["mean_score"].better is False


def test_open_and_overdue_bad_reviews_with_their_arrivals():
    tiles = wall.tiles(frames(), AS_OF, DAYS)
    assert tiles.open_bad == wall.Stock(now=6, today=1, month=2)  # r1 today; r1, r2 this month
    # Overdue: given before 23 February -> r3, r5, r6; r5's deadline passed today, r3's this month.
    assert tiles.overdue == wall.Stock(now=3, today=1, month=2)


def test_the_overdue_tile_counts_working_days_around_the_spring_festival():
    """On 15 working days, the 2026 Spring Festival (15-23 February off, Saturday 28 February worked) keeps r3, r5
    and r4 in time on 10 March: r3 (Friday 20 February) is due 13 March. Only r6 (January) is overdue."""
    rule = Rule(15, "working", calendar_for(None))
    tiles = wall.tiles(frames(), AS_OF, rule)
    assert tiles.overdue == wall.Stock(now=1, today=0, month=0)
    assert rule.due(date(2026, 2, 20)) == date(2026, 3, 13)
    status = wall.unit_status(frames(), AS_OF, rule)
    assert status["overdue"].to_dict() == {"a": 1, "b": 0}


def test_overdue_reviews_with_a_deadline_in_an_unknown_year_are_counted_and_flagged():
    """A calendar that knows 2025 only: 2026's deadlines count Monday to Friday and are provisional. r6 (5
    January) is overdue either way, and flagged on the tile; r3 and r5 are due 13 March, festival or not."""
    official = calendar_for(None)
    known_2025 = WorkCalendar(official.holidays, official.workdays, frozenset({2025}))
    rule = Rule(15, "working", known_2025)
    assert rule.provisional_from() <= date(2025, 12, 31)
    assert wall.provisional_overdue(frames()["open_bad"], AS_OF, rule) == 1
    assert wall.tiles(frames(), AS_OF, rule).overdue.now == 1
    assert wall.provisional_overdue(frames()["open_bad"], AS_OF, Rule(15, "working", official)) == 0
    tile = tiles_view(wall.tiles(frames(), AS_OF, rule), "Today", "en", provisional_overdue=1)[-1]
    assert "※1" in str(tile) and "not loaded" in str(tile)


def test_no_data_in_a_window_gives_no_rate_and_no_comparison():
    f = frames()
    f["req_day"] = f["req_day"][f["req_day"]["day"] != "2026-03-03"]
    tiles = wall.tiles(f, AS_OF, DAYS)
    assert tiles.today["requests"].previous == 0 and tiles.today["requests"].delta is None
    assert math.isnan(tiles.today["online_share"].previous) and tiles.today["online_share"].better is None


@pytest.mark.parametrize(
    ("metric", "current", "previous", "delta", "better"),
    [
        ("requests", 10.0, 0.0, None, None),
        ("bad_rate", 0.05, 0.10, -0.05, True),  # fewer bad reviews is better
        ("on_time_rate", 0.9, 0.9, 0.0, None),
        ("mean_score", float("nan"), 4.0, None, None),
    ],
)
def test_change(metric, current, previous, delta, better):
    result = wall.change(metric, current, previous)
    assert (result.delta if delta is None else pytest.approx(delta)) == result.delta
    assert result.better is better


# --- reconciliation with the metric table ----------------------------------------------------------------------


def test_this_month_reconciles_with_the_metric_table():
    f = frames()
    table = metric_table(f, "month", AS_OF, DAYS)
    city = table.loc[(CITY, "2026-03")]
    month = wall.metric_values(wall.window_counts(f, wall.month_windows(AS_OF.date())[0]))
    for metric in wall.WALL_METRICS:
        assert month[metric] == pytest.approx(city[metric]), metric
    per_unit = wall.metric_values(wall.window_counts(f, wall.month_windows(AS_OF.date())[0], by_unit=True))
    for unit in ("a", "b"):
        for metric in wall.WALL_METRICS:
            assert per_unit.loc[unit, metric] == pytest.approx(table.loc[(unit, "2026-03"), metric]), (unit, metric)
    stocks = wall.tiles(f, AS_OF, DAYS)
    city_rows = table.xs(CITY, level="unit")
    assert stocks.overdue.now == city_rows["overdue_bad_reviews"].sum()


def test_the_walls_trend_answer_is_the_overviews(app):
    rt = app.server.extensions["onescreen"]
    view = leader_view(rt)
    month = periods(view.metric_table("month"))[-2]
    for metric in ("online_share", "requests"):
        on_wall = wall_answers.trend(view, metric)
        on_overview = overview_answers.balance_trend(view, overview_answers.parse(view, metric, month, "230102"))
        expected = on_overview.rows.tail(wall.TREND_MONTHS).reset_index(drop=True)  # the last two years
        pd.testing.assert_frame_equal(on_wall.rows, expected)
        assert on_wall.provenance.notes == on_overview.provenance.notes


# --- takeover alerts --------------------------------------------------------------------------------------------


def test_unit_status_worked_by_hand():
    status = wall.unit_status(frames(), AS_OF, DAYS)
    # March so far: a 2 + 4 + 3 = 9 reviews, 2 bad; b 1 review, 1 bad. Overdue: a r6; b r3, r5.
    assert status.loc["a", ["reviews", "bad", "open_bad", "overdue"]].tolist() == [9, 2, 3, 1]
    assert status.loc["b", ["reviews", "bad", "open_bad", "overdue"]].tolist() == [1, 1, 3, 2]
    assert status.loc["a", "bad_rate"] == pytest.approx(2 / 9)


def test_alerts_name_units_at_or_above_a_threshold_worst_first():
    status = wall.unit_status(frames(), AS_OF, DAYS)
    found = wall.alerts(status, bad_rate_alert=0.08, min_reviews=5, overdue_alert=2)
    assert [(a.unit, a.kind) for a in found] == [("a", "bad_rate"), ("b", "overdue")]  # 2.8× vs 1×
    assert found[0].value == pytest.approx(2 / 9) and found[0].reviews == 9 and found[1].value == 2
    # b's one bad review in one is no alarm below the minimum; with a minimum of 1 it is the worst (12.5×).
    assert wall.alerts(status, bad_rate_alert=0.08, min_reviews=1, overdue_alert=0)[0].unit == "b"


def test_a_threshold_of_zero_is_off_and_clear_conditions_give_no_alert():
    status = wall.unit_status(frames(), AS_OF, DAYS)
    assert wall.alerts(status, bad_rate_alert=0, min_reviews=1, overdue_alert=0) == []
    assert wall.alerts(status, bad_rate_alert=0.5, min_reviews=5, overdue_alert=5) == []


# --- freshness --------------------------------------------------------------------------------------------------


def test_freshness():
    now = datetime(2026, 3, 10, 14, 0)
    assert not wall.freshness(datetime(2026, 3, 10, 13, 40), now, None, 30).stale
    old = wall.freshness(datetime(2026, 3, 10, 13, 0), now, None, 30)
    assert (old.kind, old.since) == ("old", "2026-03-10 13:00")
    failure = {"reason": "services source: " + "x" * 300, "at": "2026-03-10 13:55:00", "since": "2026-03-10 13:05:00"}
    failed = wall.freshness(datetime(2026, 3, 10, 13, 59), now, failure, 30)
    assert (failed.kind, failed.since) == ("failure", "2026-03-10 13:05")
    assert len(failed.reason) == wall.REASON_CHARS and failed.reason.endswith("…")


def test_epoch_of_a_local_time():
    assert wall.epoch_ms(datetime(2026, 1, 1, 8, 0), "Asia/Shanghai") == 1767225600000  # 00:00 UTC


# --- URL options ------------------------------------------------------------------------------------------------


def test_url_options_override_the_settings():
    options, notes = wall.parse_options("?panels=trend, map&dwell=5&poll=0.5&metric=bad_rate&lang=en", DEFAULTS, "en")
    assert options == wall.WallOptions(("trend", "map"), 5, 0.5, "bad_rate") and notes == []
    assert wall.parse_options(None, DEFAULTS, "zh") == (DEFAULTS, [])


@pytest.mark.parametrize(
    ("query", "panels", "note"),
    [
        ("?panels=foo", DEFAULTS.panels, "Ignored panels=foo: choose from map, ranking, trend"),
        ("?panels=", DEFAULTS.panels, "Ignored panels="),
        ("?panels=map,<script>", ("map",), "Ignored panels=map,<script>"),  # the known ones are kept
        ("?dwell=abc", DEFAULTS.panels, "Ignored dwell=abc: whole seconds from 2 to 3600; using 20"),
        ("?dwell=1", DEFAULTS.panels, "Ignored dwell=1"),
        ("?dwell=2.5", DEFAULTS.panels, "Ignored dwell=2.5"),
        ("?poll=0", DEFAULTS.panels, "Ignored poll=0: seconds from 0.1 to 3600; using 15"),
        ("?poll=nan", DEFAULTS.panels, "Ignored poll=nan"),
        ("?poll=inf", DEFAULTS.panels, "Ignored poll=inf"),
        ("?metric=median_hours", DEFAULTS.panels, "Ignored metric=median_hours"),
        ("?lang=fr", DEFAULTS.panels, "Ignored lang=fr: use zh or en"),
    ],
)
def test_bad_url_options_fall_back_with_a_note(query, panels, note):
    options, notes = wall.parse_options(query, DEFAULTS, "en")
    assert options == wall.WallOptions(panels, DEFAULTS.dwell, DEFAULTS.poll, DEFAULTS.metric)
    assert len(notes) == 1 and notes[0].startswith(note)


def test_playlist_setting():
    assert wall.playlist_defaults(" trend , map ") == ("trend", "map")
    assert wall.playlist_defaults("") == wall.PANELS


# --- callbacks, called directly ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    settings = fixed_settings(
        data_dir=tmp_path_factory.mktemp("data"), demo_scale=2_000, refresh_seconds=0
    )
    return create_app(settings)


def text_of(value) -> str:
    """A component tree, or the plain JSON a callback returns, as one string."""
    return json.dumps(value, default=lambda c: c.to_plotly_json(), ensure_ascii=False)


def test_wall_page_has_no_light_header_and_notes_bad_options(app):
    with as_leader(app):
        page = render_page("/wall", "?lang=en&panels=map,nope&dwell=x")
    assert page.id == "wall" and "wall" in page.className
    text = text_of(page)
    assert "app-header" not in text and "Harbin · One Screen" in text
    assert "Ignored panels=map,nope" in text and "Ignored dwell=x" in text
    assert page.to_plotly_json()["props"]["data-panels"] == "map"


def test_wall_page_in_chinese_by_default(app):
    with as_leader(app):
        page = wall_page("")
    assert "哈尔滨市 · 一屏观城" in text_of(page) and page.lang == "zh-CN"


def test_the_wall_is_served_over_http(app):
    client = app.server.test_client()
    assert client.get("/wall").status_code == 303  # no session: to the login page
    sign_in(client, app, "leader")
    assert client.get("/wall").status_code == 200 and client.get("/wall/x").status_code == 404
    outputs = " ".join(d["output"] for d in client.get("/_dash-dependencies").get_json())
    assert "wall-map.figure" in outputs and "wall-version.data" in outputs and "wall-badge.children" in outputs


def test_draw_builds_every_part_from_the_snapshot(app):
    rt = app.server.extensions["onescreen"]
    with as_leader(app):
        out = draw_wall(1, {"w": 1920, "h": 1080}, "?lang=en")
    tiles, fig_map, fig_rank, fig_trend, verdict, alert, rail, rail_class, as_of, drawn, fresh = out
    snap = rt.reader.get()
    assert drawn == str(snap.version) and as_of.startswith("Data as of ")
    assert len(tiles) == 6 and [t["props"]["data-metric"] for t in tiles] == [
        "requests", "online_share", "on_time_rate", "mean_score", "open_bad", "overdue"
    ]
    expected = wall.tiles(snap.frames, leader_view(rt).as_of, rt.deadlines.rectify)
    month_requests = f"{expected.month['requests'].current:,.0f}"
    assert month_requests in text_of(tiles[0])
    assert f"{expected.open_bad.now:,}" in text_of(tiles[4])
    missing, known = fig_map["data"]
    assert len(missing["locations"]) + len(known["locations"]) == 18
    assert fig_map["layout"]["map"]["style"]["layers"][0]["type"] == "background"  # no tiles: nothing fetched
    assert {n for trace in fig_rank["data"] for n in trace["y"]} <= {u.name("en") for u in rt.city.units}
    assert [tr["name"] for tr in fig_trend["data"]] == ["Gini", "Theil T"] and verdict
    assert json.loads(fresh)["old"].startswith("No new data for over 30 min")
    assert alert == [] and rail_class == "wall-rail calm"  # the small demo breaches nothing by default
    assert text_of(rail) == '"No alerts"' or "No alerts" in text_of(rail)


def test_draw_waits_for_the_screen_size_and_refuses_a_bad_one(app):
    with as_leader(app):
        with pytest.raises(PreventUpdate):
            draw_wall(1, None, "")
        with pytest.raises(BadInput, match="bad screen size"):
            draw_wall(1, {"w": "wide"}, "")
        out = draw_wall(1, {"w": 1920, "h": 1080}, "?lang=xx&panels=zzz&dwell=-1&metric=nope")
    assert out[1]["layout"]["map"]["style"]  # bad options fall back to the defaults, never a traceback
    assert screen_of({"w": 10**9, "h": 0}) == {"w": 15360, "h": 240}


def test_the_rail_and_the_takeover_name_the_unit_since_when_and_clear(app):
    rt = app.server.extensions["onescreen"]
    snap = rt.reader.get()
    breached = with_overdue(snap.frames, "230104", 20, rt.clock.now())
    began = {"unit": "230104", "kind": "overdue", "value": 20.0, "threshold": 20.0, "reviews": 0,
             "since": "2026-11-21 09:30:00"}  # the refresher saw it begin yesterday
    rt.store.publish(breached, snap.as_of, {**snap.meta, "alerts": [began]})  # 20 more overdue in Daowai
    try:
        with as_leader(app):
            out = draw_wall(1, {"w": 1920, "h": 1080}, "?lang=en")
        takeover, rail, rail_class = out[5:8]
        assert rail_class == "wall-rail active"
        assert "Alerts 1" in text_of(rail) and "Daowai 20 overdue (threshold 20)" in text_of(rail)
        assert "since 11-21 09:30" in text_of(rail) and '"data-unit": "230104"' in text_of(rail)
        item = text_of(takeover)
        assert "Daowai: " in item and "overdue bad reviews (threshold 20)" in item and '"data-unit": "230104"' in item
        rt.store.publish(breached, snap.as_of, snap.meta)  # a breach the refresher has not recorded: as of the data
        with as_leader(app):
            assert "since 12:00" in text_of(draw_wall(1, {"w": 1920, "h": 1080}, "?lang=en")[6])
    finally:
        rt.store.publish(snap.frames, snap.as_of, snap.meta)
    with as_leader(app):
        out = draw_wall(1, {"w": 1920, "h": 1080}, "?lang=en")
    assert out[5] == [] and out[7] == "wall-rail calm"


def test_track_keeps_since_for_a_breach_still_on_and_says_which_started_and_ended():
    now = datetime(2026, 11, 22, 12, 0)
    a = wall.Alert("230104", "overdue", 25, 20, 0)
    b = wall.Alert("230102", "bad_rate", 0.12, 0.08, 40)
    state, events = wall.track([], [a], now)
    assert state[0]["since"] == "2026-11-22 12:00:00"
    assert [(e["event"], e["unit"]) for e in events] == [("breach_started", "230104")]
    later = now + timedelta(minutes=5)
    state, events = wall.track(state, [b, replace(a, value=30)], later)
    assert [(s["unit"], s["since"], s["value"]) for s in state] == [
        ("230102", "2026-11-22 12:05:00", 0.12), ("230104", "2026-11-22 12:00:00", 30)]
    assert [(e["event"], e["unit"]) for e in events] == [("breach_started", "230102")]
    state, events = wall.track(state, [b], later + timedelta(minutes=5))
    assert [(e["event"], e["unit"], e["since"], e["value"]) for e in events] == [
        ("breach_ended", "230104", "2026-11-22 12:00:00", 30)]


def test_a_refresh_records_alert_state_and_hands_over_started_and_ended_breaches(app):
    rt = app.server.extensions["onescreen"]
    received = []
    rt.alert_sink = lambda events, version: received.append((version, [(e["event"], e["unit"]) for e in events]))
    lowest = {"bad_rate_alert": 0.0001, "min_reviews": 1, "overdue_alert": 0}  # any bad review this month
    status = wall.unit_status(rt.reader.get().frames, rt.clock.now(), rt.deadlines.rectify)
    breaching = sorted(status.index[status["bad"] >= 1])
    assert breaching  # the demo has bad reviews this month somewhere
    try:
        v1 = refresh(rt.sources, rt.store, rt.city, rt.clock.now(), alert_rules=lowest, on_alert_events=rt.alert_sink)
        assert {u for _, pairs in received for _, u in pairs} == set(breaching)
        assert sorted(a["unit"] for a in rt.store.current().meta["alerts"]) == breaching
        received.clear()
        refresh(rt.sources, rt.store, rt.city, rt.clock.now(), alert_rules=lowest, on_alert_events=rt.alert_sink)
        assert received == []  # still on: nothing new to say
        refresh(rt.sources, rt.store, rt.city, rt.clock.now(), alert_rules=rt.settings.alert_rules(),
                on_alert_events=rt.alert_sink)
        assert received[0][0] > v1 and {e for e, _ in received[0][1]} == {"breach_ended"}
    finally:
        rt.alert_sink = None


def test_poll_sends_nothing_while_nothing_changed(app):
    rt = app.server.extensions["onescreen"]
    version = rt.reader.get().version
    with as_leader(app), pytest.raises(PreventUpdate):
        poll_wall(3, version, "", "")
    with as_leader(app):
        new_version, badge, cls = poll_wall(4, version - 1, "", "")
    assert (new_version, badge, cls) == (version, "", "wall-badge")


def test_poll_shows_a_failed_refresh_and_old_data_and_clears(app):
    rt = app.server.extensions["onescreen"]
    snap = rt.reader.get()
    rt.store.record_failure("services source: unable to open database file", "2026-11-23 00:20:00")
    with as_leader(app):
        version, badge, cls = poll_wall(1, snap.version, "", "?lang=en")
    assert cls == "wall-badge stale" and "refresh failing since 2026-11-23 00:20" in badge
    assert "unable to open database file" in badge
    old_meta = {**snap.meta, "watermark": "2020-01-01T08:00:00"}
    fresh_version = rt.store.publish(snap.frames, "2020-01-01 08:00:00", old_meta)  # clears the failure
    with as_leader(app):
        version, badge, _ = poll_wall(2, snap.version, badge, "?lang=en")
        assert version == fresh_version and badge == "No new data for over 30 min (as of 2020-01-01 08:00)"
        tiles = draw_wall(1, {"w": 1920, "h": 1080}, "?lang=en")[0]
    assert "On 2020-01-01" in text_of(tiles[0])  # an old screen never says "today"
    rt.store.publish(snap.frames, snap.as_of, snap.meta)
    with as_leader(app):
        _, badge, cls = poll_wall(3, fresh_version, badge, "?lang=en")
    assert (badge, cls) == ("", "wall-badge")
