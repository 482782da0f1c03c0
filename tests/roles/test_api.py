import re

import pytest

from accounts.models import ApiToken
from roles.models import Department, Employee

from ..factories import DepartmentFactory, EmployeeFactory, RoleFactory

pytestmark = pytest.mark.django_db


def test_anonymous_gets_401_with_a_message(api):
    response = api.get("/api/departments/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "credentials" in response.json()["detail"].lower()


@pytest.mark.parametrize("who", ["staff", "warehouse", "finance"])
def test_only_managers_change_the_org(request, api_as, who):
    client = api_as(request.getfixturevalue(who))
    assert client.get("/api/departments/").status_code == 200
    response = client.post("/api/departments/", {"code": "x", "name_zh": "x", "name_en": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Department.objects.filter(code="x").exists()


def test_manager_creates_department_and_role(api_as, manager):
    client = api_as(manager)
    created = client.post(
        "/api/departments/", {"code": "design", "name_zh": "美编部", "name_en": "Design"}, format="json"
    )
    assert created.status_code == 201, created.json()
    role = client.post(
        "/api/roles/",
        {
            "department": created.json()["id"],
            "code": "designer",
            "title_zh": "设计美工",
            "title_en": "Designer",
            "headcount": 2,
            "pay_grade_min": "4000.00",
            "pay_grade_max": "8000.00",
        },
        format="json",
    )
    assert role.status_code == 201, role.json()
    assert role.json()["filled"] == 0
    assert role.json()["department_code"] == "design"


def test_validation_errors_name_the_fields(api_as, manager):
    DepartmentFactory(code="taken")
    response = api_as(manager).post(
        "/api/departments/", {"code": "taken", "name_zh": "长" * 101, "name_en": "ok"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Invalid input.")
    assert set(body["errors"]) == {"code", "name_zh"}


def test_service_rules_come_back_as_field_errors(api_as, manager):
    top = RoleFactory()
    bottom = RoleFactory(reports_to=top, department=top.department)
    response = api_as(manager).patch(f"/api/roles/{top.pk}/", {"reports_to": bottom.pk}, format="json")
    assert response.status_code == 400
    assert "reports_to" in response.json()["errors"]


def test_deleting_a_department_with_roles_is_a_conflict(api_as, manager):
    role = RoleFactory()
    response = api_as(manager).delete(f"/api/departments/{role.department.pk}/")
    assert response.status_code == 409
    assert "still has roles" in response.json()["detail"]


def test_unknown_filter_parameter_is_rejected(api_as, manager):
    response = api_as(manager).get("/api/roles/", {"deparment": 1})
    assert response.status_code == 400
    assert "deparment" in response.json()["errors"]
    assert "Unknown query parameter" in response.json()["detail"]


def test_an_ordering_the_list_cannot_sort_by_is_refused(api_as, manager):
    for ordering in ("-hire_dat", "password", "hire_date,user__password", "-" * 500):
        response = api_as(manager).get("/api/employees/", {"ordering": ordering})
        assert response.status_code == 400, (ordering, response.content)
        message = response.json()["errors"]["ordering"][0]
        assert "Cannot sort by" in message and "hire_date" in message and len(message) < 2000
    sorted_ok = api_as(manager).get("/api/employees/", {"ordering": "-hire_date"})
    assert sorted_ok.status_code == 200
    dates = [row["hire_date"] for row in sorted_ok.json()["results"]]
    assert dates == sorted(dates, reverse=True)


def test_bad_filter_value_is_rejected(api_as, manager):
    response = api_as(manager).get("/api/employees/", {"hire_date_after": "2025-13-45"})
    assert response.status_code == 400
    assert "hire_date" in str(response.json()["errors"])


def test_roles_filter_search_order_paginate(api_as, manager):
    design = DepartmentFactory(code="design")
    RoleFactory.create_batch(3, department=design)
    RoleFactory(department=design, title_en="Packer of gifts")
    client = api_as(manager)
    by_department = client.get("/api/roles/", {"department_code": "design"}).json()
    assert by_department["count"] == 4
    found = client.get("/api/roles/", {"search": "gifts"}).json()
    assert [r["title_en"] for r in found["results"]] == ["Packer of gifts"]
    ordered = client.get("/api/roles/", {"ordering": "-headcount", "page_size": 2}).json()
    assert len(ordered["results"]) == 2
    assert ordered["next"]


def test_staff_see_only_their_own_employee_record(api_as, staff, other_staff):
    client = api_as(staff)
    listing = client.get("/api/employees/").json()
    assert [e["id"] for e in listing["results"]] == [staff.pk]
    assert client.get(f"/api/employees/{other_staff.pk}/").status_code == 404
    filtered = client.get("/api/employees/", {"employee_number": other_staff.employee_number}).json()
    assert filtered["count"] == 0
    searched = client.get("/api/employees/", {"search": other_staff.full_name}).json()
    assert searched["count"] == 0
    assert client.get("/api/employees/me/").json()["id"] == staff.pk


def test_personal_numbers_are_never_returned_in_full(api_as, manager, staff):
    body = api_as(manager).get(f"/api/employees/{staff.pk}/").json()
    assert "bank_account" not in body
    assert "id_number" not in body
    assert body["bank_account_masked"].endswith(staff.bank_account[-4:])
    assert staff.bank_account not in str(body)
    assert staff.id_number not in str(body)


def test_finance_reads_all_but_cannot_write(api_as, finance, staff):
    client = api_as(finance)
    assert client.get("/api/employees/").json()["count"] == 2
    response = client.patch(f"/api/employees/{staff.pk}/", {"full_name": "改名"}, format="json")
    assert response.status_code == 403


def test_manager_creates_employee_by_api(api_as, manager):
    role = RoleFactory(access_group="Warehouse")
    response = api_as(manager).post(
        "/api/employees/",
        {
            "new_username": "api-user",
            "password": "a-good-long-password",
            "employee_number": "E0777",
            "full_name": "接口员",
            "role": role.pk,
            "hire_date": "2025-05-05",
            "bank_account": "6222 0000 1111 2222 555",  # typed in groups, as printed on the card
            "id_number": "１１０１０５１９４９１２３１００２Ｘ",  # full width, from a Chinese phone keyboard
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    employee = Employee.objects.get(employee_number="E0777")
    assert (employee.bank_account, employee.id_number) == ("6222000011112222555", "11010519491231002X")
    assert employee.user.groups.get().name == "Warehouse"
    assert "password" not in response.json()


def test_employee_create_with_bad_data_saves_nothing(api_as, manager):
    role = RoleFactory()
    response = api_as(manager).post(
        "/api/employees/",
        {
            "new_username": "bad-user",
            "password": "a-good-long-password",
            "employee_number": "e 1",
            "full_name": "坏",
            "role": role.pk,
            "hire_date": "not-a-date",
            "id_number": "123",
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"employee_number", "hire_date"} <= set(response.json()["errors"])
    assert not Employee.objects.filter(full_name="坏").exists()


def test_employees_cannot_be_deleted_by_api(api_as, manager, staff):
    assert api_as(manager).delete(f"/api/employees/{staff.pk}/").status_code == 405


def test_token_authentication(api, staff):
    response = api.post("/api/auth/token/", {"username": staff.user.username, "password": "secret-pass-123"})
    token = response.json()["token"]
    stored = ApiToken.objects.get(user=staff.user)
    assert token.startswith(stored.token_key) and token not in stored.digest  # only a digest is stored
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/employees/me/").json()["id"] == staff.pk


def test_employee_list_query_count_is_flat(api_as, manager, django_assert_max_num_queries):
    client = api_as(manager)
    EmployeeFactory.create_batch(3)
    with django_assert_max_num_queries(8) as few:
        client.get("/api/employees/")
    EmployeeFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/employees/")


def test_openapi_schema_and_docs(api_as, staff, client_as):
    schema = api_as(staff).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/departments/", "/api/roles/", "/api/employees/", "/api/employees/me/"} <= set(paths)
    docs = client_as(staff).get("/api/docs/")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.content.decode()
    # Swagger UI is vendored: every script and stylesheet comes from this server, none from a CDN. (Checking the
    # addresses, not the word "cdn", which a random CSRF token on the page may contain.)
    page = docs.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(asset.startswith("/") for asset in assets), assets
