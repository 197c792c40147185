"""Configuration is validated at start-up with messages that name the variable."""

from __future__ import annotations

import stat

import pytest

from memoria.config import ConfigError, load_config


def env(tmp_path, **values):
    return {"MEMORIA_DATA_DIR": str(tmp_path / "data"), **values}


def test_it_runs_with_no_configuration_at_all(tmp_path):
    config = load_config(env(tmp_path))
    assert config.database_url == f"sqlite:///{tmp_path / 'data' / 'memoria.sqlite3'}"
    assert config.allowed_hosts == ["127.0.0.1", "localhost", "[::1]"]
    assert config.master_key_file == tmp_path / "data" / "keys" / "master.key"
    assert not config.production


def test_it_generates_the_secret_key_once_and_keeps_it_private(tmp_path):
    first = load_config(env(tmp_path)).secret_key
    second = load_config(env(tmp_path)).secret_key
    assert first == second and len(first) >= 50
    mode = (tmp_path / "data" / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_it_requires_a_secret_key_and_hosts_in_production(tmp_path):
    with pytest.raises(ConfigError, match="MEMORIA_SECRET_KEY is required"):
        load_config(env(tmp_path, MEMORIA_PRODUCTION="true"))
    with pytest.raises(ConfigError, match="MEMORIA_ALLOWED_HOSTS is required"):
        load_config(env(tmp_path, MEMORIA_PRODUCTION="true", MEMORIA_SECRET_KEY="k" * 60))


def test_it_rejects_a_short_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="at least 50 characters"):
        load_config(env(tmp_path, MEMORIA_SECRET_KEY="short"))


def test_it_names_the_variable_of_a_bad_boolean(tmp_path):
    with pytest.raises(ConfigError, match="MEMORIA_DEBUG must be one of"):
        load_config(env(tmp_path, MEMORIA_DEBUG="maybe"))


def test_it_rejects_an_unknown_database_scheme(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_URL must start with"):
        load_config(env(tmp_path, DATABASE_URL="mysql://root@localhost/memoria"))


def test_it_accepts_postgresql(tmp_path):
    url = "postgres://postgres@127.0.0.1:5432/memoria"
    config = load_config(env(tmp_path, DATABASE_URL=url))
    assert config.database_url == url and not config.uses_sqlite


def test_it_validates_e_mail_settings(tmp_path):
    with pytest.raises(ConfigError, match="MEMORIA_EMAIL_PORT must be a whole number"):
        load_config(env(tmp_path, MEMORIA_EMAIL_HOST="smtp.example", MEMORIA_EMAIL_PORT="x"))
    with pytest.raises(ConfigError, match="cannot both be on"):
        load_config(env(tmp_path, MEMORIA_EMAIL_USE_TLS="1", MEMORIA_EMAIL_USE_SSL="1"))
    config = load_config(
        env(tmp_path, MEMORIA_EMAIL_HOST="smtp.example", MEMORIA_EMAIL_USE_TLS="1")
    )
    assert config.email.port == 587


def test_it_refuses_debug_in_production(tmp_path):
    with pytest.raises(ConfigError, match="MEMORIA_DEBUG cannot be on"):
        load_config(env(tmp_path, MEMORIA_PRODUCTION="1", MEMORIA_DEBUG="1"))


def test_finished_jobs_are_kept_30_days_unless_set_and_at_least_1(tmp_path):
    assert load_config(env(tmp_path)).jobs_keep_days == 30
    assert load_config(env(tmp_path, MEMORIA_JOBS_KEEP_DAYS="7")).jobs_keep_days == 7
    for wrong in ("0", "-3", "a week"):
        with pytest.raises(ConfigError, match="MEMORIA_JOBS_KEEP_DAYS"):
            load_config(env(tmp_path, MEMORIA_JOBS_KEEP_DAYS=wrong))


def test_finished_jobs_are_kept_at_most_a_century(tmp_path):
    # "For ever" written as a million days would make the worker's prune fail every
    # hour (a date before year 1): refused at start-up instead.
    assert load_config(env(tmp_path, MEMORIA_JOBS_KEEP_DAYS="36500")).jobs_keep_days == 36500
    for wrong in ("36501", "1000000", "99999999999"):
        with pytest.raises(ConfigError, match="MEMORIA_JOBS_KEEP_DAYS must be at most 36500"):
            load_config(env(tmp_path, MEMORIA_JOBS_KEEP_DAYS=wrong))


def test_the_reports_publication_delay_is_at_most_ten_years(tmp_path):
    # A delay meant as "never" (a billion hours) made every public feed fail
    # on a date before year 1: refused at start-up instead.
    loaded = load_config(env(tmp_path, MEMORIA_REPORTS_PUBLISH_DELAY_HOURS="87600"))
    assert loaded.reports.publish_delay_hours == 87600
    for wrong in ("87601", "1000000000"):
        with pytest.raises(
            ConfigError, match="MEMORIA_REPORTS_PUBLISH_DELAY_HOURS must be at most 87600"
        ):
            load_config(env(tmp_path, MEMORIA_REPORTS_PUBLISH_DELAY_HOURS=wrong))


def test_the_network_small_count_is_5_unless_set_and_at_least_2(tmp_path):
    assert load_config(env(tmp_path)).network_small_count == 5
    assert load_config(env(tmp_path, MEMORIA_NETWORK_SMALL_COUNT="10")).network_small_count == 10
    with pytest.raises(ConfigError, match="MEMORIA_NETWORK_SMALL_COUNT"):
        load_config(env(tmp_path, MEMORIA_NETWORK_SMALL_COUNT="1"))
