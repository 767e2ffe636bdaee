"""The quarterly ranking (季度综合排名) against a small hand-made snapshot: quarters cut from months, the composite
index and its city-wide ranks worked out by hand, the default quarter on any as-of date, the previous quarter's
change, refusals of bad quarters, and the same rows from the page, the export and the API, scoped."""

from __future__ import annotations

import contextvars
import io
import json
import math
from datetime import date, datetime

import pandas as pd
import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate
from openpyxl import load_workbook

from app import create_app
from callbacks.overview import sync_overview_url, update_quarterly_ranking
from callbacks.router import render_page
from dashboard import overview
from dashboard.answers import ranking
from dashboard.composite import composite_by_period
from dashboard.errors import BadInput
from dashboard.metrics import latest_complete_period, period_of, periods, quarter_of
from layouts import ids
from tests.conftest import as_leader, as_viewer, fixed_settings, leader_view, sign_in
from tests.frames import hand_made

A, B, C, D, E = "230102", "230103", "230104", "230108", "230109"  # Daoli, Nangang, Daowai, Pingfang, Songbei
NOT_B = ("230103", "Nangang", "南岗区")


def requests(unit: str, day: str, channel: str, n: int, on_time: int) -> dict:
    """A req_day row: n requests submitted and completed (none left open), on_time of them in time."""
    return {"unit": unit, "day": day, "channel": channel, "submitted": n, "finished": n, "completed": n,
            "on_time": on_time}


# 2026-Q1 (January to March) and 2026-Q2 (April to June); A also has July (2026-Q3, running on the as-of date).
REQ_DAY = [
    # Q1: A online 0/10, on time 10/10; B online 10/10, on time 0/10; C online 5/10, on time 10/10; E 10/10, 10/10
    requests(A, "2026-01-12", "window", 10, 10),
    requests(B, "2026-02-03", "web", 10, 0),
    requests(C, "2026-02-04", "web", 5, 5),
    requests(C, "2026-03-05", "window", 5, 5),
    requests(E, "2026-03-20", "web", 10, 10),
    # Q2: A online 30/40, on time 30/40 (month by month 30/30 and 0/10: the quarter sums, never averages months);
    # B and C the same, online 10/20, on time 15/20 (a tie); D online 0/20, on time 10/20; E nothing
    requests(A, "2026-04-07", "web", 30, 30),
    requests(A, "2026-05-11", "window", 10, 0),
    requests(B, "2026-04-08", "web", 10, 5),
    requests(B, "2026-06-09", "window", 10, 10),
    requests(C, "2026-04-08", "web", 10, 5),
    requests(C, "2026-06-09", "window", 10, 10),
    requests(D, "2026-06-15", "window", 20, 10),
    # Q3, still running on the as-of date
    requests(A, "2026-07-01", "web", 3, 3),
]
# The same processing-time histogram (one completion in bucket 3) in every month a unit has requests.
PROC_HIST = [{"unit": r["unit"], "month": r["day"][:7], "bucket": 3, "completed": 1} for r in REQ_DAY]
AS_OF = datetime(2026, 8, 15, 12, 0)  # 2026-Q3 is running; 2026-Q2 is the latest complete quarter

# By hand, per quarter, over the units with data (the others have no index and are not ranked): online share and
# on-time rate scaled 0-100 across units (100 = best); backlog (none open), median hours (the same histogram) and
# participation (no reviews: 0 everywhere) are equal across units and score 50 each. Service efficiency is the
# mean of its four scores, satisfaction is 50, and the composite weighs the two dimensions equally.
ONLINE = {"2026-Q1": {A: 0.0, B: 1.0, C: 0.5, E: 1.0}, "2026-Q2": {A: 0.75, B: 0.5, C: 0.5, D: 0.0}}
ON_TIME = {"2026-Q1": {A: 1.0, B: 0.0, C: 1.0, E: 1.0}, "2026-Q2": {A: 0.75, B: 0.75, C: 0.75, D: 0.5}}


def by_hand(quarter: str) -> dict[str, float]:
    """The composite index of each unit with data in a quarter, from the raw counts above."""

    def scale(values: dict) -> dict:
        lo, hi = min(values.values()), max(values.values())
        return {u: 50.0 if hi == lo else (v - lo) / (hi - lo) * 100 for u, v in values.items()}

    online, on_time = scale(ONLINE[quarter]), scale(ON_TIME[quarter])
    return {u: ((online[u] + on_time[u] + 50 + 50) / 4 + 50) / 2 for u in online}


