"""The request guard (shop_ops/middleware.py, limits in shop_ops/guards.py): bodies too large or too deep, and
hostile query values, are refused with 400/413 before any view, parser or authentication reads them."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory.imports import MAX_IMPORT_BYTES
from payroll.imports import MAX_FILE_BYTES
from shop_ops import guards

pytestmark = pytest.mark.django_db


def nested(depth: int) -> bytes:
    return b'{"username": ' + b"[" * depth + b"]" * depth + b', "password": "x"}'


@pytest.mark.parametrize("url", ["/api/auth/token/", "/api/departments/"])
def test_deeply_nested_json_is_refused_anonymously_with_400(url):
    client = Client(raise_request_exception=True)
    response = client.post(url, nested(600), content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper than 32" in response.json()["detail"]


def test_json_up_to_the_depth_limit_reaches_the_view(api_as, manager):
    inner = guards.MAX_JSON_DEPTH - 1  # inside the outer object: 32 levels in all
    body = '{"code": "deep", "name_zh": "深", "name_en": ' + "[" * inner + "]" * inner + "}"
    response = api_as(manager).post("/api/departments/", body, content_type="application/json")
    assert response.status_code == 400  # the serializer's verdict on name_en, not the guard's
    assert "name_en" in response.json()["errors"]
    too_deep = body.replace("[", "[[", 1).replace("]", "]]", 1)
    response = api_as(manager).post("/api/departments/", too_deep, content_type="application/json")
    assert "nests deeper" in response.json()["detail"]


def test_the_depth_scan_ignores_brackets_inside_strings_and_is_linear():
    assert not guards.json_too_deep(json.dumps({"text": "[" * 10_000 + '\\"{{{'}).encode())
    assert guards.json_too_deep(b"[" * 33 + b"]" * 33)
    assert not guards.json_too_deep(b"[" * 32 + b"]" * 32)
    assert guards.json_too_deep(b'{"a": "\\\\"' + b", " + b"[" * 40)  # an escaped backslash ends the string
    started = time.perf_counter()
    assert guards.json_too_deep(b"[" * 2_000_000)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("url", ["/api/auth/token/", "/api/departments/", "/accounts/login/"])
def test_a_body_declared_at_50_mb_is_refused_with_413_before_it_is_read(url):
    # The test client's body is 2 bytes: anything that tried to read the declared 50 MB would fail.
    response = Client().post(url, "{}", content_type="application/json", CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert response.status_code == 413
    body = response.json()["detail"] if url.startswith("/api/") else response.content.decode()
    assert "too large" in body


def test_a_real_50_mb_json_body_is_refused_anonymously_at_once():
    started = time.perf_counter()
    response = Client().post("/api/auth/token/", b" " * (50 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert time.perf_counter() - started < 1


def test_a_form_body_over_the_limit_gets_a_plain_413_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = f"username={'x' * 20_000}&password=y"
    response = client.post("/accounts/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert b"request-refused" in response.content


def test_the_upload_limit_stays_above_every_import_limit(settings):
    assert max(MAX_IMPORT_BYTES, MAX_FILE_BYTES, settings.UPLOAD_MAX_BYTES) < settings.REQUEST_MAX_UPLOAD_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 50 * 1024 * 1024


def test_a_multipart_upload_under_the_upload_limit_reaches_the_import(api_as, warehouse):
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("moves.csv", b"sku,location,quantity\n" + b"x" * (3 * 1024 * 1024))
    response = api_as(warehouse).post("/api/inventory/imports/", {"file": big}, format="multipart")
    assert response.status_code == 400  # the import's own verdict on the file, not the guard's 413
    assert "too large" not in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/employees/", "manager"),
        ("/payroll/payslips/", "staff"),
        ("/inventory/", "warehouse"),
        ("/audit/", "finance"),
        ("/inventory/catalogue/", "warehouse"),
        ("/inventory/orders/", "warehouse"),
        ("/inventory/summary/", "warehouse"),
    ],
)
@pytest.mark.parametrize("query", ["q=%00", "user=%00", "q=a%1bb", "month=9999-12", "since=0001-01-01"])
def test_pages_answer_hostile_query_values_with_a_plain_400_page(client_as, request, url, who, query):
    response = client_as(request.getfixturevalue(who)).get(f"{url}?{query}")
    assert response.status_code == 400
    assert b'data-testid="request-refused"' in response.content


@pytest.mark.parametrize(
    "query",
    ["search=%00", "month=9999-12", "month=10000-01", "q=" + "x" * 1001, "year=99999999999999999999", "%00=1"],
)
def test_the_api_answers_hostile_query_values_with_a_json_400(api_as, manager, query):
    response = api_as(manager).get(f"/api/inventory/summary/?{query}")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_ordinary_query_values_pass(api_as, client_as, manager):
    assert api_as(manager).get("/api/inventory/summary/?month=9998-11&q=人员").status_code == 200
    assert client_as(manager).get("/employees/?q=王%20小明").status_code == 200


def test_the_summary_export_refuses_a_month_without_a_next_month(api_as, warehouse):
    response = api_as(warehouse).post("/api/inventory/summary/export/", {"month": "9999-12"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["month"]


def test_the_summary_export_page_refuses_it_with_a_message(client_as, warehouse):
    response = client_as(warehouse).post(reverse("inventory:summary-export"), {"month": "9999-12"}, follow=True)
    assert response.status_code == 200
    assert "Choose a month between" in response.content.decode()


def test_audit_pages_past_the_end_give_the_last_page(client_as, finance):
    client = client_as(finance)
    for page in ("400", "99999999999999999999"):
        response = client.get(f"/audit/?page={page}")
        assert response.status_code == 200
        assert response.context["page"].number == response.context["page"].paginator.num_pages


def test_a_head_request_is_guarded_like_a_get(client_as, manager):
    assert client_as(manager).head("/employees/?q=%00").status_code == 400


def test_a_method_the_view_does_not_take_still_gets_405(api_as, client_as, manager):
    assert api_as(manager).generic("TRACE", "/api/holidays/?year=0").status_code == 405
    assert client_as(manager).generic("TRACE", "/employees/?q=%00").status_code == 405


@pytest.mark.parametrize("htmx", [False, True])
def test_a_form_field_with_nul_is_refused_with_a_400_page_and_nothing_is_stored(client_as, staff, manager, htmx):
    from roles import services
    from roles.models import ChecklistItem

    item = services.add_ad_hoc_task(
        employee=staff, title_zh="整理", title_en="Tidy", due_date=timezone.localdate(), by=manager.user
    )
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client_as(staff).post(reverse("roles:item-tick", args=[item.pk]), {"note": "a\x00b"}, **headers)
    assert response.status_code == 400
    assert "control characters" in response.content.decode()
    assert ChecklistItem.objects.get(pk=item.pk).status == "open"


@pytest.mark.parametrize("field", [{"q": "x\x00y"}, {"q": "a\x1bb"}, {"x\x00": "1"}, {"q": "\x85"}])
def test_the_summary_export_page_refuses_control_characters_in_its_form(client_as, warehouse, field):
    response = client_as(warehouse).post(reverse("inventory:summary-export"), {"month": "2026-11", **field})
    assert response.status_code == 400
    assert b'data-testid="request-refused"' in response.content


def test_the_form_guard_answers_in_chinese(client_as, warehouse, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = client_as(warehouse)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("inventory:summary-export"), {"month": "2026-11", "q": "x\x00"})
    assert "控制字符" in response.content.decode()


def test_tabs_and_line_breaks_in_a_form_pass_the_guard(client_as, staff, manager):
    from roles import services

    item = services.add_ad_hoc_task(
        employee=staff, title_zh="整理", title_en="Tidy", due_date=timezone.localdate(), by=manager.user
    )
    response = client_as(staff).post(reverse("roles:item-tick", args=[item.pk]), {"note": "a\tb\r\nc"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "done" and item.note == "a\tb\r\nc"


def test_uploaded_file_contents_are_left_to_the_upload_checks(api_as, warehouse):
    from django.core.files.uploadedfile import SimpleUploadedFile

    hostile = SimpleUploadedFile("moves.csv", b"sku,location,quantity\n\x00\x1b,\x00,1\n")
    response = api_as(warehouse).post("/api/inventory/imports/", {"file": hostile}, format="multipart")
    assert "control characters" not in response.content.decode()
