"""Settings come from ONESCREEN_* variables, and a bad value stops start-up with what to set."""

from __future__ import annotations

from pathlib import Path

import pytest

import app
from dashboard.settings import Settings, SettingsError, load_settings


def test_defaults_are_the_embedded_demo(make_settings, tmp_path):
    settings = make_settings()
    assert (settings.host, settings.port, settings.language) == ("127.0.0.1", 8050, "zh")
    assert settings.embedded
    assert settings.redis_url is None
    url = settings.source_url("reviews")
    assert url.startswith("sqlite:///") and url.endswith("data/reviews.sqlite")


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("ONESCREEN_PORT", "9001")
    monkeypatch.setenv("ONESCREEN_LANGUAGE", "en")
    monkeypatch.setenv("ONESCREEN_SERVICES_URL", "postgresql+psycopg://u@db/x")
    monkeypatch.setenv("ONESCREEN_REDIS_URL", "")
    settings = load_settings(_env_file=None)
    assert settings.port == 9001 and settings.language == "en"
    assert settings.source_url("services") == "postgresql+psycopg://u@db/x"
    assert not settings.embedded
    assert settings.redis_url is None


def test_dotenv_file_is_read(tmp_path):
    env = tmp_path / ".env"
    env.write_text("ONESCREEN_DATA_DIR=/srv/onescreen\nONESCREEN_PORT=8100\n")
    settings = load_settings(_env_file=env)
    assert settings.data_dir == Path("/srv/onescreen") and settings.port == 8100


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ONESCREEN_PORT", "eighty"),
        ("ONESCREEN_PORT", "70000"),
        ("ONESCREEN_LANGUAGE", "fr"),
        ("ONESCREEN_REDIS_URL", "http://cache:6379"),
        ("ONESCREEN_INDICATORS_URL", "not a url"),
        ("ONESCREEN_DIMENSION_WEIGHTS", "happiness=3"),
        ("ONESCREEN_DIMENSION_WEIGHTS", "service=lots"),
        ("ONESCREEN_DIMENSION_WEIGHTS", "service=0,satisfaction=0,openness=0,infrastructure=0,talent=0,security=0"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    assert name in str(err.value) and repr(value) in str(err.value)


def test_bad_value_stops_start_up_with_a_message(monkeypatch, capsys):
    monkeypatch.setenv("ONESCREEN_PORT", "eighty")
    assert app.main() == 2
    err = capsys.readouterr().err
    assert "ONESCREEN_PORT='eighty'" in err and "Traceback" not in err


def test_unknown_city_stops_start_up(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("ONESCREEN_CITY", "atlantis")
    monkeypatch.setenv("ONESCREEN_DATA_DIR", str(tmp_path))
    assert app.main() == 2
    assert "ONESCREEN_CITY='atlantis'" in capsys.readouterr().err


def test_every_field_has_help():
    assert all(info.description for info in Settings.model_fields.values())


def test_dimension_weights_are_parsed(monkeypatch):
    monkeypatch.setenv("ONESCREEN_DIMENSION_WEIGHTS", " service=2, talent=0.5 ")
    assert load_settings(_env_file=None).weights == {"service": 2.0, "talent": 0.5}
