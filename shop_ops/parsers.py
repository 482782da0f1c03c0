"""Request body parsing for the API (kept apart from shop_ops.api, which imports DRF's views: the settings name
this parser, and DRF's views read the settings when they are imported)."""

import codecs

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.utils import json

from . import guards

# Field names in error messages are cut to this length (the unknown-key check does the same).
MAX_NAMED_KEY_CHARS = 100


class _DuplicateKey(Exception):  # not a ValueError: the JSON decoder must not turn it into a syntax error
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """An object's members, refusing a key given twice: json keeps the last one, so {"employee": 3, "employee": 1}
    would act on employee 1 while a log or a proxy that reads the first sees employee 3."""
    found = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def _field_name(path: str) -> str:
    return guards.shown_safely(path)[:MAX_NAMED_KEY_CHARS] or "non_field_errors"


def _bad_text_at(data) -> str | None:
    """The path (`components.0.name`) of the first key or string with characters guards.has_forbidden_characters
    refuses, or None. Walked with a list, not recursion: the depth guard (shop_ops.guards) runs before, but this
    must not rely on it."""
    pending = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if guards.has_forbidden_characters(value):
                return path
        elif isinstance(value, dict | list):
            members = value.items() if isinstance(value, dict) else enumerate(value)
            inner = []
            for key, item in members:
                key_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and guards.has_forbidden_characters(key):
                    return key_path
                inner.append((key_path, item))
            pending.extend(reversed(inner))  # the first member is looked at first
    return None


class JSONParser(parsers.JSONParser):
    """JSON bodies as a client means them: each key once in an object, and text without control characters
    (other than tab, CR and LF; PostgreSQL cannot store NUL) or bidirectional overrides, the same rule as form
    fields (shop_ops.guards.has_forbidden_characters). Refusals are 400 naming the field."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=json.strict_constant if self.strict else None,
                object_pairs_hook=_unique_keys,
            )
        except _DuplicateKey as duplicate:
            message = _("This key is given more than once in the JSON body; give each key once.")
            raise exceptions.ValidationError({_field_name(duplicate.key): [message]}) from None
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON parse error - %s") % str(exc)) from None  # DRF's words, translated
        path = _bad_text_at(data)
        if path is not None:
            message = _(
                "Text may not contain control characters (such as NUL) or text-direction overrides "
                "(U+202A to U+202E, U+2066 to U+2069)."
            )
            raise exceptions.ValidationError({_field_name(path): [message]})
        return data
