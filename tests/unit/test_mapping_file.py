"""Mapping files: the documented example parses, mistakes are named clearly, and a mismatch stops start-up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.dialects import sqlite

import app
from data_sources.mapping import (
    MappingError,
    build_canonical,
    canonical_tables,
    check_mapping,
    fixed_offset_seconds,
    load_mapping,
    parse_mapping,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "mapping.example.yaml"


def problems_of(data) -> list[str]:
    """The problems parse_mapping finds in a document (an empty list when it parses)."""
    try:
        parse_mapping(data)
    except MappingError as exc:
        return exc.problems
    return []


def test_the_documented_example_parses():
    mapping = load_mapping(EXAMPLE)
    assert set(mapping.tables) == set(canonical_tables())
    request = mapping.of("service_request")
    assert request.real_table("service_request") == ("ods", "gov_applications")
    assert request.real_column("submitted_at") == "apply_time" and request.time_kind("completed_at") == "epoch"
    assert request.time_kind("deadline_at") == "native"
    review = mapping.of("review")
    assert review.values["channel"]["1"] == "web"  # integer codes are read as the text they stand for
    assert review.real_column("department_code") is None
    assert review.score.scale == "words" and review.score.words["基本满意"] == 3


def test_the_example_is_the_one_the_docs_show():
    docs = (ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")
    assert "docs/examples/mapping.example.yaml" in docs
    assert EXAMPLE.read_text(encoding="utf-8").strip() in docs


def test_tables_and_columns_not_mentioned_keep_canonical_names():
    mapping = parse_mapping({"tables": {"review": {"columns": {"score": "pj_score"}}}})
    assert mapping.of("review").real_table("review") == (None, "review")
    assert mapping.of("review").real_column("created_at") == "created_at"
    assert not mapping.covers("service_request")
    assert mapping.of("service_request").real_table("service_request") == (None, "service_request")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"tables": {"applications": {}}}, "tables: 'applications' is not a canonical table (district, "),
        (
            {"tables": {"review": {"columns": {"scor": "pj_score"}}}},
            "review.columns: 'scor' is not a canonical column of review (review_id, request_id, ",
        ),
        (
            {"tables": {"service_request": {"values": {"channel": {"网上办理": "online"}}}}},
            "service_request.values.channel: '网上办理' maps to 'online', not a canonical channel "
            "(web, app, window, self_service, hotline)",
        ),
        (
            {"tables": {"service_request": {"values": {"status": {"办结": "done"}}}}},
            "service_request.values.status: '办结' maps to 'done', not a canonical status",
        ),
        (
            {"tables": {"district_indicator": {"values": {"indicator_code": {"人口": "pop"}}}}},
            "district_indicator.values.indicator_code: '人口' maps to 'pop', not a canonical indicator_code",
        ),
        (
            {"tables": {"review": {"score": {"scale": "1-100"}}}},
            "tables.review.score.scale: Input should be '1-5', 'words' or '0-10'",
        ),
        (
            {"tables": {"review": {"score": {"scale": "words"}}}},
            "review.score.words: scale words needs the words",
        ),
        (
            {"tables": {"review": {"score": {"scale": "words", "words": {"满意": 4, "超级满意": 7}}}}},
            "review.score.words: '超级满意' maps to 7, not a score 1..5",
        ),
        (
            {"tables": {"review": {"score": {"scale": "0-10", "words": {"满意": 4}}}}},
            "review.score.words: words are given only with scale: words (this is 0-10)",
        ),
        (
            {"tables": {"service_request": {"score": {"scale": "0-10"}}}},
            "service_request.score: only the review table has a score",
        ),
        (
            {"tables": {"review": {"values": {"score": {"满意": "4"}}}}},
            "review.values: 'score' is not a coded text column of review (review_id, request_id, district_code, "
            "department_code, item_code, channel, appeal_status, rectification_rating); "
            "use score: for the review scale",
        ),
        (
            {"tables": {"service_request": {"timestamps": {"channel": "epoch"}}}},
            "service_request.timestamps: 'channel' is not a timestamp column of service_request (submitted_at, "
            "completed_at, deadline_at)",
        ),
        (
            {"tables": {"service_request": {"timestamps": {"submitted_at": "unix"}}}},
            "tables.service_request.timestamps.submitted_at: Input should be 'native', 'text', 'epoch' or 'epoch_ms'",
        ),
        (
            {"tables": {"district_indicator": {"timestamps": {"period": "epoch"}}}},
            "district_indicator.timestamps.period: a month is stored native or text ('YYYY-MM'), not epoch",
        ),
        (
            {"tables": {"service_request": {"columns": {"request_id": None}}}},
            "service_request.columns: request_id cannot be null (the canonical column is required); "
            "name the real column",
        ),
        (
            {"tables": {"service_request": {"colums": {"request_id": "app_no"}}}},
            "tables.service_request.colums: unknown key (expected: table, columns, values, timestamps, score)",
        ),
        (
            {"tables": {"service_request": {"values": {"status": {True: "completed"}}}}},
            "tables.service_request.values: label True was read as a boolean: quote labels like yes, no, on, off",
        ),
        ({"tables": {"district": {"table": "a.b.c"}}}, "district.table: 'a.b.c' is not a table name or schema.table"),
        (["tables"], "the file must hold a mapping with a 'tables' key"),
    ],
)
def test_mistakes_are_named(data, expected):
    problems = problems_of(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_every_mistake_is_reported_at_once():
    data = {
        "tables": {
            "reviews": {},
            "service_request": {"columns": {"app_no": "request_id"}, "values": {"channel": {"网上": "online"}}},
        }
    }
    with pytest.raises(MappingError) as info:
        parse_mapping(data, "prod.yaml")
    assert len(info.value.problems) == 3
    text = str(info.value)
    assert text.startswith("The mapping file prod.yaml cannot be used:\n  - ")
    assert "'reviews'" in text and "'app_no'" in text and "'online'" in text


def test_json_files_and_broken_files(tmp_path):
    good = tmp_path / "mapping.json"
    good.write_text(json.dumps({"tables": {"review": {"table": "pj"}}}), encoding="utf-8")
    assert load_mapping(good).of("review").table == "pj"
    broken = tmp_path / "mapping.json"
    broken.write_text("{tables: ", encoding="utf-8")
    with pytest.raises(MappingError, match=r"mapping\.json cannot be used:\n  - not valid JSON"):
        load_mapping(broken)
    yaml_file = tmp_path / "mapping.yaml"
    yaml_file.write_text("tables: [unclosed", encoding="utf-8")
    with pytest.raises(MappingError, match=r"not valid YAML"):
        load_mapping(yaml_file)
    with pytest.raises(MappingError, match="cannot read it"):
        load_mapping(tmp_path / "missing.yaml")


def test_fixed_offsets_of_zones():
    assert fixed_offset_seconds("Asia/Shanghai") == 8 * 3600
    assert fixed_offset_seconds("Asia/Kolkata") == 5 * 3600 + 1800
    assert fixed_offset_seconds("UTC") == 0
    assert fixed_offset_seconds("Europe/Berlin") is None


def test_epoch_needs_a_fixed_offset_outside_postgresql():
    mapping = parse_mapping({"tables": {"service_request": {"timestamps": {"completed_at": "epoch"}}}})
    table = canonical_tables()["service_request"][1]
    with pytest.raises(MappingError, match="Europe/Berlin changes its UTC offset"):
        build_canonical(mapping, sqlite.dialect(), table, "Europe/Berlin")
    selectable = build_canonical(mapping, sqlite.dialect(), table, "Asia/Shanghai")
    sql = str(select(selectable).compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    assert "'unixepoch', '+28800 seconds'" in sql and "FROM service_request" in sql


def test_check_reports_what_it_cannot_reach():
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    engines = dict.fromkeys(("services", "reviews", "indicators"), engine)
    problems = check_mapping(parse_mapping({"tables": {}}), engines)
    assert [p.split(":")[0] for p in problems] == ["services", "reviews", "indicators"]
    assert all("cannot connect to check the mapping" in p for p in problems)
    engine.dispose()


def test_startup_stops_and_names_the_table_a_mapping_expects(tmp_path, monkeypatch, capsys):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("tables:\n  service_request:\n    table: gov_applications\n", encoding="utf-8")
    for source in ("services", "reviews", "indicators"):
        monkeypatch.setenv(f"ONESCREEN_{source.upper()}_URL", f"sqlite:///{tmp_path / source}.sqlite")
    monkeypatch.setenv("ONESCREEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ONESCREEN_MAPPING_FILE", str(mapping))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    assert app.main() == 2
    err = capsys.readouterr().err
    assert f"the mapping file {mapping} does not match the sources" in err
    assert "services: no table 'gov_applications' (mapped to canonical service_request)" in err
    assert "reviews: no table 'review' (canonical review, not renamed in the mapping)" in err


def test_startup_stops_on_a_mapping_file_that_cannot_be_used(tmp_path, monkeypatch, capsys):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("tables:\n  service_request:\n    values: {channel: {网上: online}}\n", encoding="utf-8")
    monkeypatch.setenv("ONESCREEN_SERVICES_URL", f"sqlite:///{tmp_path / 'services.sqlite'}")
    monkeypatch.setenv("ONESCREEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ONESCREEN_MAPPING_FILE", str(mapping))
    monkeypatch.chdir(tmp_path)
    assert app.main() == 2
    assert "'网上' maps to 'online', not a canonical channel" in capsys.readouterr().err
