"""Request plumbing: a database outage answers 503, never a 500 traceback."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError

from .api import service_unavailable

logger = logging.getLogger(__name__)

# What Django raises when PostgreSQL is down, restarting or unreachable (connection refused, closed, timed out).
DATABASE_DOWN = (OperationalError, InterfaceError)


class DatabaseUnavailableMiddleware:
    """Turn a view's "database unreachable" error into a 503 page (the JSON error shape under /api/).

    Errors outside views (e.g. saving the session) reach `shop_ops.api.server_error`, which answers the same way.
    The broken connection is dropped at the end of the request (CONN_HEALTH_CHECKS), so the next request after
    PostgreSQL is back connects afresh and succeeds.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN):
            logger.error("Database unavailable: %s %s: %s", request.method, request.path, exception)
            return service_unavailable(request)
        return None
