"""API plumbing shared by every app: strict filter parameters, pagination and one JSON error shape.

Every error body is {"detail": "<one readable sentence>", "errors": {"<field>": ["..."]}} ("errors" only when
fields are at fault), so a client needs one code path for all of them.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ShopOpsError

ALWAYS_ALLOWED_PARAMS = {"format"}


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class StrictDjangoFilterBackend(DjangoFilterBackend):
    """Reject query parameters nobody handles: a typo such as ?deparment=3 must not silently return everything."""

    def filter_queryset(self, request, queryset, view):
        unknown = sorted(set(request.query_params) - self.allowed_params(request, queryset, view))
        if unknown:
            allowed = ", ".join(sorted(self.allowed_params(request, queryset, view)))
            raise exceptions.ValidationError(
                {name: [f"Unknown query parameter. Allowed: {allowed}."] for name in unknown}
            )
        return super().filter_queryset(request, queryset, view)

    def allowed_params(self, request, queryset, view) -> set[str]:
        allowed = set(ALWAYS_ALLOWED_PARAMS)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            for name, filter_ in filterset_class.base_filters.items():
                allowed.add(name)
                suffixes = getattr(filter_.field_class.widget, "suffixes", None)
                for suffix in suffixes or ():
                    allowed.add(f"{name}_{suffix}" if suffix else name)
        if getattr(view, "search_fields", None):
            allowed.add("search")
        if getattr(view, "ordering_fields", None) or getattr(view, "ordering", None):
            allowed.add("ordering")
        paginator = getattr(view, "paginator", None)
        if paginator is not None:
            for attr in ("page_query_param", "page_size_query_param"):
                if getattr(paginator, attr, None):
                    allowed.add(getattr(paginator, attr))
        allowed.update(getattr(view, "extra_query_params", ()))
        return allowed


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            return message if field in ("non_field_errors", "detail") else f"{field}: {message}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def exception_handler(exc, context):
    if isinstance(exc, ShopOpsError):
        body = {"detail": exc.message}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"detail": f"Invalid input. {_first_message(errors)}", "errors": errors}
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response
