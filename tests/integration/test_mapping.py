"""A foreign source whose every table, column and code differs from the canonical ones, read through a mapping.

On SQLite, PostgreSQL and MariaDB: the mapped selectables give exactly the canonical rows, aggregates written
against canonical names run in the source, unmapped labels pass through, and the start-up check names each
missing table, missing column and untranslated value.
"""

from __future__ import annotations

import copy
from datetime import datetime

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import BigInteger, Column, DateTime, Double, Integer, MetaData, String, Table, func, insert, select

from dashboard.sources import SOURCES
from data_sources import quality
from data_sources.mapping import parse_mapping
from data_sources.sql import SqlSources

T = datetime

# A foreign government-service platform, review system and statistics platform: pinyin abbreviations and
# Chinese labels, as real systems in the city have them.
DISTRICTS = [
    ("230102", "道里区", "Daoli", "市辖区", "主城", 923762),
    ("230111", "呼兰区", "Hulan", "市辖区", "外围", 764534),
    ("230183", "尚志市", "Shangzhi", "县级市", "县域", 585386),
]
APPLICATIONS = [
    # app_no, region, dept, item, qd (channel), apply_time (text), finish_ts (epoch s), zt (status), due_time
    ("A01", "230102", "D1", "I1", "网上办理", "2023-11-14 09:00:00", 1700000000, "办结", T(2023, 11, 20, 17)),
    ("A02", "230102", "D1", "I1", "掌上办", "2023-11-14T10:30:00", None, "已受理", T(2023, 11, 21, 17)),
    ("A03", "230102", "D2", "I2", "窗口", "2023-11-15 08:00", 1700050000, "办结", T(2023, 11, 22, 17)),
    ("A04", "230102", "D2", "I2", "自助终端", "2023-11-15 08:15:30.250000", None, "已提交", None),
    ("A05", "230111", "D1", "I1", "12345热线", "2023-11-16 12:00:00", 1701360000, "办结", T(2023, 11, 30, 17)),
    ("A06", "230111", "D1", "I1", "传真", "2023-11-16 13:00:00", None, "不予受理", None),
    ("A07", "230111", "D1", "I1", "网上办理", "2023-02-30 10:00:00", None, "撤回", None),
    ("A08", "230183", "D2", "I2", "掌上办", "yesterday", None, "挂起", None),
    ("A09", "230183", "D2", "I2", "窗口", None, 0, "办结", None),
    ("A10", "230183", "D2", "I2", "网上办理", "2023-12-01 00:00:00", 1701360000, "办结", T(2023, 12, 8, 17)),
]
# The same rows as the canonical service_request must show them (naive local times of Asia/Shanghai).
EXPECTED_REQUESTS = [
    ("A01", "230102", "D1", "I1", "web", T(2023, 11, 14, 9), T(2023, 11, 15, 6, 13, 20), "completed",
     T(2023, 11, 20, 17)),
    ("A02", "230102", "D1", "I1", "app", T(2023, 11, 14, 10, 30), None, "accepted", T(2023, 11, 21, 17)),
    ("A03", "230102", "D2", "I2", "window", T(2023, 11, 15, 8), T(2023, 11, 15, 20, 6, 40), "completed",
     T(2023, 11, 22, 17)),
    ("A04", "230102", "D2", "I2", "self_service", T(2023, 11, 15, 8, 15, 30, 250000), None, "submitted", None),
    ("A05", "230111", "D1", "I1", "hotline", T(2023, 11, 16, 12), T(2023, 12, 1), "completed", T(2023, 11, 30, 17)),
    ("A06", "230111", "D1", "I1", "传真", T(2023, 11, 16, 13), None, "rejected", None),
    ("A07", "230111", "D1", "I1", "web", None, None, "withdrawn", None),
    ("A08", "230183", "D2", "I2", "app", None, None, "挂起", None),
    ("A09", "230183", "D2", "I2", "window", None, T(1970, 1, 1, 8), "completed", None),
    ("A10", "230183", "D2", "I2", "web", T(2023, 12, 1), T(2023, 12, 1), "completed", T(2023, 12, 8, 17)),
]
EVALUATIONS = [
    # pj_id, sqbh (request), qh, bm, sx, qd, pj_score (words), pj_ts (epoch ms), zg_time (text), hf_time (visit,
    # text), sm (real name, 0/1), sszt (appeal, words)
    ("P1", "A01", "230102", "D1", "I1", "网上办理", "非常满意", 1700000000000, None, None, 1, "无"),
    ("P2", "A03", "230102", "D2", "I2", "窗口", "不满意", 1700050000500, "2023-11-20 10:00:00",
     "2023-11-16 09:30:00", 1, "申诉不成立"),
    ("P3", "A05", "230111", "D1", "I1", "12345热线", "基本满意", 1701360000000, None, None, 0, None),
    ("P4", None, "230111", "D1", "I1", "掌上办", "一般般", 1701360001000, None, None, None, "无"),
    ("P5", "A10", "230183", "D2", "I2", "自助终端", None, 1701400000000, None, None, 0, "复核中"),
]
EXPECTED_REVIEWS = [
    # ..., rectified_at, visited_at, real_name, appeal_status, is_default (mapped to null), rectification_rating
    # (not in the table, not mentioned: absent)
    ("P1", "A01", "230102", "D1", "I1", "web", 5, T(2023, 11, 15, 6, 13, 20), None, None, True, "none", None, None),
    ("P2", "A03", "230102", "D2", "I2", "window", 2, T(2023, 11, 15, 20, 6, 40, 500000), T(2023, 11, 20, 10),
     T(2023, 11, 16, 9, 30), True, "rejected", None, None),
    ("P3", "A05", "230111", "D1", "I1", "hotline", 3, T(2023, 12, 1), None, None, False, None, None, None),
    ("P4", None, "230111", "D1", "I1", "app", -1, T(2023, 12, 1, 0, 0, 1), None, None, None, "none", None, None),
    ("P5", "A10", "230183", "D2", "I2", "self_service", None, T(2023, 12, 1, 11, 6, 40), None, None, False,
     "pending", None, None),
]
FIGURES = [
    # qhdm, tjyf (month as text), zbdm (indicator, Chinese), zbz
    ("230102", "2023-10", "常住人口", 923762.0),
    ("230102", "2023-11-01", "开放数据集", 12.0),
    ("230111", "2023-11", "5G基站", 340.0),
    ("230183", "2023-13", "等保达标率", 0.75),
    ("230183", "2023-11", "无人机", 3.0),
]
EXPECTED_INDICATORS = [
    ("230102", "2023-10-01", "population", 923762.0),
    ("230102", "2023-11-01", "open_datasets", 12.0),
    ("230111", "2023-11-01", "g5_base_stations", 340.0),
    ("230183", None, "grade_protection_rate", 0.75),
    ("230183", "2023-11-01", "无人机", 3.0),
]

