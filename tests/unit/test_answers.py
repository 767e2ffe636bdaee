"""One answer per panel: a request sees one snapshot version, and every figure draws exactly its answer's rows."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from app import create_app
from callbacks.overview import update_overview
from callbacks.quality import update_quality
from callbacks.wall import draw_wall, screen_of, thresholds
from dashboard.answers import overview as ov
from dashboard.answers import quality as qa
from dashboard.answers import wall as wa
from dashboard.errors import BadInput
from dashboard.metrics import periods
from tests.conftest import as_leader, leader_view
from tests.figdata import values
from tests.frames import with_overdue


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from tests.conftest import fixed_settings

    return create_app(fixed_settings(data_dir=tmp_path_factory.mktemp("data"), demo_scale=4_000, refresh_seconds=0))


@pytest.fixture
def rt(app):
    return app.server.extensions["onescreen"]


def nan_list(seq) -> list:
    """Floats with NaN as None, so that lists compare equal."""
    return [None if (isinstance(v, float) and math.isnan(v)) else v for v in seq]


def test_a_request_sees_one_version_even_when_a_refresh_publishes_meanwhile(rt):
    view = leader_view(rt)
    before = view.metric_table("month").copy()
    snap = view.snapshot
    doubled = {**snap.frames, "req_day": pd.concat([snap.frames["req_day"]] * 2, ignore_index=True)}

    def publish_then_read(v):
        rt.store.publish(doubled, snap.as_of, snap.meta)  # a refresh lands in the middle of this request
        return v.metric_table("year")

    try:
        years = view.memo(("test-publish-between-reads",), publish_then_read)
        newer = leader_view(rt)
        assert newer.version == view.version + 1
        # everything this request read after the publish still comes from its own version
        pd.testing.assert_frame_equal(view.metric_table("month"), before)
        assert years["requests"].sum() * 2 == newer.metric_table("year")["requests"].sum()
        # the pinned request stored nothing under the newer version, and evicted nothing of it
        newer_table = newer.metric_table("month")
        assert newer.metric_table("month") is newer_table
        assert view.memo(("test-publish-between-reads",), lambda v: "again") == "again"  # older: not stored
    finally:
        rt.store.publish(snap.frames, snap.as_of, snap.meta)


def overview_params(rt, metric="online_share"):
    view = leader_view(rt)
    month = periods(view.metric_table("month"))[-2]
    return view, ov.parse(view, metric, month, "230103")


@pytest.mark.parametrize("metric", ["online_share", "requests", "g5_base_stations_per_10k", "bad_rate"])
def test_every_overview_figure_draws_its_answer(app, rt, metric):
    view, p = overview_params(rt, metric)
    with as_leader(app):
        out = update_overview(metric, p.period, p.unit, "?lang=en")
    fig_map, fig_rank, fig_lorenz, fig_trend, fig_decomp, fig_profile = out[:6]
    table, _, city_text, _ = out[6:]
    unit_values = ov.unit_values(view, p).rows
    known = unit_values.dropna(subset=["value"])
    missing, drawn = fig_map["data"]
    assert list(drawn["locations"]) == list(known["code"]) and values(drawn["z"]) == pytest.approx(known["value"])
    assert list(missing["locations"]) == list(unit_values[unit_values["value"].isna()]["code"])
    bars = {n: x for trace in fig_rank["data"] for n, x in zip(trace["y"], values(trace["x"]))}
    assert bars == pytest.approx(dict(zip(known["name_en"], known["value"])))
    city = ov.city_value(view, p).rows.iloc[0]
    assert fig_rank["layout"]["shapes"][0]["x0"] == pytest.approx(city["value"])
    lorenz = ov.lorenz(view, p).rows
    assert values(fig_lorenz["data"][1]["x"]) == pytest.approx(list(lorenz["population_share"]))
    assert values(fig_lorenz["data"][1]["y"]) == pytest.approx(list(lorenz["value_share"]))
    trend = ov.balance_trend(view, p).rows
    assert [tr["name"] for tr in fig_trend["data"]] == ["Gini", "Theil T"]
    assert nan_list(values(fig_trend["data"][0]["y"])) == pytest.approx(nan_list(trend["gini"]))
    assert nan_list(values(fig_decomp["data"][0]["y"])) == pytest.approx(nan_list(trend["theil_between"]))
    assert nan_list(values(fig_decomp["data"][1]["y"])) == pytest.approx(nan_list(trend["theil_within"]))
    profile = ov.profile(view, p).rows
    assert nan_list(values(fig_profile["data"][0]["y"])) == pytest.approx(nan_list(profile["unit"]))
    assert nan_list(values(fig_profile["data"][1]["y"])) == pytest.approx(nan_list(profile["city"]))
    composite = ov.composite(view, p).rows
    shown = [row["props"]["data-code"] for row in table["props"]["children"][1]["props"]["children"]]
    assert shown == list(composite["code"])
    if city["units"] < 18:
        assert f"({city['units']} of 18 units report it)" in city_text


def test_every_wall_figure_draws_its_answer(app, rt):
    view = leader_view(rt)
    snap = view.snapshot
    rt.store.publish(with_overdue(snap.frames, "230104", 25, rt.clock.now()), snap.as_of, snap.meta)
    try:
        with as_leader(app):
            out = draw_wall(1, {"w": 1920, "h": 1080}, "?lang=en&metric=bad_rate")
        view = leader_view(rt)
        tiles, fig_map, fig_rank, fig_trend, _, alert, rail, rail_class, *_ = out
        month = wa.month_values(view, "bad_rate").rows.dropna(subset=["value"])
        assert values(fig_map["data"][1]["z"]) == pytest.approx(list(month["value"]))
        bars = {n: x for trace in fig_rank["data"] for n, x in zip(trace["y"], values(trace["x"]))}
        assert bars == pytest.approx(dict(zip(month["name_en"], month["value"])))
        trend = wa.trend(view, "bad_rate").rows
        assert list(fig_trend["data"][0]["x"]) == list(trend["period"])
        found = wa.alerts(view, thresholds(rt.settings)).rows
        assert rail_class == "wall-rail active" and "230104" in list(found["unit"])
        drawn_units = [li["props"]["data-unit"] for li in alert[1]["props"]["children"] if "data-unit" in li["props"]]
        assert drawn_units == list(found["unit"])[: len(drawn_units)]
        railed = [item["props"]["data-unit"] for item in rail[1]["props"]["children"] if "data-unit" in item["props"]]
        assert railed == list(found["unit"])[: len(railed)] and railed
        kpis = wa.tiles(view).rows
        requests_month = kpis[(kpis["tile"] == "requests") & (kpis["window"] == "month")]["current"].iloc[0]
        overdue_now = kpis[(kpis["tile"] == "overdue") & (kpis["window"] == "now")]["current"].iloc[0]
        assert f"{requests_month:,.0f}" in json.dumps(tiles[0], ensure_ascii=False)
        assert f"{overdue_now:,.0f}" in json.dumps(tiles[5], ensure_ascii=False) and overdue_now >= 25
    finally:
        rt.store.publish(snap.frames, snap.as_of, snap.meta)


def test_every_quality_figure_draws_its_answer(app, rt):
    with as_leader(app):
        by_reason, by_month, listing = update_quality("all", "all", "?lang=en")
    view = leader_view(rt)
    p = qa.parse("all", "all")
    counts = qa.counts(view, p).rows
    assert sum(sum(tr.y) for tr in by_reason.data) == counts["rows"].sum() == sum(sum(tr.y) for tr in by_month.data)
    assert [r["row_id"] for r in listing] == list(qa.listing(view, p).rows["row_id"])


def test_a_period_where_every_unit_is_zero_draws_zeros_and_no_indices(app, rt):
    # audit defect (c): overdue bad reviews in the running month are 0 everywhere
    view = leader_view(rt)
    table = view.metric_table("month")
    zero = [p for p in periods(table) if (table.xs(p, level="period")["overdue_bad_reviews"] == 0).all()]
    assert zero, "the demo has a month with no overdue bad review"
    p = ov.parse(view, "overdue_bad_reviews", zero[-1], "230102")
    with as_leader(app):
        out = update_overview("overdue_bad_reviews", p.period, "230102", "?lang=en")
    assert values(out[0]["data"][1]["z"]) == [0] * 18  # a zero map
    assert ov.lorenz(view, p).rows.empty and values(out[2]["data"][1]["x"]) == []  # no Lorenz curve
    trend = ov.balance_trend(view, p).rows.set_index("period")
    assert math.isnan(trend.loc[p.period, "gini"])  # the indices of a zero period are empty, not an error
    assert out[8] == "City: 0"


@pytest.mark.parametrize(
    ("metric", "period", "unit"),
    [
        ("population", "2026-10", "230102"),  # a metric no dropdown offers
        (["online_share"], "2026-10", "230102"),  # a list where a name belongs
        ("online_share", "2026-1x", "230102"),
        ("online_share", 202610, "230102"),
        ("online_share", "1999-01", "230102"),  # well formed, no data
        ("online_share", "2026-10", ["230102"]),
        ("online_share", "2026-10", "x" * 100_000),
    ],
)
def test_overview_inputs_outside_their_domain_get_a_clear_message_and_no_cache_entry(app, rt, metric, period, unit):
    size = len(rt.answers)
    with as_leader(app), pytest.raises(BadInput) as err:
        update_overview(metric, period, unit, "?lang=en")
    assert len(str(err.value)) < 120
    assert len(rt.answers) == size


@pytest.mark.parametrize("viewport", [{"w": float("inf"), "h": 1080}, {"w": float("nan"), "h": 1}, {"w": True, "h": 2},
                                      {"w": "1920", "h": 1080}, [1920, 1080], {"h": 1080}])
def test_a_non_finite_or_malformed_screen_size_is_refused(app, viewport):
    with as_leader(app), pytest.raises(BadInput, match="bad screen size"):
        draw_wall(1, viewport, "")


def test_screen_sizes_fall_into_a_few_classes():
    assert screen_of({"w": 1920, "h": 1080}) == screen_of({"w": 1939.5, "h": 1119}) == {"w": 1920, "h": 1080}
    assert screen_of({"w": 3840, "h": 2160}) == {"w": 3840, "h": 2160}
    assert screen_of({"w": 10**12, "h": -5}) == {"w": 15360, "h": 240}


def test_every_answer_says_where_it_came_from(rt):
    view, p = overview_params(rt, "g5_base_stations_per_10k")
    for panel, answer in ov.PANELS.items():
        prov = answer(view, p).provenance
        assert prov.version == view.version and prov.as_of == view.as_of.isoformat(sep=" "), panel
        assert len(prov.scope) == 18
    prov = ov.unit_values(view, p).provenance
    assert prov.period == p.period and prov.filters == {"metric": "g5_base_stations_per_10k"}
    definition = prov.definitions()["g5_base_stations_per_10k"]
    assert definition["definition_zh"].startswith("5G基站数") and definition["unit_en"] == "per 10k residents"


# --- district page ------------------------------------------------------------------------------------------------


def district_call(app, search="?lang=en", start=None, end=None, by="month", department="all", channel="all",
                  code="230104"):
    from callbacks.district import update_district

    with as_leader(app):
        return update_district(start, end, by, department, channel, f"/district/{code}", search)


def test_every_district_figure_and_table_draws_its_answer(app, rt):
    from dashboard.answers import district as da
    from layouts import ids

    view = leader_view(rt)
    p = da.parse(view, "230104", granularity="month")
    out = district_call(app, start=p.start.isoformat(), end=p.end.isoformat())
    n = len(ids.DISTRICT_TREND_METRICS)
    trends, rest = out[:n], out[n:]
    standing, composite, departments, items, pareto_bad, pareto_late, mix, score, open_bad, _, rect, rect_dep = rest
    rows = da.trends(view, p).rows
    requests = rows[(rows["metric"] == "requests") & (rows["series"] == "unit")].sort_values("period")
    drawn = trends[0]["data"][0]
    assert list(drawn["x"]) == list(requests["period"]) and values(drawn["y"]) == pytest.approx(list(requests["value"]))
    processing = da.processing(view, p).rows
    p90 = processing[(processing["metric"] == "p90_hours") & (processing["series"] == "city")].sort_values("period")
    assert nan_list(values(trends[-1]["data"][1]["y"])) == pytest.approx(nan_list(p90["value"]))
    shown = [r["props"]["data-metric"] for r in standing["props"]["children"][1]["props"]["children"]]
    assert shown == list(da.standing(view, p).rows["metric"])
    profile = da.composite_profile(view, p).rows
    assert nan_list(values(composite["data"][0]["y"])) == pytest.approx(nan_list(profile["unit"]))
    assert [r["department_code"] for r in departments] == list(da.departments(view, p).rows["department_code"])
    assert [r["item_code"] for r in items] == list(da.items(view, p).rows["item_code"])
    bad = da.pareto(view, p, "bad").rows
    assert values(pareto_bad["data"][0]["y"]) == list(bad["count"])
    late = da.pareto(view, p, "late").rows
    assert values(pareto_late["data"][1]["y"]) == pytest.approx(list(late["cumulative_share"]))
    mix_rows = da.channel_mix(view, p).rows
    web = mix_rows[mix_rows["channel"] == "web"].sort_values("period")
    assert values(mix["data"][0]["y"]) == pytest.approx(list(web["share"]))
    sat = da.channel_satisfaction(view, p).rows
    unit_scores = sat[sat["series"] == "unit"]["mean_score"]
    assert nan_list(values(score["data"][0]["y"])) == pytest.approx(nan_list(unit_scores))
    assert [r["review_id"] for r in open_bad] == list(da.open_bad(view, p).rows["review_id"])
    rect_rows = da.rectification(view, p).rows
    unit_rate = rect_rows[(rect_rows["metric"] == "rectification_rate") & (rect_rows["series"] == "unit")]
    assert nan_list(values(rect["data"][0]["y"])) == pytest.approx(nan_list(unit_rate.sort_values("period")["value"]))
    by_department = da.rectification_by_department(view, p).rows
    assert [r["department_code"] for r in rect_dep] == list(by_department["department_code"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": "2026-13-01"}, "from: not a date"),
        ({"start": "2026-05-01", "end": "2026-04-01"}, "from: after to"),
        ({"start": "2015-01-01", "end": "2026-01-01"}, "at most"),
        ({"by": "hour"}, "by: one of day, week, month"),
        ({"department": "=HACK()"}, "department: unknown code"),
        ({"channel": ["web"]}, "channel: one of"),
        ({"code": "230199"}, "unknown unit"),
    ],
)
def test_a_malformed_district_filter_gets_a_message_not_a_traceback(app, rt, kwargs, message):
    size = len(rt.answers)
    with pytest.raises(BadInput, match="A filter is not valid") as err:
        district_call(app, **kwargs)
    assert message in str(err.value) and len(rt.answers) == size


def test_a_district_link_with_a_malformed_filter_shows_the_defaults_and_says_why(app):
    from callbacks.router import render_page

    with as_leader(app):
        page = render_page("/district/230104", "?lang=en&by=fortnight&channel=web")
    text = json.dumps(page, ensure_ascii=False)
    assert "A filter is not valid: by: one of day, week, month" in text
    assert '"value": "month"' in text and '"value": "all"' in text  # the defaults, channel included


def test_requests_wanting_the_same_missing_answer_at_once_build_it_once():
    import threading
    import time as _time

    from dashboard.view import AnswerCache

    cache, builds, results = AnswerCache(8), [], []
    release = threading.Event()

    def build():
        builds.append(1)
        release.wait(5)
        return "answer"

    threads = [threading.Thread(target=lambda: results.append(cache.get_or_build((3, "all", "x"), build)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    _time.sleep(0.2)  # every thread has asked by now; one is building
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == ["answer"] * 8 and len(builds) == 1


def test_a_failed_build_is_not_shared_and_the_next_request_builds_again():
    from dashboard.view import AnswerCache

    cache = AnswerCache(8)

    def broken():
        raise ValueError("source frame missing")

    with pytest.raises(ValueError):
        cache.get_or_build((3, "all", "y"), broken)
    assert cache.get_or_build((3, "all", "y"), lambda: 42) == 42