def ranks_by_hand(index: dict[str, float]) -> dict[str, int]:
    """1 = best; equal indices share the lowest rank (1, 2, 2, 4)."""
    return {u: 1 + sum(other > v for other in index.values()) for u, v in index.items()}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=1_000, refresh_seconds=0))


@pytest.fixture(scope="module")
def rt(app):
    return app.server.extensions["onescreen"]


@pytest.fixture(scope="module")
def demo_frames(rt):
    return leader_view(rt).frames


def publish(rt, demo_frames, as_of: datetime = AS_OF, req_day=REQ_DAY, proc_hist=PROC_HIST) -> None:
    """Make the hand-made frames the current snapshot, as of `as_of` (the refresh watermark), unless they are."""
    mark = f"{as_of.isoformat()}/{len(req_day)}/{len(proc_hist)}"
    if leader_view(rt).meta.get("hand_made") == mark:
        return
    frames = hand_made(demo_frames, req_day=req_day, proc_hist=proc_hist)
    rt.store.publish(frames, as_of.isoformat(sep=" "), {"watermark": as_of.isoformat(), "hand_made": mark})


@pytest.fixture
def view(rt, demo_frames):
    """The hand-made snapshot as of AS_OF, seen by a leader."""
    publish(rt, demo_frames)
    return leader_view(rt)


def nan_none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


# --- quarters --------------------------------------------------------------------------------------------------

