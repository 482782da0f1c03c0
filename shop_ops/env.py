"""Reading configuration from the environment.

django-environ does the parsing; this module adds the strictness it lacks: a malformed value stops start-up
with ImproperlyConfigured naming the variable, instead of silently turning into a default.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

env = environ.Env()


def read_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={raw!r} is not a boolean; use one of: true, false, 1, 0, yes, no."
    )


def read_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={raw!r} must be at least {minimum}.")
    return value


def read_database(name: str, default_sqlite: Path) -> dict:
    raw = env.str(name, default=None)
    if raw is None or not raw.strip():
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default_sqlite)}
    try:
        config = environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ImproperlyConfigured(f"Environment variable {name} is not a valid database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a postgres:// or sqlite:// URL, got scheme for {engine!r}."
        )
    if engine == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured(f"Environment variable {name} names no database (postgres://host/<name>).")
    return config


def read_url(name: str, *, schemes: set[str]) -> str | None:
    raw = env.str(name, default=None)
    if raw is None or not raw.strip():
        return None
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} must start with one of: "
            + ", ".join(sorted(f"{s}://" for s in schemes))
        )
    return raw


def read_list(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    items = [item.strip() for item in env.list(name) if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"Environment variable {name} is set but lists nothing.")
    return items


def read_time_zone(name: str, default: str) -> str:
    value = env.str(name, default=default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a known time zone (e.g. Asia/Shanghai)."
        ) from None
    return value