MAPPING = {
    "tables": {
        "district": {
            "table": "xzqh",
            "columns": {"code": "qhdm", "name_zh": "qhmc", "name_en": "qhmc_en", "kind": "lx", "group": "fz",
                        "population": "rk"},
            "values": {"kind": {"市辖区": "district", "县": "county", "县级市": "county_city"},
                       "group": {"主城": "core", "外围": "outer", "县域": "county"}},
        },
        "department": {"table": "bm", "columns": {"code": "bmdm", "name_zh": "bmmc", "name_en": "bmmc_en"}},
        "service_item": {
            "table": "sx",
            "columns": {"code": "sxdm", "name_zh": "sxmc", "name_en": "sxmc_en", "department_code": "ssbm",
                        "promised_days": "cnsx"},
        },
        "service_request": {
            "table": "gov_applications",
            "columns": {"request_id": "app_no", "district_code": "region", "department_code": "dept",
                        "item_code": "item", "channel": "qd", "submitted_at": "apply_time",
                        "completed_at": "finish_ts", "status": "zt", "deadline_at": "due_time"},
            "values": {
                "channel": {"网上办理": "web", "掌上办": "app", "窗口": "window", "自助终端": "self_service",
                            "12345热线": "hotline"},
                "status": {"已提交": "submitted", "已受理": "accepted", "办结": "completed", "不予受理": "rejected",
                           "撤回": "withdrawn"},
            },
            "timestamps": {"submitted_at": "text", "completed_at": "epoch"},
        },
        "review": {
            "table": "pj_evaluation",
            "columns": {"review_id": "pj_id", "request_id": "sqbh", "district_code": "qh", "department_code": "bm",
                        "item_code": "sx", "channel": "qd", "score": "pj_score", "created_at": "pj_ts",
                        "rectified_at": "zg_time", "visited_at": "hf_time", "real_name": "sm",
                        "appeal_status": "sszt", "is_default": None},
            "values": {"channel": {"网上办理": "web", "掌上办": "app", "窗口": "window", "自助终端": "self_service",
                                   "12345热线": "hotline"},
                       "appeal_status": {"无": "none", "复核中": "pending", "申诉成立": "upheld",
                                         "申诉不成立": "rejected"}},
            "score": {"scale": "words", "words": {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2,
                                                  "非常不满意": 1}},
            "timestamps": {"created_at": "epoch_ms", "rectified_at": "text", "visited_at": "text"},
        },
        "district_indicator": {
            "table": "tj_zb",
            "columns": {"district_code": "qhdm", "period": "tjyf", "indicator_code": "zbdm", "value": "zbz"},
            "values": {"indicator_code": {"常住人口": "population", "开放数据集": "open_datasets",
                                          "5G基站": "g5_base_stations", "等保达标率": "grade_protection_rate"}},
            "timestamps": {"period": "text"},
        },
    }
}


