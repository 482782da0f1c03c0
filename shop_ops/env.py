"""Reading configuration from the environment.

django-environ does the parsing; this module adds the strictness it lacks: a malformed value stops start-up
with ImproperlyConfigured naming the variable, instead of silently turning into a default.
"""

from __future__ import annotations

import base64
import hashlib
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


def _development_key(label: str, secret_key: str) -> bytes:
    return hashlib.sha256(f"shop_ops {label} development key:{secret_key}".encode()).digest()


def read_fernet_keys(name: str, *, required: bool, secret_key: str) -> list[str]:
    """Comma-separated Fernet keys, newest first. Without the variable and with `required` off (DEBUG), one
    development key derived from SECRET_KEY, so a local checkout runs without setup."""
    from cryptography.fernet import Fernet

    raw = env.str(name, default=None)
    if raw is None or not raw.strip():
        if required:
            raise ImproperlyConfigured(
                f"Environment variable {name} is required when DEBUG is off (comma-separated Fernet keys, newest "
                "first; generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            )
        return [base64.urlsafe_b64encode(_development_key("field encryption", secret_key)).decode("ascii")]
    keys = [item.strip() for item in raw.split(",") if item.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeError):
            # The key itself is never echoed: the message would end up in logs.
            raise ImproperlyConfigured(
                f"Environment variable {name}: key number {position} is not a Fernet key "
                "(32 bytes in URL-safe base64, 44 characters)."
            ) from None
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured(f"Environment variable {name} lists the same key twice.")
    return keys


def read_hash_key(name: str, *, required: bool, secret_key: str) -> str:
    """The key of the keyed hash (HMAC-SHA256) used to look personal numbers up; at least 32 characters."""
    raw = env.str(name, default=None)
    if raw is None or not raw.strip():
        if required:
            raise ImproperlyConfigured(
                f"Environment variable {name} is required when DEBUG is off (at least 32 random characters; "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')."
            )
        return _development_key("field hash", secret_key).hex()
    if len(raw.strip()) < 32:
        raise ImproperlyConfigured(f"Environment variable {name} must be at least 32 characters.")
    return raw.strip()
