"""The address of the client, for the lock-out (django-axes' AXES_CLIENT_IP_CALLABLE).

With TRUSTED_PROXY_COUNT = 0 (no proxy in front) it is the connecting address (REMOTE_ADDR), and an
X-Forwarded-For header is ignored: a client cannot choose its own address. With n trusted proxies, each appends the
address it saw to X-Forwarded-For, so the nth entry from the right was written by the outermost trusted proxy and
is the client's; entries further left came from the client and are ignored. A header with fewer entries than
that (the request skipped a proxy) or an entry that is not an address falls back to the connecting address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