def foreign_metadata() -> MetaData:
    """The foreign schema: no table, column or code is canonical."""
    md = MetaData()
    Table("xzqh", md, Column("qhdm", String(12)), Column("qhmc", String(64)), Column("qhmc_en", String(64)),
          Column("lx", String(16)), Column("fz", String(16)), Column("rk", BigInteger))
    Table("bm", md, Column("bmdm", String(16)), Column("bmmc", String(64)), Column("bmmc_en", String(96)))
    Table("sx", md, Column("sxdm", String(24)), Column("sxmc", String(96)), Column("sxmc_en", String(160)),
          Column("ssbm", String(16)), Column("cnsx", Integer))
    Table("gov_applications", md, Column("app_no", String(32)), Column("region", String(12)),
          Column("dept", String(16)), Column("item", String(24)), Column("qd", String(32)),
          Column("apply_time", String(40)), Column("finish_ts", BigInteger), Column("zt", String(16)),
          Column("due_time", DateTime))
    Table("pj_evaluation", md, Column("pj_id", String(32)), Column("sqbh", String(32)), Column("qh", String(12)),
          Column("bm", String(16)), Column("sx", String(24)), Column("qd", String(32)),
          Column("pj_score", String(16)), Column("pj_ts", BigInteger), Column("zg_time", String(40)),
          Column("hf_time", String(40)), Column("sm", Integer), Column("sszt", String(16)))
    Table("tj_zb", md, Column("qhdm", String(12)), Column("tjyf", String(16)), Column("zbdm", String(32)),
          Column("zbz", Double))
    return md


def write_foreign(url: str) -> None:
    """Create the foreign tables at `url` and fill them with the literal rows above."""
    sources = SqlSources({"services": url})
    md = foreign_metadata()
    engine = sources.engine("services")
    md.create_all(engine)
    rows = {
        "xzqh": DISTRICTS,
        "bm": [("D1", "市政务服务管理局", "Government Services Bureau"), ("D2", "市公安局", "Public Security Bureau")],
        "sx": [("I1", "营业执照", "Business licence", "D1", 3), ("I2", "户口迁移", "Household transfer", "D2", 5)],
        "gov_applications": APPLICATIONS,
        "pj_evaluation": EVALUATIONS,
        "tj_zb": FIGURES,
    }
    with engine.begin() as conn:
        for name, values in rows.items():
            table = md.tables[name]
            conn.execute(insert(table), [dict(zip(table.c.keys(), row, strict=True)) for row in values])
    engine.dispose()


