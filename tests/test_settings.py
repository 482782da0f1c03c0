"""Configuration comes from the environment; a bad value stops start-up with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from shop_ops import env as shop_env

ROOT = Path(__file__).resolve().parent.parent


def start_django(**overrides) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    environment.update(overrides)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DEBUG", "maybe", "DEBUG"),
        ("DATABASE_URL", "mysql://root@localhost/shop", "DATABASE_URL"),
        ("DATABASE_URL", "postgres://", "DATABASE_URL"),
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE"),
        ("CELERY_BROKER_URL", "http://127.0.0.1:6379", "CELERY_BROKER_URL"),
        ("DB_CONN_MAX_AGE", "sixty", "DB_CONN_MAX_AGE"),
    ],
)
def test_malformed_value_stops_start_up_naming_the_variable(variable, value, expected):
    result = start_django(**{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert expected in result.stderr.splitlines()[-1]


FERNET_KEY = "q3VlYtlC0n0rq7bM6Ts6I0w1n0cM6p2mXo7Zq1S3b4E="
PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "shop.example.com",
    "SECRET_KEY": "k" * 60,
    "FIELD_ENCRYPTION_KEYS": FERNET_KEY,
    "FIELD_HASH_KEY": "h" * 40,
}


def test_secret_key_required_when_debug_is_off():
    result = start_django(**{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS is required when DEBUG is off"),
        ({"FIELD_HASH_KEY": ""}, "FIELD_HASH_KEY is required when DEBUG is off"),
        ({"FIELD_ENCRYPTION_KEYS": f"{FERNET_KEY},not-a-key"}, "FIELD_ENCRYPTION_KEYS: key number 2 is not a Fernet"),
        ({"FIELD_ENCRYPTION_KEYS": f"{FERNET_KEY},{FERNET_KEY}"}, "FIELD_ENCRYPTION_KEYS lists the same key twice"),
        ({"FIELD_HASH_KEY": "short"}, "FIELD_HASH_KEY must be at least 32 characters"),
    ],
)
def test_encryption_keys_are_required_and_checked_when_debug_is_off(overrides, message):
    result = start_django(**{**PRODUCTION, **overrides})
    assert result.returncode != 0
    assert message in result.stderr.splitlines()[-1]
    assert "not-a-key" not in result.stderr.splitlines()[-1]  # a key is never echoed into logs


def test_development_keys_come_from_secret_key(monkeypatch):
    monkeypatch.delenv("FIELD_ENCRYPTION_KEYS", raising=False)
    monkeypatch.delenv("FIELD_HASH_KEY", raising=False)
    one = shop_env.read_fernet_keys("FIELD_ENCRYPTION_KEYS", required=False, secret_key="a" * 50)
    assert one == shop_env.read_fernet_keys("FIELD_ENCRYPTION_KEYS", required=False, secret_key="a" * 50)
    assert one != shop_env.read_fernet_keys("FIELD_ENCRYPTION_KEYS", required=False, secret_key="b" * 50)
    assert len(shop_env.read_hash_key("FIELD_HASH_KEY", required=False, secret_key="a" * 50)) == 64
    monkeypatch.setenv("FIELD_ENCRYPTION_KEYS", f" {FERNET_KEY} , ")
    assert shop_env.read_fernet_keys("FIELD_ENCRYPTION_KEYS", required=True, secret_key="") == [FERNET_KEY]


def test_production_settings_start_with_secret_key_and_hosts():
    result = start_django(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_defaults_need_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert shop_env.read_database("DATABASE_URL", default_sqlite=tmp_path / "db.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "db.sqlite3"),
    }
    monkeypatch.delenv("TIME_ZONE", raising=False)
    assert shop_env.read_time_zone("TIME_ZONE", default="Asia/Shanghai") == "Asia/Shanghai"


def test_postgres_url_is_parsed(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    config = shop_env.read_database("DATABASE_URL", default_sqlite=tmp_path / "x")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "test"
    assert config["HOST"] == "127.0.0.1"


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), ("no", False), ("off", False)])
def test_booleans_accept_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert shop_env.read_bool("SOME_FLAG", default=not expected) is expected


def test_allowed_hosts_list(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example.com, b.example.com")
    assert shop_env.read_list("ALLOWED_HOSTS", default=[]) == ["a.example.com", "b.example.com"]
    monkeypatch.setenv("ALLOWED_HOSTS", " , ")
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        shop_env.read_list("ALLOWED_HOSTS", default=[])


def test_languages_are_chinese_first_then_english():
    from shop_ops import settings as project_settings

    assert project_settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in project_settings.LANGUAGES] == ["zh-hans", "en"]
    assert project_settings.TIME_ZONE == "Asia/Shanghai"


@pytest.mark.parametrize(("flag", "expected"), [(None, "True 5"), ("false", "None None")])
def test_postgres_uses_prepared_statements_unless_switched_off(flag, expected):
    environment = {k: v for k, v in os.environ.items() if k != "DB_PREPARED_STATEMENTS"}
    environment["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/test"
    if flag is not None:
        environment["DB_PREPARED_STATEMENTS"] = flag
    code = (
        "import django; django.setup(); from django.conf import settings; o = settings.DATABASES['default']['OPTIONS'];"
        " print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == expected, result.stderr
