"""Request body parsing for the API (kept apart from shop_ops.api, which imports DRF's views: the settings name
this parser, and DRF's views read the settings when they are imported)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


def _has_nul(value) -> bool:
    """Walked with a list, not recursion: the depth guard (shop_ops.guards) runs before, but this must not rely
    on it."""
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


class JSONParser(parsers.JSONParser):
    """JSON bodies without NUL characters: PostgreSQL cannot store them, and no shop text needs one."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            raise exceptions.ParseError(_("Text may not contain NUL (\\u0000) characters."))
        return data
