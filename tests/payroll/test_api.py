"""Payroll API: the permission matrix, own-payslips-only for staff, 409 for locked runs, errors that point."""

import datetime
from decimal import Decimal

import pytest

from payroll import services
from payroll.choices import RunStatus
from payroll.models import Adjustment, PayrollRun, Payslip

from .conftest import MONTH, plain_structure, run_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(sales_employee, finance, staff):
    employee = sales_employee()
    plain_structure(staff.role)
    services.save_pay_profile(employee=staff, user=None, base_salary=staff.role.pay_grade_min)
    run = run_month()
    services.approve_run(run=run, user=finance.user)
    return run, employee


@pytest.fixture
def everyone(manager, finance, warehouse, staff):
    return {"manager": manager, "finance": finance, "warehouse": warehouse, "staff": staff}


# (method, url, body) -> who gets 2xx; everyone else 403.
def _matrix(approved_run):
    month = MONTH.strftime("%Y-%m")
    return [
        ("get", "/api/payroll/runs/", None, {"manager", "finance"}),
        ("get", "/api/payroll/structures/", None, {"manager", "finance"}),
        ("get", "/api/payroll/components/", None, {"manager", "finance"}),
        ("get", "/api/payroll/sales/", None, {"manager", "finance"}),
        ("get", "/api/payroll/adjustments/", None, {"manager", "finance"}),
        ("get", "/api/payroll/attendance/", None, {"manager", "finance"}),
        ("get", "/api/payroll/payslips/", None, {"manager", "finance", "warehouse", "staff"}),
        ("post", f"/api/payroll/runs/{approved_run.pk}/export/", {}, {"finance"}),
        ("get", "/api/payroll/exports/", None, {"finance"}),
        ("post", "/api/payroll/runs/start/", {"month": "2026-04"}, {"finance"}),
        (
            "post",
            "/api/payroll/sales/",
            {"month": month, "department": "marketing", "sales": "1", "gross_profit": "1"},
            set(),
        ),
    ]


def test_permission_matrix(api_as, approved, everyone):
    run, _employee = approved
    for method, url, body, allowed in _matrix(run):
        for name, person in everyone.items():
            client = api_as(person)
            response = client.get(url) if method == "get" else getattr(client, method)(url, body, format="json")
            if name in allowed:
                assert response.status_code < 300, (name, url, response.status_code, response.content[:300])
            else:
                assert response.status_code in (403, 409), (name, url, response.status_code)
            if url.endswith("start/") and response.status_code < 300:
                PayrollRun.objects.filter(month=datetime.date(2026, 4, 1)).delete()


def test_anonymous_gets_401_or_403(api):
    assert api.get("/api/payroll/payslips/").status_code in (401, 403)
    assert api.post("/api/payroll/runs/start/", {"month": "2026-03"}).status_code in (401, 403)


def test_staff_see_only_their_own_payslips(api_as, approved, staff, other_staff):
    run, employee = approved
    response = api_as(staff).get("/api/payroll/payslips/")
    assert response.status_code == 200
    numbers = {row["employee_number"] for row in response.json()["results"]}
    assert numbers == {staff.employee_number}
    other = Payslip.objects.get(run=run, employee=employee)
    assert api_as(staff).get(f"/api/payroll/payslips/{other.pk}/").status_code == 404
    # Filters and search never widen the set.
    assert api_as(staff).get(f"/api/payroll/payslips/?employee={employee.pk}").json()["results"] == []
    assert api_as(staff).get(f"/api/payroll/payslips/?search={employee.full_name}").json()["results"] == []
    assert api_as(other_staff).get("/api/payroll/payslips/").json()["results"] == []


def test_payslip_detail_explains_every_line(api_as, approved, finance):
    run, employee = approved
    slip = Payslip.objects.get(run=run, employee=employee)
    body = api_as(finance).get(f"/api/payroll/payslips/{slip.pk}/").json()
    codes = [line["code"] for line in body["lines"]]
    assert codes[:3] == ["base_pay", "profit_share", "rewards"]
    assert "income_tax" in codes
    base = body["lines"][0]
    assert base["explanation"].endswith("= 10,000.00")
    assert base["inputs"]["base"] == "10000.00"


