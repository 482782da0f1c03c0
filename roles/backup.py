"""Export and re-import of all business data as one JSON file (Django's serialisation, natural keys).

For a running PostgreSQL the routine backup is pg_dump (see README "Deploy"); this file format is for moving a
shop between databases (SQLite → PostgreSQL), for restoring into a fresh database, and for tests that prove a
round trip loses nothing.

Bank account and ID numbers are written as they are stored, encrypted (shop_ops/encryption.py): restoring the file
needs the keys it was written with among FIELD_ENCRYPTION_KEYS.
"""

from __future__ import annotations

import datetime
import gzip
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.test.utils import override_settings

from shop_ops.encryption import UndecryptableValue
from shop_ops.exceptions import ConflictError

# Everything except what `migrate` recreates (content types, permissions) and what is transient (sessions,
# admin log, login-failure counters).
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry", "axes"]
# shop_ops holds the job outbox: jobs started while the broker was away travel with the backup and are sent
# after a restore (their job rows are in the backup too).
BUSINESS_APPS = ["auth", "roles", "payroll", "inventory", "django_celery_beat", "shop_ops"]


def business_models():
    excluded_apps = {e for e in EXCLUDED if "." not in e}
    excluded_models = {e for e in EXCLUDED if "." in e}
    for model in apps.get_models():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        app = model._meta.app_label
        if app in BUSINESS_APPS and app not in excluded_apps and label not in excluded_models and not model._meta.proxy:
            yield model


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes to milliseconds; a backup keeps the microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


def _objects():
    models = serializers.sort_dependencies(
        [(config, None) for config in apps.get_app_configs() if config.label in BUSINESS_APPS], allow_cycles=True
    )
    wanted = set(business_models())
    for model in models:
        if model in wanted:
            yield from model._base_manager.order_by(model._meta.pk.name).iterator(chunk_size=2000)


def export_data(*, path: Path) -> int:
    """Write every business row to `path` (.json or .json.gz); returns the number of objects."""
    counter = _Counter(_objects())
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as handle:
        serializers.serialize(
            "json",
            counter,
            stream=handle,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=False,  # keep every id, so links by id (history, audit) survive
            cls=_ExactEncoder,
        )
    return counter.count


class _Counter:
    def __init__(self, iterable):
        self.iterable = iterable
        self.count = 0

    def __iter__(self):
        for item in self.iterable:
            self.count += 1
            yield item


@transaction.atomic
def import_data(*, path: Path, replace: bool = False) -> int:
    """Load a file written by `export_data` into this database, all or nothing; returns the number of objects.

    A database that already holds employees is refused unless `replace` is set, which deletes the business rows
    first. The rows that migrations seed (access groups, the holiday calendar) are replaced by the file's.
    """
    from .models import Employee

    if Employee.objects.exists() and not replace:
        raise ConflictError("This database already holds employees; restore into a fresh database or use --replace.")
    for model in reversed(list(business_models())):
        model._base_manager.all().delete()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        text = handle.read()
    # loaddata reads files by name and format; an uncompressed copy next to the backup keeps that simple.
    fixture = Path(path).with_name(Path(path).name.removesuffix(".gz") + ".restore.json")
    fixture.write_text(text, encoding="utf-8")
    try:
        # The file carries the audit history itself; loading must not add history rows of its own (group
        # memberships are set through m2m signals, which django-simple-history would record).
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("loaddata", str(fixture), verbosity=0)
    except DeserializationError as error:
        if _caused_by(error, UndecryptableValue):
            raise ConflictError(
                "The personal numbers in this backup were encrypted with a key that FIELD_ENCRYPTION_KEYS does not "
                "hold; restore with the keys of the shop that wrote it (they may follow your own)."
            ) from None
        raise
    finally:
        fixture.unlink(missing_ok=True)
    return text.count('"model":')


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    while error is not None:
        if isinstance(error, kind):
            return True
        error = error.__cause__ or error.__context__
    return False