@pytest.fixture
def foreign(db_url):
    """A URL whose database holds the foreign source (all three sources in one database)."""
    write_foreign(db_url)
    return db_url


def mapped_sources(url: str, mapping: dict, timezone: str = "Asia/Shanghai") -> SqlSources:
    """Sources at one URL, read through a mapping."""
    return SqlSources({s: url for s in SOURCES}, mapping=parse_mapping(mapping), timezone=timezone)


def read(sources: SqlSources, name: str) -> pd.DataFrame:
    """Every row of a canonical table as the mapping shows it, sorted by its first column."""
    selectable = sources.canonical(name)
    with sources.engine(sources.source_of(name)).connect() as conn:
        rows = conn.execute(select(selectable)).all()
    frame = pd.DataFrame(rows, columns=list(selectable.c.keys()), dtype=object)
    return frame.sort_values(list(frame.columns[:1]), ignore_index=True)


def expected(rows, columns) -> pd.DataFrame:
    """A literal table as an object frame, so that values, not inferred dtypes, are compared."""
    return pd.DataFrame(rows, columns=columns, dtype=object)


def test_requests_read_through_the_mapping(foreign):
    sources = mapped_sources(foreign, MAPPING)
    columns = ["request_id", "district_code", "department_code", "item_code", "channel", "submitted_at",
               "completed_at", "status", "deadline_at"]
    assert_frame_equal(read(sources, "service_request"), expected(EXPECTED_REQUESTS, columns))
    sources.dispose()


def test_reference_tables_read_through_the_mapping(foreign):
    sources = mapped_sources(foreign, MAPPING)
    districts = expected(
        [("230102", "道里区", "Daoli", "district", "core", 923762),
         ("230111", "呼兰区", "Hulan", "district", "outer", 764534),
         ("230183", "尚志市", "Shangzhi", "county_city", "county", 585386)],
        ["code", "name_zh", "name_en", "kind", "group", "population"],
    )
    assert_frame_equal(read(sources, "district"), districts)
    items = expected(
        [("I1", "营业执照", "Business licence", "D1", 3), ("I2", "户口迁移", "Household transfer", "D2", 5)],
        ["code", "name_zh", "name_en", "department_code", "promised_days"],
    )
    assert_frame_equal(read(sources, "service_item"), items)
    sources.dispose()


def test_reviews_in_words_and_epoch_milliseconds(foreign):
    sources = mapped_sources(foreign, MAPPING)
    columns = ["review_id", "request_id", "district_code", "department_code", "item_code", "channel", "score",
               "created_at", "rectified_at", "visited_at", "real_name", "appeal_status", "is_default",
               "rectification_rating"]
    frame = read(sources, "review")
    frame["real_name"] = frame["real_name"].map(lambda v: None if v is None else bool(v))  # 0/1 read as a yes/no
    assert_frame_equal(frame, expected(EXPECTED_REVIEWS, columns))
    # The check says which optional columns this source provides: mapped to null or missing from the table is absent.
    assert sources.optional_columns() == {"visited_at": True, "real_name": True, "appeal_status": True,
                                          "is_default": False, "rectification_rating": False}
    optional = ("hf_time", "sm", "sszt", "visited_at", "real_name", "appeal_status", "is_default", "rectification")
    assert not [p for p in sources.check() if any(word in p for word in optional)]  # absent is no problem
    sources.dispose()


def test_indicator_months_as_text(foreign):
    sources = mapped_sources(foreign, MAPPING)
    frame = read(sources, "district_indicator").sort_values(["district_code", "value"], ignore_index=True)
    rows = [(d, None if p is None else datetime.strptime(p, "%Y-%m-%d").date(), c, v)
            for d, p, c, v in EXPECTED_INDICATORS]
    want = expected(rows, ["district_code", "period", "indicator_code", "value"])
    assert_frame_equal(frame, want.sort_values(["district_code", "value"], ignore_index=True))
    sources.dispose()