def test_start_run_and_second_start_is_409(api_as, finance, sales_employee, django_capture_on_commit_callbacks):
    sales_employee()
    client = api_as(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/payroll/runs/start/", {"month": "2026-03"}, format="json")
    assert response.status_code == 202
    assert response.json()["month"] == "2026-03"
    run = PayrollRun.objects.get()
    assert run.status == RunStatus.READY  # eager Celery in unit tests computed it already
    PayrollRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    response = client.post("/api/payroll/runs/start/", {"month": "2026-03"}, format="json")
    assert response.status_code == 409
    assert "already running" in response.json()["detail"]


def test_approve_mark_paid_and_locked_runs_are_409(api_as, finance, manager, sales_employee):
    employee = sales_employee()
    run = run_month()
    client = api_as(finance)
    assert client.post(f"/api/payroll/runs/{run.pk}/approve/").json()["status"] == "approved"
    assert client.post(f"/api/payroll/runs/{run.pk}/approve/").status_code == 409
    response = api_as(manager).post(
        "/api/payroll/adjustments/",
        {"month": "2026-03", "employee": employee.pk, "kind": "bonus", "amount": "100", "reason": "late"},
        format="json",
    )
    assert response.status_code == 409
    assert "read-only" in response.json()["detail"]
    assert not Adjustment.objects.exists()
    client = api_as(finance)  # api_as re-authenticates the one shared client
    response = client.post(f"/api/payroll/runs/{run.pk}/mark-paid/")
    assert response.json()["status"] == "paid", response.content
    assert client.post("/api/payroll/runs/start/", {"month": "2026-03"}, format="json").status_code == 409


def test_bad_input_gets_a_400_naming_the_field(api_as, manager, finance, sales_employee):
    employee = sales_employee()
    client = api_as(manager)
    response = client.post(
        "/api/payroll/adjustments/",
        {"month": "2026-03", "employee": employee.pk, "kind": "bonus", "amount": "-5", "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "amount" in response.json()["errors"]
    response = client.post(
        "/api/payroll/adjustments/",
        {"month": "2099-01", "employee": employee.pk, "kind": "bonus", "amount": "5", "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "future" in response.json()["detail"]
    response = api_as(finance).post("/api/payroll/runs/start/", {"month": "may"}, format="json")
    assert response.status_code == 400
    assert api_as(finance).get("/api/payroll/payslips/?monht=2026-03").status_code == 400


def test_structure_version_and_preview_via_api(api_as, manager, payroll_world, sales_employee):
    sales_employee()
    structure = payroll_world["structure"]
    client = api_as(manager)
    bad = {
        "effective_from": "2026-03",
        "components": [{"code": "base_pay", "name": "Base", "kind": "earning", "formula": "bsae * 2"}],
    }
    response = client.post(f"/api/payroll/structures/{structure.pk}/versions/", bad, format="json")
    assert response.status_code == 400
    assert "unknown name 'bsae' at column 1" in response.json()["detail"]
    good = {**bad, "components": [{"code": "base_pay", "name": "Base", "kind": "earning", "formula": "base * 2"}]}
    preview = client.post(
        f"/api/payroll/structures/{structure.pk}/preview/",
        {"components": good["components"], "month": "2026-03"},
        format="json",
    )
    assert preview.status_code == 200
    assert preview.json()["employees"][0]["net_difference"] is not None
    response = client.post(f"/api/payroll/structures/{structure.pk}/versions/", good, format="json")
    assert response.status_code == 201
    assert structure.versions.count() == 2


def test_sales_input_by_finance(api_as, finance, payroll_world):
    response = api_as(finance).post(
        "/api/payroll/sales/",
        {"month": "2026-03", "department": "marketing", "sales": "900000.00", "gross_profit": "300000.00"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["entered_by"] == finance.user.username
    again = api_as(finance).post(
        "/api/payroll/sales/",
        {"month": "2026-03", "department": "marketing", "sales": "1", "gross_profit": "2"},
        format="json",
    )
    assert again.status_code == 400
    assert Decimal(api_as(finance).get("/api/payroll/sales/?month=2026-03").json()["results"][0]["sales"]) == 900000


def test_payslip_list_query_count_does_not_grow(api_as, finance, sales_employee, django_assert_max_num_queries):
    for _ in range(3):
        sales_employee()
    run_month()
    with django_assert_max_num_queries(6):
        first = api_as(finance).get("/api/payroll/payslips/")
    assert first.status_code == 200
    assert len(first.json()["results"]) == 5


def test_openapi_schema_lists_the_payroll_endpoints(api_as, finance):
    schema = api_as(finance).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content.decode()
    for path in ("/api/payroll/runs/start/", "/api/payroll/runs/{id}/approve/", "/api/payroll/payslips/{id}/"):
        assert path in schema


def test_settings_endpoints_by_role(api_as, manager, finance, staff, payroll_world, sales_employee):
    employee = sales_employee()
    policy = api_as(finance).get("/api/payroll/insurance-policies/").json()["results"][0]
    response = api_as(finance).patch(
        f"/api/payroll/insurance-policies/{policy['id']}/", {"pension_employee": "0.0900"}, format="json"
    )
    assert response.status_code == 200 and response.json()["pension_employee"] == "0.0900"
    assert (
        api_as(finance)
        .patch(f"/api/payroll/insurance-policies/{policy['id']}/", {"pension_employee": "8"}, format="json")
        .status_code
        == 400
    )
    assert (
        api_as(manager).patch(f"/api/payroll/insurance-policies/{policy['id']}/", {}, format="json").status_code == 403
    )
    response = api_as(manager).post(
        "/api/payroll/pay-profiles/", {"employee": employee.pk, "base_salary": "12000.00"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert (
        api_as(finance).post("/api/payroll/pay-profiles/", {"employee": employee.pk, "base_salary": "1"}).status_code
        == 403
    )
    response = api_as(finance).post(
        "/api/payroll/pool-rules/", {"department": "marketing", "rate": "0.35"}, format="json"
    )
    assert response.status_code == 201
    assert api_as(staff).get("/api/payroll/pool-rules/").status_code == 403


def _finance_login_by_api(api, creator, role, username):
    api.force_authenticate(creator)
    return api.post(
        "/api/employees/",
        {
            "new_username": username,
            "password": "a-good-long-password",
            "employee_number": "E0999",
            "full_name": "冒名会计",
            "role": role.pk,
            "hire_date": "2025-05-05",
        },
        format="json",
    )


def test_a_manager_cannot_make_a_login_that_approves_payroll(api, manager, finance, superuser, sales_employee):
    """Issue 12: a manager made a Finance login by API, which approved the run and downloaded every bank account.
    Now only a superuser gives Finance rights; the login a superuser makes does approve (the rule, not a break)."""
    sales_employee()
    refused = _finance_login_by_api(api, manager.user, finance.role, "acct-by-manager")
    assert refused.status_code == 403
    assert "Only a superuser can give Finance rights" in refused.json()["detail"]
    look_alike = _finance_login_by_api(api, manager.user, finance.role, "f\u0456nance")
    assert look_alike.status_code == 400 and "new_username" in look_alike.json()["errors"]
    made = _finance_login_by_api(api, superuser, finance.role, "acct-by-admin")
    assert made.status_code == 201, made.json()
    run = run_month()  # after the new person: a run computed before would be stale (they are paid this month too)
    from django.contrib.auth import get_user_model

    api.force_authenticate(get_user_model().objects.get(username="acct-by-admin"))
    assert api.post(f"/api/payroll/runs/{run.pk}/approve/").status_code == 200
    assert api.post(f"/api/payroll/runs/{run.pk}/export/").status_code in (201, 202)
