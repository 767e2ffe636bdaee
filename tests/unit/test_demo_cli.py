"""`python -m dashboard demo` and the embedded first start write synthetic data into the SQLite sources."""

from __future__ import annotations

import sqlite3

from cli import main
from data_sources.embedded import prepare_embedded


def count(path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_demo_command_fills_the_three_sqlite_sources(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ONESCREEN_DATA_DIR", str(tmp_path))
    assert main(["demo", "--scale", "5000", "--end", "2026-11-22"]) == 0
    assert count(tmp_path / "services.sqlite", "service_request") == 5000
    assert count(tmp_path / "services.sqlite", "district") == 18
    assert count(tmp_path / "services.sqlite", "service_item") >= 50
    assert 1200 < count(tmp_path / "reviews.sqlite", "review") < 1600
    assert count(tmp_path / "indicators.sqlite", "district_indicator") >= 18 * 36 * 9
    out = capsys.readouterr().out
    assert "Synthetic" in out and "duplicate_id" in out


def test_first_start_generates_once(make_settings, city, capsys):
    settings = make_settings(demo_scale=2_000)
    prepare_embedded(settings, city).dispose()
    assert "SYNTHETIC demo data" in capsys.readouterr().err
    services = settings.data_dir / "services.sqlite"
    assert count(services, "service_request") == 2_000
    with sqlite3.connect(services) as conn:
        conn.execute("DELETE FROM service_request WHERE rowid % 2 = 0")  # a later start keeps whatever is there
    remaining = count(services, "service_request")
    prepare_embedded(settings, city).dispose()
    assert capsys.readouterr().err == ""
    assert count(services, "service_request") == remaining
