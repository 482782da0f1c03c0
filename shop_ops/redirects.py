"""Where to send the browser after a form: the one rule for every redirect that comes from the request.

A `next` field or the Referer header is the user's (or an attacker's) text: only an address on this site is
followed (same host; https when the request came over https), anything else falls back to a page we name.
"""

from __future__ import annotations

from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, *candidates: str | None, fallback: str) -> str:
    """The first of `candidates` that points at this site, else `fallback` (a URL name or path)."""
    for candidate in candidates:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return resolve_url(fallback)