def test_months_and_days_are_cut_to_quarters():
    keys = pd.Series(["2026-01-05", "2026-03-31", "2026-04", "2026-09-30", "2026-10-01", "2025-12"])
    assert period_of(keys, "quarter").tolist() == ["2026-Q1", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2025-Q4"]
    assert period_of(keys, "month").tolist()[:3] == ["2026-01", "2026-03", "2026-04"]  # unchanged
    assert period_of(pd.Series([], dtype="str"), "quarter").tolist() == []
    assert [quarter_of(date(2026, m, 1)) for m in (1, 3, 4, 7, 12)] == ["2026-Q1"] * 2 + ["2026-Q2", "2026-Q3",
                                                                                        "2026-Q4"]
    assert ranking.previous_quarter("2026-Q1") == "2025-Q4" and ranking.previous_quarter("2026-Q3") == "2026-Q2"


def test_a_quarter_sums_its_months_components(view):
    quarters = view.metric_table("quarter")
    assert periods(quarters) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert quarters.loc[(A, "2026-Q2"), "requests"] == 40
    assert quarters.loc[(A, "2026-Q2"), "online_share"] == 0.75  # 30 of 40, not the months' mean 0.5
    assert quarters.loc[("city", "2026-Q2"), "requests"] == 40 + 20 + 20 + 20
    months = view.metric_table("month")
    q2 = months.xs(A, level="unit").loc[lambda f: f.index.isin(["2026-04", "2026-05", "2026-06"])]
    assert q2["requests"].sum() == 40 and len(q2) == 2  # A has April and May


# --- the ranking, by hand --------------------------------------------------------------------------------------

def test_the_ranking_equals_the_one_worked_out_by_hand(view):
    rows = ranking.quarterly_ranking(view, ranking.parse(view, "2026-Q2")).rows
    assert list(rows.columns) == list(ranking.COLUMNS)
    now, before = by_hand("2026-Q2"), by_hand("2026-Q1")
    assert now == pytest.approx({A: 62.5, B: 175 / 3, C: 175 / 3, D: 37.5})  # the arithmetic above, once more
    rank_now, rank_before = ranks_by_hand(now), ranks_by_hand(before)
    assert rank_now == {A: 1, B: 2, C: 2, D: 4} and rank_before == {E: 1, C: 2, A: 3, B: 3}

    ranked = rows.dropna(subset=["rank"])
    assert list(ranked["code"]) == [A, B, C, D]  # by rank, a tie by code
    for r in ranked.itertuples():
        assert r.composite == pytest.approx(now[r.code], abs=1e-9)
        assert r.rank == rank_now[r.code]
        assert nan_none(r.previous_rank) == rank_before.get(r.code)
        assert nan_none(r.previous_composite) == (pytest.approx(before[r.code]) if r.code in before else None)
    # units without an index come last, unranked, by code
    unranked = rows[rows["rank"].isna()]
    assert list(unranked.index) == list(range(4, 18)) and unranked["composite"].isna().all()
    assert list(unranked["code"]) == sorted(unranked["code"])
    assert set(rows["quarter"]) == {"2026-Q2"} and set(rows["previous_quarter"]) == {"2026-Q1"}
    assert len(rows) == 18 and rows["code"].is_unique


def test_the_change_since_the_previous_quarter(view):
    rows = ranking.quarterly_ranking(view, ranking.parse(view, "2026-Q2")).rows.set_index("code")
    now, before = by_hand("2026-Q2"), by_hand("2026-Q1")
    assert rows.loc[A, "rank_change"] == 2  # 3rd -> 1st: up two
    assert rows.loc[B, "rank_change"] == 1  # 3rd -> 2nd
    assert rows.loc[C, "rank_change"] == 0  # 2nd -> 2nd (shared)
    assert rows.loc[A, "composite_change"] == pytest.approx(now[A] - before[A])  # 12.5
    assert rows.loc[C, "composite_change"] == pytest.approx(now[C] - before[C])
    assert math.isnan(rows.loc[D, "rank_change"]) and math.isnan(rows.loc[D, "composite_change"])  # new in Q2
    assert math.isnan(rows.loc[D, "previous_rank"])
    assert math.isnan(rows.loc[E, "rank"]) and rows.loc[E, "previous_rank"] == 1  # gone in Q2: no rank, no change
    assert math.isnan(rows.loc[E, "rank_change"])
    first = ranking.quarterly_ranking(view, ranking.parse(view, "2026-Q1")).rows
    assert first["previous_rank"].isna().all() and first["rank_change"].isna().all()  # 2025-Q4 has no data
    assert set(first["previous_quarter"]) == {"2025-Q4"}


def test_the_index_is_the_overviews_composite_for_the_quarter(view):
    table = view.metric_table("quarter")
    built = overview.build(table, view.frames["units"], "online_share", "2026-Q2",
                           composite_by_period(table, view.weights)).composite
    rows = ranking.quarterly_ranking(view, ranking.parse(view, "2026-Q2")).rows.set_index("code")
    for code, value in built["composite"].items():
        assert rows.loc[code, "composite"] == pytest.approx(value, abs=1e-12)
        assert rows.loc[code, "rank"] == built.loc[code, "rank"]


def test_a_unit_scoped_viewer_gets_their_rows_with_city_wide_ranks(rt, view):
    scoped = rt.view(as_viewer(rt, "manager", [B, E]))
    answer = ranking.quarterly_ranking(scoped, ranking.parse(scoped, "2026-Q2"))
    rows = answer.rows.set_index("code")
    assert list(rows.index) == [B, E]
    assert rows.loc[B, "rank"] == 2 and rows.loc[B, "rank_change"] == 1  # among all 18 units, not among 2
    assert answer.provenance.scope == (B, E)
    assert answer.provenance.notes["ranked_units"] == 4 and answer.provenance.notes["city_units"] == 18
    assert "city-wide" in answer.provenance.notes["rank"]


# --- the default quarter ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("as_of", "default"),
    [
        (AS_OF, "2026-Q2"),  # 2026-Q3 has data but is still running
        (datetime(2026, 7, 1, 8, 0), "2026-Q2"),  # the first morning of a quarter: it is running
        (datetime(2026, 10, 1, 0, 0), "2026-Q3"),  # 2026-Q3 ended
        (datetime(2027, 2, 1, 9, 0), "2026-Q3"),  # the newest complete quarter with data
        (datetime(2026, 6, 30, 23, 59), "2026-Q1"),  # 2026-Q2 runs to its last minute (and 2026-Q3 is later)
    ],
)
def test_a_quarter_still_running_is_not_the_default(rt, demo_frames, as_of, default):
    publish(rt, demo_frames, as_of)
    view = leader_view(rt)
    assert view.as_of == as_of and quarter_of(as_of.date()) != default
    assert ranking.parse(view).quarter == default == ranking.parse(view, "").quarter
    answer = ranking.quarterly_ranking(view, ranking.parse(view))
    assert answer.provenance.period == default and answer.provenance.notes["complete"] is True
    if as_of.date() >= date(2026, 7, 1):  # no data after the as-of date: the metric table's own rule agrees
        assert latest_complete_period(view.metric_table("quarter"), as_of.date()) == default


def test_a_running_quarter_may_be_chosen_and_says_so(app, view):
    answer = ranking.quarterly_ranking(view, ranking.parse(view, "2026-Q3"))
    assert answer.provenance.notes["complete"] is False
    assert answer.rows.dropna(subset=["rank"])["code"].tolist() == [A]
    with as_leader(app):
        _, note = update_quarterly_ranking("2026-Q3", "?lang=en")
    assert "still running" in note


