"""Request plumbing: a database outage answers 503, never a 500 traceback; hostile bodies and query values are
refused before any view reads them."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from . import guards
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


def _takes_method(view_func, method: str) -> bool:
    """Whether the view answers this HTTP method (DRF viewsets map methods to actions; class-based views have a
    handler per method); function views are taken to answer all."""
    method = "get" if method.lower() == "head" else method.lower()  # Django answers HEAD with the GET handler
    actions = getattr(view_func, "actions", None)
    if actions is not None:
        return method in actions or method == "options"
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    if view_class is None:
        return True
    return method in view_class.http_method_names and hasattr(view_class, method)


def _refuse(request, message: str, status: int):
    """The guard's answer: the API's JSON error shape under /api/, a plain page (with the site's navigation)
    elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "request_refused.html", {"message": message, "status": status}, status=status)


class RequestGuardMiddleware:
    """One guard for every request, before any view, parser or authentication reads it (shop_ops/guards.py holds
    the limits):

    - bodies: larger than DATA_UPLOAD_MAX_MEMORY_SIZE (multipart uploads: REQUEST_MAX_UPLOAD_BYTES) → 413, refused
      on the declared length before a byte is read; JSON nested deeper than MAX_JSON_DEPTH → 400, found without
      parsing (and so without recursion);
    - query values: control characters (NUL...), values over MAX_QUERY_VALUE_CHARS, and dates, months and years
      outside FIRST_YEAR..LAST_YEAR → 400;
    - form fields (urlencoded or multipart POST bodies; uploaded files are left to the upload checks): control
      characters other than tab, CR and LF → 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.check_body(request) or self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After URL resolution, so a method the view does not take still gets its 405 (and an unknown URL its 404).
        if not _takes_method(view_func, request.method):
            return None
        return self.check_query(request) or self.check_form(request)

    @staticmethod
    def check_body(request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        content_type = request.META.get("CONTENT_TYPE", "").lower()
        multipart = content_type.startswith("multipart/")
        limit = settings.REQUEST_MAX_UPLOAD_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            logger.warning("Request body refused: %s %s, %d bytes", request.method, request.path, length)
            return _refuse(
                request,
                _("The request is too large (%(size)s); the limit is %(limit)s.")
                % {"size": filesizeformat(length), "limit": filesizeformat(limit)},
                413,
            )
        if length and "json" in content_type.split(";")[0]:
            try:
                body = request.body
            except RequestDataTooBig:
                return _refuse(request, _("The request is too large."), 413)
            if guards.json_too_deep(body):
                return _refuse(
                    request,
                    _("The JSON document nests deeper than %(n)d levels.") % {"n": guards.MAX_JSON_DEPTH},
                    400,
                )
        return None

    @staticmethod
    def check_query(request):
        for name, values in request.GET.lists():
            for value in values:
                problem = guards.query_problem(name, value)
                if problem:
                    return _refuse(request, problem, 400)
        return None

    @staticmethod
    def check_form(request):
        content_type = request.META.get("CONTENT_TYPE", "").lower().split(";")[0].strip()
        if request.method != "POST" or content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return None
        try:
            fields = request.POST  # Django and DRF both reuse this parse; CsrfViewMiddleware reads it too
        except MultiPartParserError:
            return _refuse(request, _("The form data could not be read."), 400)
        for name, values in fields.lists():
            for value in values:
                problem = guards.form_value_problem(name, value)
                if problem:
                    return _refuse(request, problem, 400)
        return None