def test_ten_point_scale_is_converted_by_linear_rounding(db_url):
    md = MetaData()
    ratings = Table("ratings", md, Column("rid", String(8)), Column("grade", Integer), Column("ts", String(40)))
    sources = SqlSources({s: db_url for s in SOURCES})
    md.create_all(sources.engine("reviews"))
    grades = [*range(11), 11, -1, None]
    with sources.engine("reviews").begin() as conn:
        conn.execute(insert(ratings), [{"rid": f"R{i:02d}", "grade": g, "ts": "2024-01-02 03:04:05"}
                                       for i, g in enumerate(grades)])
    mapping = {"tables": {"review": {
        "table": "ratings",
        "columns": {"review_id": "rid", "score": "grade", "created_at": "ts", "request_id": None,
                    "district_code": None, "department_code": None, "item_code": None, "channel": None,
                    "rectified_at": None},
        "score": {"scale": "0-10"},
        "timestamps": {"created_at": "text"},
    }}}
    frame = read(mapped_sources(db_url, mapping), "review")[["review_id", "score", "created_at", "channel"]]
    want = expected(
        [(f"R{i:02d}", s, T(2024, 1, 2, 3, 4, 5), None)
         for i, s in enumerate([1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 11, -1, None])],
        ["review_id", "score", "created_at", "channel"],
    )
    assert_frame_equal(frame, want)


def test_an_aggregate_on_canonical_names_runs_in_the_source(foreign):
    sources = mapped_sources(foreign, MAPPING)
    c = sources.canonical("service_request").c
    stmt = (
        select(c.district_code, c.channel, func.count().label("n"))
        .where(c.submitted_at >= T(2023, 11, 15), c.completed_at.is_not(None) | (c.status == "rejected"))
        .group_by(c.district_code, c.channel)
        .order_by(c.district_code, c.channel)
    )
    with sources.engine("services").connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    # A03 (window, done 20:06), A05 (hotline), A06 (rejected, unmapped channel passed through), A10 (web).
    assert rows == [("230102", "window", 1), ("230111", "hotline", 1), ("230111", "传真", 1), ("230183", "web", 1)]
    sources.dispose()


def test_unmapped_labels_pass_through_for_the_bad_row_rules(foreign):
    sources = mapped_sources(foreign, MAPPING)
    c = sources.canonical("service_request").c
    stmt = select(c.request_id, c.channel, c.status).where(
        c.channel.not_in(["web", "app", "window", "self_service", "hotline"])
        | c.status.not_in(["submitted", "accepted", "completed", "rejected", "withdrawn"])
    ).order_by(c.request_id)
    with sources.engine("services").connect() as conn:
        assert [tuple(r) for r in conn.execute(stmt)] == [("A06", "传真", "rejected"), ("A08", "app", "挂起")]
    sources.dispose()


def test_the_bad_row_rules_count_what_the_mapping_passes_through(foreign):
    sources = mapped_sources(foreign, MAPPING)
    counts = quality.bad_row_counts(sources, ["230102", "230111", "230183"], T(2024, 1, 1))
    per_reason = counts.groupby(["table", "reason"])["rows"].sum().to_dict()
    assert per_reason == {
        ("service_request", "unknown_code"): 2,  # A06 channel 传真, A08 status 挂起
        ("service_request", "null_time"): 2,  # A07 on 2023-02-30, A09 with no submission time
        ("review", "bad_score"): 2,  # P4 an unlisted word, P5 no score
        ("district_indicator", "unknown_code"): 1,  # 无人机
        ("district_indicator", "null_time"): 1,  # month 2023-13
    }
    sources.dispose()


