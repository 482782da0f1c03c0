"""Forms refuse cross-site posts, and text users typed is escaped wherever it is shown."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from roles import services

from ..factories import EmployeeFactory, RoleFactory

pytestmark = pytest.mark.django_db

POSTS = [
    ("login", {}),
    ("roles:department-create", {"code": "evil", "name_zh": "x", "name_en": "x"}),
    ("roles:employee-create", {}),
    ("roles:holidays", {"date": "2027-01-01", "kind": "holiday", "name_zh": "x"}),
    ("roles:adhoc-task", {}),
    ("inventory:movement-create", {}),
    ("inventory:count-open", {}),
]


@pytest.mark.parametrize(("name", "data"), POSTS)
def test_forms_refuse_posts_without_the_csrf_token(manager, name, data):
    client = Client(enforce_csrf_checks=True)
    if name != "login":
        client.force_login(manager.user)
    response = client.post(reverse(name), data)
    assert response.status_code == 403
    assert b"CSRF" in response.content


def test_ticks_refuse_posts_without_the_csrf_token(staff, manager):
    item = services.add_ad_hoc_task(employee=staff, title_zh="x", due_date=timezone.localdate(), by=manager.user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff.user)
    assert client.post(reverse("roles:item-tick", args=[item.pk]), HTTP_HX_REQUEST="true").status_code == 403
    item.refresh_from_db()
    assert item.status == "open"


def test_session_api_writes_need_the_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager.user)
    response = client.post("/api/departments/", {"code": "evil", "name_zh": "x", "name_en": "x"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_names_are_escaped_on_the_org_chart_and_employee_pages(client_as, manager):
    role = RoleFactory(title_en='<img src=x onerror="alert(1)">')
    employee = EmployeeFactory(role=role, full_name="<script>alert('x')</script>")
    client = client_as(manager)
    for url in (reverse("roles:org-chart"), reverse("roles:employee-detail", args=[employee.pk])):
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "<script>alert('x')</script>" not in body
        assert '<img src=x onerror="alert(1)">' not in body
        assert "&lt;script&gt;" in body


def test_nul_characters_are_refused_not_a_server_error(api_as, manager):
    client = api_as(manager)
    body = client.post("/api/departments/", {"code": "x", "name_zh": "a\u0000b", "name_en": "x"}, format="json")
    assert body.status_code == 400
    assert "NUL" in body.json()["detail"]
    query = client.get("/api/departments/", {"code": "a\u0000"})
    assert query.status_code == 400
