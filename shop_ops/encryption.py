"""Personal numbers at rest: encrypted model fields, the keyed hash that finds them, and key rotation.

The cryptography is `cryptography`'s Fernet (AES-128-CBC with HMAC-SHA256, random IV per value) through
MultiFernet: new values are encrypted with the first key of FIELD_ENCRYPTION_KEYS, reading tries every key, so a
new key can be put first while rows written under the old one are still read; `rotate_encryption_keys` then
re-encrypts every stored value with the first key. Because each encryption differs, the database cannot compare
ciphertexts; an exact lookup goes through a keyed hash (HMAC-SHA256 with FIELD_HASH_KEY) kept in its own column.

In Python code the field holds the plain number (forms, validators, masking and the payroll export see it as
before); the database, the audit history tables (django-simple-history copies the field) and the `backup_data`
file (Django's serialiser calls `value_to_string`) only ever hold the ciphertext.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import unicodedata

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

# Every Fernet token is base64 of a version byte 0x80 and a timestamp; it starts with this prefix.
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 (not a secret: the fixed start of every token)


class DecryptionError(ImproperlyConfigured):
    """A stored value that none of the configured keys opens: a key is missing from FIELD_ENCRYPTION_KEYS."""


class UndecryptableValue(ValidationError):
    """A token given as a value (a backup being restored) that none of the configured keys opens."""


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def _keys() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    """The ciphertext of `value` under the first key; the empty string stays empty (absence is not a secret)."""
    if not value:
        return value
    return _keys().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return token
    try:
        return _keys().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise DecryptionError(
            "A stored personal number cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS; "
            "add the key it was written with (see README, Deploy: rotating keys)."
        ) from None


def reencrypt(token: str) -> str:
    """The same value under the first key (MultiFernet.rotate); a value already under the first key is unchanged
    in meaning but gets a fresh token."""
    if not token:
        return token
    try:
        return _keys().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError(
            "A stored personal number cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS."
        ) from None


def written_with_first_key(token: str) -> bool:
    if not token:
        return True
    first = Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode("ascii"))
    try:
        first.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def normalise_number(value: str) -> str:
    """The form in which numbers are hashed: NFKC (the full-width digits a Chinese input method types become 0-9),
    no spaces or hyphens, capital X (ID numbers end in a digit or X)."""
    return "".join(unicodedata.normalize("NFKC", value).split()).replace("-", "").upper()


def digest(value: str) -> str:
    """HMAC-SHA256 of the normalised number with FIELD_HASH_KEY, hex; the empty string for an empty value."""
    value = normalise_number(value or "")
    if not value:
        return ""
    key = settings.FIELD_HASH_KEY.encode("utf-8")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedCharField(models.CharField):
    """A CharField whose column holds a Fernet token; `max_length` and validators apply to the plain value.

    Only `isnull` works as a lookup: filtering, ordering by or searching in ciphertext cannot match, so any other
    lookup is refused (FieldError) rather than silently finding nothing. Use the keyed-hash column instead.
    """

    description = _("Encrypted text")

    def get_internal_type(self) -> str:
        return "TextField"  # the token is ~120 characters for a 19-digit number; the column is text

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(value)

    def to_python(self, value):
        # A backup file holds the token (see value_to_string); loading it gives the plain value back. A plain
        # number never starts with the token prefix (the validators allow digits and X only), and forms and the
        # API cap the length far below a token's.
        value = super().to_python(value)
        if isinstance(value, str) and value.startswith(TOKEN_PREFIX):
            try:
                return decrypt(value)
            except DecryptionError as error:
                raise UndecryptableValue(str(error), code="undecryptable") from None
        return value

    def value_to_string(self, obj) -> str:
        """What serialisers write (backup_data): the ciphertext, never the number."""
        return encrypt(self.value_from_object(obj) or "")

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        return None


class KeyedHashField(models.CharField):
    """The keyed hash of another field of the same row, set on every save (pre_save), for exact lookups."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, value in (("max_length", 64), ("blank", True), ("editable", False), ("default", "")):
            if kwargs.get(key) == value:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = digest(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model) -> list[EncryptedCharField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, EncryptedCharField)]


def keyed_hash_fields(model) -> list[KeyedHashField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, KeyedHashField)]


def models_with_encrypted_fields():
    """Every installed model holding an encrypted field: the live tables and their history tables."""
    from django.apps import apps

    return [model for model in apps.get_models() if not model._meta.proxy and encrypted_fields(model)]


def rotate_keys(*, batch_size: int = 500) -> dict[str, dict[str, int]]:
    """Re-encrypt every stored value with the first key and refresh every keyed hash, in batches of `batch_size`
    rows, each batch in its own transaction. Idempotent: a value already under the first key and a hash already
    current are left as they are. Returns, per table, the rows read and the rows rewritten."""
    report: dict[str, dict[str, int]] = {}
    for model in models_with_encrypted_fields():
        fields = encrypted_fields(model)
        hashes = keyed_hash_fields(model)
        table = model._meta.db_table
        counts = {"rows": 0, "rewritten": 0}
        pk = model._meta.pk.attname
        columns = [pk] + [f.attname for f in fields] + [f.attname for f in hashes]
        last = None
        while True:
            with transaction.atomic():
                rows = _raw_batch(model, columns, after=last, size=batch_size)
                if not rows:
                    break
                for row in rows:
                    counts["rows"] += 1
                    changes = _rotation_changes(dict(zip(columns, row, strict=True)), fields, hashes)
                    if changes:
                        model._base_manager.filter(pk=row[0]).update(**changes)
                        counts["rewritten"] += 1
                last = rows[-1][0]
        report[table] = counts
    return report


def _raw_batch(model, columns, *, after, size):
    """Rows as stored (tokens, not decrypted values), locked for this transaction where the database can."""
    from django.db import connection

    quote = connection.ops.quote_name
    pk = quote(columns[0])
    sql = f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(model._meta.db_table)}"  # noqa: S608
    params: list = []
    if after is not None:
        sql += f" WHERE {pk} > %s"
        params.append(after)
    sql += f" ORDER BY {pk} LIMIT %s"
    params.append(size)
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _rotation_changes(row: dict, fields, hashes) -> dict:
    changes = {}
    plain = {}
    for field in fields:
        token = row[field.attname]
        if token is None:
            continue
        if token and not token.startswith(TOKEN_PREFIX):
            plain[field.attname] = token  # written before encryption (should not happen after the migration)
            changes[field.attname] = token
            continue
        plain[field.attname] = decrypt(token)
        if not written_with_first_key(token):
            changes[field.attname] = plain[field.attname]  # the field's get_prep_value encrypts with the first key
    for field in hashes:
        wanted = digest(plain.get(field.source, ""))
        if row[field.attname] != wanted:
            changes[field.attname] = wanted
    return changes
