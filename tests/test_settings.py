"""Settings: environment names, fail-fast validation, the generated secret key."""

from __future__ import annotations

import stat

import pytest

from signpost.settings import SettingsError, load_settings


def test_environment_variables_are_read_by_their_documented_names(monkeypatch, tmp_path):
    monkeypatch.setenv("SIGNPOST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/signpost")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("SIGNPOST_PORT", "9123")
    s = load_settings(_env_file=None)
    assert s.data_dir == tmp_path
    assert s.database_url == "postgresql://u@db.example/signpost"
    assert s.redis_url == "redis://127.0.0.1:6379/3"
    assert s.port == 9123
    assert not s.model_mode


def test_unset_model_variables_mean_deterministic_mode(monkeypatch):
    s = load_settings(_env_file=None)
    assert s.chat_model is None and not s.model_mode
    monkeypatch.setenv("SIGNPOST_CHAT_MODEL", "gpt-x")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert load_settings(_env_file=None).model_mode


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("SIGNPOST_PORT", "not-a-port"),
        ("SIGNPOST_PORT", "70000"),
        ("DATABASE_URL", "mysql://x"),
        ("REDIS_URL", "http://x"),
        ("OPENAI_BASE_URL", "localhost:8000"),
        ("SIGNPOST_LOG_LEVEL", "LOUD"),
    ],
)
def test_invalid_settings_fail_fast_naming_the_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    assert var in str(err.value)


def test_a_chat_model_without_an_endpoint_is_refused(monkeypatch):
    monkeypatch.setenv("SIGNPOST_CHAT_MODEL", "gpt-x")
    with pytest.raises(SettingsError, match="OPENAI_API_KEY"):
        load_settings(_env_file=None)


def test_secret_key_is_generated_once_into_the_data_dir_private(tmp_path):
    s = load_settings(data_dir=tmp_path, _env_file=None)
    first = s.resolved_secret_key()
    assert len(first) >= 40
    assert first == s.resolved_secret_key()
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_explicit_secret_key_wins_and_nothing_is_written(monkeypatch, tmp_path):
    monkeypatch.setenv("SIGNPOST_SECRET_KEY", "from-the-environment")
    s = load_settings(data_dir=tmp_path, _env_file=None)
    assert s.resolved_secret_key() == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
