"""API plumbing shared by every app: strict filter parameters, pagination and one JSON error shape.

Every error body is {"detail": "<one readable sentence>", "errors": {"<field>": ["..."]}} ("errors" only when
fields are at fault), so a client needs one code path for all of them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from http import HTTPStatus

from django import forms
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults
from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from .deletion import protected_error_message
from .exceptions import ShopOpsError
from .numbers import parse_whole_number

ALWAYS_ALLOWED_PARAMS = {"format"}


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if len(values) > 1 or (values and not values[0].strip()):
            raise exceptions.ValidationError({self.page_query_param: [_("Give one page number, or leave it out.")]})
        return super().get_page_number(request, paginator)

    def get_page_size(self, request):
        # DRF quietly falls back to the default for a bad page_size; say what is wrong instead.
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        size = parse_whole_number(raw[0], maximum=self.max_page_size) if len(raw) == 1 else None
        if not size:
            message = _("A whole number from 1 to %(maximum)d.") % {"maximum": self.max_page_size}
            raise exceptions.ValidationError({self.page_size_query_param: [message]})
        return size


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` with a field the list cannot be sorted by is an error naming the ones it can, never silently
    the default order (`?ordering=-net_pya` looked sorted)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            raise exceptions.ValidationError(
                {
                    self.ordering_param: [
                        _("Cannot sort by %(fields)s. Sort by one of: %(allowed)s (a leading - reverses).")
                        % {"fields": ", ".join(term[:100] for term in unknown[:5]), "allowed": ", ".join(valid)}
                    ]
                }
            )
        return list(fields)


class StrictDjangoFilterBackend(DjangoFilterBackend):
    """Reject query parameters nobody handles: a typo such as ?deparment=3 must not silently return everything."""

    def filter_queryset(self, request, queryset, view):
        unknown = sorted(set(request.query_params) - self.allowed_params(request, queryset, view))
        if unknown:
            allowed = ", ".join(sorted(self.allowed_params(request, queryset, view)))
            raise exceptions.ValidationError(
                {name: [_("Unknown query parameter. Allowed: %(allowed)s.") % {"allowed": allowed}] for name in unknown}
            )
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None:
            if not filterset.is_valid():
                raise exceptions.ValidationError(filterset.errors)
            self.check_values_were_used(request, filterset)
        return super().filter_queryset(request, queryset, view)

    @staticmethod
    def check_values_were_used(request, filterset) -> None:
        """A value the filter could not read (an empty or malformed boolean, a second value for a one-value
        filter) is an error, never a filter silently dropped."""
        errors = {}
        for name, filter_ in filterset.filters.items():
            widget = filter_.field_class.widget
            suffixes = getattr(widget, "suffixes", None) or [None]
            multiple = issubclass(filter_.field_class, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
            cleaned = filterset.form.cleaned_data.get(name)
            for suffix in suffixes:
                param = f"{name}_{suffix}" if suffix else name
                values = request.query_params.getlist(param)
                if not values:
                    continue
                if len(values) > 1 and not multiple:
                    errors[param] = [_("Give this parameter once.")]
                elif any(value.strip() == "" for value in values):
                    errors[param] = [_("Give a value, or leave the parameter out.")]
                elif isinstance(filter_, BooleanFilter) and values[0].lower() not in {"true", "false", "1", "0"}:
                    errors[param] = [_("Use true or false.")]
                elif isinstance(cleaned, slice):
                    part = cleaned.start if suffix in ("after", "min") else cleaned.stop
                    if part is None:
                        errors[param] = [_("Enter a valid value.")]
                elif cleaned is None:
                    errors[param] = [_("Enter a valid value.")]
        if errors:
            raise exceptions.ValidationError(errors)

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
    if isinstance(exc, ProtectedError | RestrictedError):
        # Services delete through shop_ops.deletion.delete_record, which names the record; this is the net below.
        return Response({"detail": protected_error_message(exc)}, status=status.HTTP_409_CONFLICT)
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


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "One readable sentence."},
        "errors": {
            "type": "object",
            "description": "Messages per field at fault (a list of messages, or per item for list fields).",
        },
    },
    "required": ["detail"],
}
ERROR_STATUSES = {
    "400": "Invalid input (the fields at fault are named).",
    "401": "Not signed in.",
    "403": "Signed in, but not allowed.",
    "404": "No such record, or not visible to you.",
    "409": "Clashes with the current state (e.g. a closed period, or a delete that other records block: named).",
    "413": "The request body is too large.",
    "415": "The request body's content type is not accepted.",
    "429": "Too many failed log-ins.",
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the JSON error shape for the statuses
    it can answer with, so clients (and schemathesis) know what to expect."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            wanted = ["400", "401", "403", "404"]
            if method != "get":
                wanted.extend(["409", "413", "415"])
            if path.endswith("/auth/token/"):
                wanted.append("429")
            for code in wanted:
                responses.setdefault(
                    code,
                    {"description": ERROR_STATUSES[code], "content": {"application/json": {"schema": reference}}},
                )
    return result


class Router(DefaultRouter):
    """The project's API router: record ids in URLs are numbers, so `/api/roles/abc/` is a plain 404 instead of
    reaching a view with an id it cannot use."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None and getattr(viewset, "lookup_field", "pk") in (
            "pk",
            "id",
        ):
            viewset.lookup_value_regex = r"[0-9]+"
        return super().get_lookup_regex(viewset, lookup_prefix)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """404 as the API's JSON error under /api/, Django's page elsewhere."""
    if _wants_json(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def _is_json(response) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _error_sentence(status_code: int) -> str:
    messages = {
        400: _("Bad request."),
        403: _("You do not have permission to perform this action."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        500: _("Server error; it has been logged."),
    }
    if status_code in messages:
        return messages[status_code]
    try:
        return f"{HTTPStatus(status_code).phrase}."
    except ValueError:
        return _("Request failed.")


def as_json_error(response):
    """An error response under /api/ in the API's JSON shape: DRF's own error body (rendered as the browsable
    page for a browser) as JSON, anything else (Django's debug 404 and 500 pages, a CSRF failure page) as one
    sentence for its status. Headers such as Allow and Retry-After are kept."""
    data = getattr(response, "data", None)
    body = data if isinstance(data, dict) and "detail" in data else {"detail": _error_sentence(response.status_code)}
    converted = JsonResponse(body, status=response.status_code)
    for header, value in response.items():
        if header.lower() not in ("content-type", "content-length"):
            converted[header] = value
    converted.cookies = response.cookies
    return converted


class ApiErrorsAsJsonMiddleware:
    """Every error under /api/ is JSON, whatever produced it (README, API: errors are always JSON): with DEBUG on,
    Django answers an unknown URL or an uncaught error with its HTML debug pages, bypassing handler404/handler500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 400 and _wants_json(request) and not _is_json(response):
            return as_json_error(response)
        return response


def service_unavailable(request):
    """503 while the database is unreachable: the API's JSON error under /api/, a plain page elsewhere. Rendered
    without the request context, whose user and session would need the database."""
    retry_after = "30"
    if _wants_json(request):
        response = JsonResponse(
            {"detail": _("The database is unavailable for a moment; try again in a minute.")}, status=503
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = retry_after
    return response


def server_error(request):
    """500 as the API's JSON error under /api/, Django's page elsewhere; 503 when the database is unreachable
    (an error outside the views, e.g. while saving the session)."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return service_unavailable(request)
    if _wants_json(request):
        return JsonResponse({"detail": _("Server error; it has been logged.")}, status=500)
    return defaults.server_error(request)


def make_text_fields_strict() -> None:
    """DRF turns a JSON number into text for a text field ({"name": 0} becomes "0"), and takes a JSON number for a
    decimal (money) field that the schema documents as a string. A client sending a number where a string belongs
    has a bug worth telling it about — for money, a float on its way to becoming an amount — so both accept only
    strings. Called once at start-up (roles.apps)."""
    from rest_framework import serializers

    decimal_message = 'Send this number as a string, such as "1234.50" (a JSON number may lose digits).'
    # A record named by its code (SlugRelatedField, e.g. a location's warehouse) is documented as a string: a JSON
    # number there is refused too, not looked up as the code "5".
    code_message = "Send the code as a string."
    strict = (
        (serializers.CharField, None),
        (serializers.DecimalField, decimal_message),
        (serializers.SlugRelatedField, code_message),
    )
    for field_class, message in strict:
        if getattr(field_class, "_shopops_strict", False):
            continue
        lenient = field_class.to_internal_value

        def to_internal_value(self, data, lenient=lenient, message=message):
            if not isinstance(data, str):
                if message:
                    raise serializers.ValidationError(message, code="invalid")
                self.fail("invalid")
            return lenient(self, data)

        field_class.to_internal_value = to_internal_value
        field_class._shopops_strict = True


# Form fields a browser adds to any form it posts; never a field of ours.
IGNORED_BODY_KEYS = frozenset({"csrfmiddlewaretoken"})
MAX_NAMED_UNKNOWN_KEYS = 20


def make_serializers_refuse_unknown_keys() -> None:
    """DRF drops body keys a serializer has no field for, so `{"quantiy": 5}` was accepted as if the quantity had
    been left out. Every serializer (top-level, nested and list items, so every JSON body the API reads) refuses
    them instead, with 400 naming each unknown key, just as StrictDjangoFilterBackend does for query parameters.
    Keys of read-only fields (`id`, timestamps) are known and ignored as before, so a record read can be sent
    back. Called once at start-up (roles.apps)."""
    if getattr(serializers.Serializer, "_shopops_strict", False):
        return
    lenient = serializers.Serializer.to_internal_value

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data.keys() - self.fields.keys() - IGNORED_BODY_KEYS)
            if unknown:
                allowed = ", ".join(name for name, field in self.fields.items() if not field.read_only)
                message = f"Unknown field. Allowed: {allowed}." if allowed else "Unknown field: send no fields here."
                errors = {key[:100]: [message] for key in unknown[:MAX_NAMED_UNKNOWN_KEYS]}
                if len(unknown) > MAX_NAMED_UNKNOWN_KEYS:
                    errors["non_field_errors"] = [f"{len(unknown)} unknown fields in all."]
                raise serializers.ValidationError(errors, code="unknown_field")
        return lenient(self, data)

    serializers.Serializer.to_internal_value = to_internal_value
    serializers.Serializer._shopops_strict = True


class QueueWaitFields(serializers.Serializer):
    """`waiting_for_queue` and `queue_message` of a job: whether its message waits in the job outbox because the job
    queue (Redis) was unreachable. One outbox query for a whole list of jobs, kept in the list's shared context.
    A subclass names the selector that picks the waiting ones: `waiting_ids(list_of_jobs) -> set of ids`."""

    waiting_for_queue = serializers.SerializerMethodField(
        help_text="True while the job waits for the job queue (Redis was unreachable when it was requested)."
    )
    queue_message = serializers.SerializerMethodField(help_text="What to tell the user while waiting_for_queue.")

    waiting_ids = None

    def get_waiting_for_queue(self, job) -> bool:
        key = f"_waiting_{type(self).__name__}"
        if key not in self.context:
            parent = self.parent
            shown = parent.instance if isinstance(parent, serializers.ListSerializer) else [self.instance]
            self.context[key] = type(self).waiting_ids(list(shown or [job]))
        return job.pk in self.context[key]

    def get_queue_message(self, job) -> str | None:
        from .jobs import QUEUE_UNAVAILABLE

        return str(QUEUE_UNAVAILABLE) if self.get_waiting_for_queue(job) else None


@extend_schema_field({"type": "string", "nullable": True, "readOnly": True, "example": "王芳"})
class PersonNameField(serializers.Field):
    """Who did something, as people know them (|person: the employee's 姓名, the login only for a login with no
    employee record), beside the login field API clients already read: `created_by_name =
    PersonNameField(source="created_by")`. Select the login's employee along (roles.selectors.with_names)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", "The person's name (姓名); null for nobody.")
        super().__init__(**kwargs)

    def to_representation(self, user) -> str:
        from .templatetags.shop_ops_format import person

        return person(user)
