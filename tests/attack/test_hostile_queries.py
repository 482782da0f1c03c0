"""Every page and every API GET of the permission matrix, as every group, with hostile query values: no 500.

Pages get every query parameter any page reads, all set to one hostile value at a time; API lists get each of their
documented parameters on its own (a 400 for one parameter would hide what another does). The group that may use a
URL walks every value; the others (who are redirected or refused before the view reads anything) one each. The
guards answer 400 (API, JSON error shape) or a plain 400 page; out-of-range pages give the last page (pages) or
404 (API), as Django's and DRF's paginators do.
"""

from __future__ import annotations

import re
import time
from io import StringIO
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from accounts.services import issue_api_token

from ..test_permission_matrix import GROUPS, LOGIN_AS, MATRIX, objects

# The query parameters pages read (request.GET in the views); a page ignores those it does not know.
PAGE_PARAMS = (
    "q", "page", "people", "user", "kind", "since", "until", "month", "year", "start", "end", "period",
    "department", "role", "status", "show", "location", "employee", "below", "missing", "reference", "sku",
)  # fmt: skip

# One value per kind of hostility; each is sent percent-encoded as UTF-8, except the raw ones (already encoded).
HOSTILE = [
    "a\x00b",
    "\x1b[2J\x07",
    "99999999999999999999",
    "-1",
    "0",
    "400",
    "9999-12",
    "9999-12-31",
    "0001-01-01",
    "10000-01",
    "1e309",
    "x" * 3000,
    "人员🙂\u202e",
]
RAW = ["%ff%fe", "%c0%80", "%ed%a0%80"]  # bytes that are not UTF-8: an overlong NUL, a lone surrogate
# API parameters are sent one at a time: the kinds that reach a filter (the others are refused by the one guard
# in front of every view, which the pages' walk exercises in full).
API_HOSTILE = ["a\x00b", "99999999999999999999", "-1", "400", "9999-12-31", "x" * 3000, "人员🙂\u202e"]
API_RAW = RAW[:1]


def query(names, value: str, *, raw: bool = False) -> str:
    encoded = value if raw else quote(value, safe="")
    return "&".join(f"{name}={encoded}" for name in names)


def api_parameters() -> dict[re.Pattern, list[str]]:
    """Documented query parameters of every API GET operation, keyed by its path as a pattern."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = {}
    for path, operations in schema["paths"].items():
        if "get" in operations:
            names = [p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"]
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
            found[pattern] = sorted(set(names) | {"page"} if "page" in names else set(names))
    return found


def params_for(url: str, documented: dict) -> list[str]:
    for pattern, names in documented.items():
        if pattern.match(url):
            return names
    return []


@pytest.mark.django_db
def test_hostile_query_values_never_give_500(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", password="hostile-pass-123", stdout=StringIO())
    from django.contrib.auth import get_user_model

    users = {group: get_user_model().objects.get(username=name) for group, name in LOGIN_AS.items()}
    users["no_group"] = get_user_model().objects.create_user("no-group", password="hostile-pass-123")
    tokens = {group: issue_api_token(user=user)[1] for group, user in users.items()}
    kwargs = objects()
    documented = api_parameters()
    # One signed-in client per group for pages; API requests carry the token on a client without a session.
    clients = {group: Client(raise_request_exception=False) for group in GROUPS}
    for group, user in users.items():
        clients[group].force_login(user)
    api_client = Client(raise_request_exception=False)
    failures, requests, started = [], 0, time.monotonic()

    def get(url, group, is_api):
        nonlocal requests
        requests += 1
        # A database error aborts PostgreSQL's transaction: keep it to this request so the walk goes on.
        savepoint = transaction.savepoint()
        if is_api:
            headers = {"HTTP_AUTHORIZATION": f"Token {tokens[group]}"} if group != "anonymous" else {}
            response = api_client.get(url, **headers)
        else:
            response = clients[group].get(url)
        if response.status_code >= 500:
            failures.append(f"{url[:160]} as {group}: {response.status_code}")
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
        return response

    for name, (key, expected) in sorted(MATRIX.items()):
        if name in {"api-token", "api-schema", "api-docs", "health"}:
            continue
        base = reverse(name, kwargs=kwargs[key] if key else None)
        is_api = base.startswith("/api/")
        names = params_for(base, documented) if is_api else PAGE_PARAMS
        allowed = [group for group in GROUPS if expected[group] == "ok"]
        for group in GROUPS:
            if group not in allowed[:1]:
                # Refused or redirected before the view reads its query: one hostile request is enough.
                get(f"{base}?{query(names or ['q'], chr(0))}", group, is_api)
                continue
            for each in [names] if not is_api else [[n] for n in names]:
                for value in API_HOSTILE if is_api else HOSTILE:
                    get(f"{base}?{query(each, value)}", group, is_api)
                for value in API_RAW if is_api else RAW:
                    get(f"{base}?{query(each, value, raw=True)}", group, is_api)
                get(f"{base}?{query(each, '1')}&{query(each, '2')}", group, is_api)  # repeated parameters
            if not names:
                get(f"{base}?page=400&q=%00", group, is_api)
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} of {requests} requests gave 500 ({elapsed:.0f} s):\n" + "\n".join(
        failures[:80]
    )