def test_check_names_a_missing_table_a_missing_column_and_untranslated_values(foreign):
    mapping = copy.deepcopy(MAPPING)
    mapping["tables"]["department"]["table"] = "bm_dept"
    mapping["tables"]["review"]["columns"]["score"] = "pj_scor"
    problems = mapped_sources(foreign, mapping).check()
    assert "services: no table 'bm_dept' (mapped to canonical department)" in problems
    assert (
        "reviews: table 'pj_evaluation' has no column 'pj_scor' (mapped to canonical review.score); "
        "did you mean 'pj_score'?"
    ) in problems
    channel = next(p for p in problems if "'gov_applications' column 'qd'" in p)
    assert "service_request.channel" in channel and "'传真'" in channel and "网上办理" not in channel
    status = next(p for p in problems if "'gov_applications' column 'zt'" in p)
    assert "'挂起'" in status
    indicator = next(p for p in problems if "'tj_zb' column 'zbdm'" in p)
    assert "'无人机'" in indicator
    assert len(problems) == 5, problems  # the review's score column is missing, so its words are not checked


def test_check_reports_words_and_a_table_left_canonical(foreign):
    mapping = copy.deepcopy(MAPPING)
    del mapping["tables"]["department"]
    problems = mapped_sources(foreign, mapping).check()
    assert "services: no table 'department' (canonical department, not renamed in the mapping)" in problems
    words = next(p for p in problems if "'pj_evaluation' column 'pj_score'" in p)
    assert "'一般般'" in words and "score.words" in words


def test_a_clean_mapping_has_no_problems(foreign):
    mapping = copy.deepcopy(MAPPING)
    tables = mapping["tables"]
    tables["service_request"]["values"]["channel"]["传真"] = "window"
    tables["service_request"]["values"]["status"]["挂起"] = "accepted"
    tables["review"]["score"]["words"]["一般般"] = 3
    tables["district_indicator"]["values"]["indicator_code"]["无人机"] = "digital_staff"
    assert mapped_sources(foreign, mapping).check() == []


def test_epoch_in_a_zone_with_daylight_saving(foreign):
    sources = mapped_sources(foreign, MAPPING, timezone="Europe/Berlin")
    problems = sources.check()
    if sources.engine("services").dialect.name == "postgresql":
        assert not any("daylight saving" in p for p in problems)
        frame = read(sources, "service_request")
        assert frame.loc[0, "completed_at"] == T(2023, 11, 14, 23, 13, 20)  # CET, +01:00 in November
    else:
        assert any(p.startswith("services: time zone Europe/Berlin changes its UTC offset") for p in problems)


def test_check_names_columns_whose_type_does_not_fit(foreign):
    mapping = copy.deepcopy(MAPPING)
    mapping["tables"]["review"]["timestamps"]["rectified_at"] = "epoch"
    mapping["tables"]["service_request"]["timestamps"].pop("submitted_at")
    sources = mapped_sources(foreign, mapping)
    problems = sources.check()
    epoch = next(p for p in problems if "column 'zg_time'" in p)
    assert epoch.startswith("reviews: table 'pj_evaluation' column 'zg_time' (mapped to canonical review.rectified_at)")
    assert epoch.endswith("but the mapping says epoch (a number)")
    native = [p for p in problems if "column 'apply_time'" in p]
    if sources.engine("services").dialect.name == "sqlite":
        assert native == []  # SQLite stores native timestamps as text: its declared types prove nothing
    else:
        assert native and native[0].endswith("not a date/time type; say text or epoch in timestamps:")


def test_schema_qualified_table_names(foreign):
    sources = mapped_sources(foreign, MAPPING)
    schema = {"sqlite": "main", "postgresql": "public"}.get(sources.engine("services").dialect.name)
    schema = schema or sources.engine("services").url.database
    mapping = copy.deepcopy(MAPPING)
    mapping["tables"]["service_item"]["table"] = f"{schema}.sx"
    mapping["tables"]["department"]["table"] = "nowhere.bm"
    sources = mapped_sources(foreign, mapping)
    assert read(sources, "service_item")["code"].tolist() == ["I1", "I2"]
    problems = sources.check()
    assert not any("'sx'" in p for p in problems)
    assert any(p.startswith("services: no schema 'nowhere' for table 'bm' (mapped to canonical department)")
               for p in problems), problems
