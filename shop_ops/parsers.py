"""Request body parsing for the API (kept apart from shop_ops.api, which imports DRF's views: the settings name
this parser, and DRF's views read the settings when they are imported)."""

from rest_framework import exceptions, parsers


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    """JSON bodies without NUL characters: PostgreSQL cannot store them, and no shop text needs one."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            raise exceptions.ParseError("Text may not contain NUL (\\u0000) characters.")
        return data