def test_no_complete_quarter_gives_no_rows_not_an_error(rt, demo_frames):
    publish(rt, demo_frames, datetime(2026, 3, 31, 12, 0), req_day=REQ_DAY[:5], proc_hist=PROC_HIST[:5])
    view = leader_view(rt)
    assert ranking.offered_quarters(view) == ("2026-Q1",) and ranking.parse(view).quarter is None
    answer = ranking.quarterly_ranking(view, ranking.parse(view))
    assert answer.rows.empty and list(answer.rows.columns) == list(ranking.COLUMNS)
    assert answer.provenance.period is None


# --- bad quarters ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("quarter", "says"),
    [
        ("2026-Q5", "is not a quarter (YYYY-Qn"),
        ("2026Q2", "is not a quarter (YYYY-Qn"),
        ("2026-Q02", "is not a quarter (YYYY-Qn"),
        ("2026-q2", "is not a quarter (YYYY-Qn"),
        ("2026-06", "is not a quarter (YYYY-Qn"),
        (" 2026-Q2", "is not a quarter (YYYY-Qn"),
        ("2026-Q2" + "x" * 5000, "is not a quarter (YYYY-Qn"),
        (2026, "is not a quarter (YYYY-Qn"),
        (["2026-Q2"], "is not a quarter (YYYY-Qn"),
        ("2020-Q1", "no data for 2020-Q1"),
        ("2026-Q4", "no data for 2026-Q4"),
    ],
)
def test_bad_quarters_are_refused_with_a_clear_message(view, quarter, says):
    with pytest.raises(BadInput) as refused:
        ranking.parse(view, quarter)
    message = str(refused.value)
    assert message.startswith("quarter: ") and says in message and len(message) < 100


# --- the page ----------------------------------------------------------------------------------------------------

def test_the_panel_draws_its_answer_with_arrows_in_both_languages(app, view):
    answer = ranking.quarterly_ranking(view, ranking.parse(view, "2026-Q2"))
    with as_leader(app):
        rows, note = update_quarterly_ranking("2026-Q2", "?lang=en")
        zh_rows, zh_note = update_quarterly_ranking("2026-Q2", "?lang=zh")
        with pytest.raises(BadInput, match="Not a quarter this page offers: quarter: "):
            update_quarterly_ranking("2026-Q9", "?lang=en")
    assert [r["code"] for r in rows] == list(answer.rows["code"])
    for r, want in zip(rows, answer.rows.itertuples()):
        assert nan_none(r["rank"]) == nan_none(want.rank) and nan_none(r["rank_change"]) == nan_none(want.rank_change)
        assert r["composite"] == (None if math.isnan(want.composite) else pytest.approx(want.composite))
    assert rows[0]["name"] == "Daoli" and rows[0]["group_label"] == "Core districts"
    assert zh_rows[0]["name"] == "道里区" and zh_rows[0]["group_label"] == "核心城区"
    assert note == "2026-Q2: 4 of 18 units of the city ranked, compared with 2026-Q1."
    assert zh_note.startswith("2026-Q2：全市4/18个区县参与排名")
    with as_leader(app):
        page = {lang: json.dumps(render_page("/", f"?lang={lang}&quarter=2026-Q1"), ensure_ascii=False)
                for lang in ("zh", "en")}
    assert "季度综合排名" in page["zh"] and "Quarterly ranking" in page["en"]
    assert "'↑' + params.value" in page["en"] and "'↓' + (-params.value)" in page["en"]  # the change as ↑2 / ↓1
    assert "quarterly_ranking.csv?metric=" in page["en"] and "quarter=2026-Q1" in page["en"]  # export follows


def callback_context(triggered: str):
    """Run a callback as Dash would after `triggered` changed (dash.plotly.com/testing)."""

    def run(func, *args):
        def call():
            context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{triggered}.value", "value": None}]))
            return func(*args)

        return contextvars.copy_context().run(call)

    return run


def test_the_quarter_lives_in_the_url_only_once_chosen(app, view):
    with as_leader(app):
        run = callback_context(ids.OVERVIEW_QUARTER)
        out = run(sync_overview_url, "?lang=en&metric=bad_rate&period=2026-05&unit=230102", "bad_rate", "2026-05",
                  A, "2026-Q1")
        assert out[0] == "?lang=en&metric=bad_rate&period=2026-05&unit=230102&quarter=2026-Q1"
        with pytest.raises(PreventUpdate):  # the default quarter: the URL stays as it is
            run(sync_overview_url, "?lang=en&metric=bad_rate&period=2026-05&unit=230102", "bad_rate", "2026-05",
                A, "2026-Q2")
        back = callback_context(ids.OVERVIEW_URL)  # back to a URL without a quarter: the default is shown again
        out = back(sync_overview_url, "?lang=en&metric=bad_rate&period=2026-05&unit=230102", "bad_rate", "2026-05",
                   A, "2026-Q1")
        assert out[-1] == "2026-Q2" and out[0] is no_update


