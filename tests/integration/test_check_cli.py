"""`python -m dashboard check` prints counts per source and reason that match the source rows."""

from __future__ import annotations

from sqlalchemy import insert

from cli import main
from data_sources.sql import SqlSources
from tests.conftest import fixed_env
from tests.integration.test_quality import BAD, GOOD


def test_check_prints_every_reason_with_its_count(tmp_path, monkeypatch, capsys, city):
    url = f"sqlite:///{tmp_path / 'all.sqlite'}"
    src = SqlSources({"services": url, "reviews": url, "indicators": url})
    src.create_schema()
    for table in GOOD:
        with src.engine(src.source_of(table)).begin() as conn:
            conn.execute(insert(src.table(src.source_of(table), table)), GOOD[table] + list(BAD[table].values()))
    for name, value in fixed_env(services_url=url, reviews_url=url, indicators_url=url).items():
        monkeypatch.setenv(name, value)
    assert main(["check", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "services.service_request: 9 rows, 6 bad" in out
    assert "reviews.review: 10 rows, 7 bad" in out
    assert "indicators.district_indicator: 9 rows, 6 bad" in out
    assert out.count("duplicate_id                         1") == 3


def test_check_with_a_bad_setting_says_what_to_set(monkeypatch, capsys):
    monkeypatch.setenv("ONESCREEN_TIMEZONE", "Mars/Olympus")
    assert main(["check"]) == 2
    assert "ONESCREEN_TIMEZONE='Mars/Olympus'" in capsys.readouterr().err