# --- export and API ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def analyst(app):
    client = app.server.test_client()
    sign_in(client, app, "analyst")
    return client


def test_export_csv_and_xlsx_are_the_answer_rows(analyst, view):
    want = ranking.quarterly_ranking(view, ranking.parse(view, "2026-Q2")).rows
    csv = analyst.get("/export/overview/quarterly_ranking.csv?quarter=2026-Q2")
    assert csv.status_code == 200 and csv.data.startswith("\ufeff".encode())
    got = pd.read_csv(io.BytesIO(csv.data), encoding="utf-8-sig", dtype={"code": str})
    assert list(got.columns) == list(ranking.COLUMNS) and list(got["code"]) == list(want["code"])
    pd.testing.assert_frame_equal(got[list(ranking.NUMBER_COLUMNS)], want[list(ranking.NUMBER_COLUMNS)],
                                  check_exact=False, rtol=1e-12)
    book = load_workbook(io.BytesIO(analyst.get("/export/overview/quarterly_ranking.xlsx?quarter=2026-Q2").data))
    data = list(book["data"].iter_rows(values_only=True))
    assert list(data[0]) == list(ranking.COLUMNS) and [r[0] for r in data[1:]] == list(want["code"])
    about = {row[0]: row[1:] for row in book["about"].iter_rows(values_only=True) if row[0]}
    assert about["panel 面板"][0] == "quarterly_ranking" and about["period 期间"][0] == "2026-Q2"
    assert json.loads(about["filters 筛选"][0]) == {"quarter": "2026-Q2"}
    assert about["data as of 数据时点"][0] == "2026-08-15 12:00:00"
    assert "city-wide" in about["notes 说明"][0]
    for column in ("quarter", "rank_change", "composite_change", "previous_rank"):
        zh, en = about[column]
        assert zh != column and en != column  # defined in both languages
    default = analyst.get("/export/overview/quarterly_ranking.csv").data  # no quarter: the latest complete one
    assert default == csv.data


def test_api_rows_are_the_answer_rows(analyst, view):
    want = ranking.quarterly_ranking(view, ranking.parse(view, "2026-Q2")).rows
    body = analyst.get("/api/v1/ranking?quarter=2026-Q2").get_json()
    assert body["meta"]["filters"] == {"quarter": "2026-Q2"} and body["meta"]["notes"]["ranked_units"] == 4
    assert [r["code"] for r in body["rows"]] == list(want["code"])
    for got, row in zip(body["rows"], want.to_dict("records")):
        assert got == pytest.approx({k: nan_none(v) for k, v in row.items()})
    csv = analyst.get("/api/v1/ranking?quarter=2026-Q2&format=csv").data
    assert csv == analyst.get("/export/overview/quarterly_ranking.csv?quarter=2026-Q2").data
    spec = analyst.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/ranking" in spec["paths"] and "RankingRow" in spec["components"]["schemas"]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("/export/overview/quarterly_ranking.csv?quarter=2026Q2", "is not a quarter"),
        ("/export/overview/quarterly_ranking.xlsx?quarter=2020-Q1", "no data for 2020-Q1"),
        ("/export/overview.zip?quarter=Q9", "is not a quarter"),
        ("/api/v1/ranking?quarter=2026-Q7", "pattern"),
        ("/api/v1/ranking?quarter=2020-Q1", "no data for 2020-Q1"),
        ("/export/overview/quarterly_ranking.csv?quarter=2026-Q2&quarter=2026-Q1", "give it once"),
    ],
)
def test_bad_quarters_get_a_400_naming_the_parameter(analyst, view, url, says):
    response = analyst.get(url)
    assert response.status_code == 400 and response.is_json and b"Traceback" not in response.data
    body = response.get_json()
    assert body["parameter"] == "quarter" and says in body["error"]


def test_a_manager_gets_only_their_units_rows_from_export_and_api(app, view):
    client = app.server.test_client()
    sign_in(client, app, "manager", [A])
    for url in ("/export/overview/quarterly_ranking.csv?quarter=2026-Q2", "/api/v1/ranking?quarter=2026-Q2",
                "/api/v1/ranking?format=csv"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and not [m for m in NOT_B if m in text], url
    rows = client.get("/api/v1/ranking?quarter=2026-Q2").get_json()["rows"]
    assert [(r["code"], r["rank"]) for r in rows] == [(A, 1.0)]
    zipped = client.get("/export/overview.zip?quarter=2026-Q2")
    assert zipped.status_code == 200
