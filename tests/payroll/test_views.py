"""Payroll pages: who sees what, forms that show the service's refusals, the what-if preview."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payroll import services
from payroll.models import Adjustment, PayrollRun, Payslip, StructureVersion

from .conftest import MONTH, plain_structure, run_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(sales_employee, finance, staff):
    employee = sales_employee()
    plain_structure(staff.role)
    run = run_month()
    services.approve_run(run=run, user=finance.user)
    return run, employee


def test_pages_by_role(client_as, approved, manager, finance, staff, warehouse):
    run, employee = approved
    slip = Payslip.objects.get(run=run, employee=employee)
    export = services.request_export(run=run, user=finance.user)  # a small run: written at once
    pages = {
        reverse("payroll:run-list"): {"manager", "finance"},
        reverse("payroll:run-detail", args=["2026-03"]): {"manager", "finance"},
        reverse("payroll:export-progress", args=[export.pk]): {"finance"},
        reverse("payroll:export-download", args=[export.pk]): {"finance"},
        reverse("payroll:structure-list"): {"manager", "finance"},
        reverse("payroll:inputs", args=["2026-03"]): {"manager", "finance"},
        reverse("payroll:structure-edit", args=[run.payslips.first().structure_version.structure_id]): {"manager"},
        reverse("payroll:payslip-detail", args=[slip.pk]): {"manager", "finance"},
        reverse("payroll:payslip-list"): {"manager", "finance", "staff", "warehouse"},
    }
    people = {"manager": manager, "finance": finance, "staff": staff, "warehouse": warehouse}
    for url, allowed in pages.items():
        for name, person in people.items():
            response = client_as(person).get(url)
            if name in allowed:
                assert response.status_code == 200, (name, url, response.status_code)
            else:
                assert response.status_code in (302, 404), (name, url, response.status_code)
                if response.status_code == 302:
                    assert response["Location"] in ("/", reverse("payroll:payslip-list")), (name, url)


def test_anonymous_goes_to_login(client):
    response = client.get(reverse("payroll:payslip-list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_see_only_their_own_payslip(client_as, approved, staff):
    run, employee = approved
    page = client_as(staff).get(reverse("payroll:payslip-list") + f"?q={employee.full_name}").content.decode()
    assert employee.full_name not in page
    page = client_as(staff).get(reverse("payroll:payslip-list")).content.decode()
    assert staff.full_name in page
    own = Payslip.objects.get(run=run, employee=staff)
    detail = client_as(staff).get(reverse("payroll:payslip-detail", args=[own.pk])).content.decode()
    assert "How it was computed" in detail
    assert f"{own.net_pay:,.2f}" in detail


def test_payslip_page_explains_the_lines(client_as, finance, sales_employee, payroll_world):
    employee = sales_employee()
    services.save_sales_figure(
        month=MONTH,
        department=payroll_world["department"],
        sales=Decimal("900000"),
        gross_profit=Decimal("308640"),
        user=None,
    )
    run = run_month()
    slip = Payslip.objects.get(run=run, employee=employee)
    page = client_as(finance).get(reverse("payroll:payslip-detail", args=[slip.pk])).content.decode()
    assert "Profit share = 0.08 \u00d7 Profit pool" in page and "= 0.08 \u00d7 123,456.00 = 9,876.48" in page
    assert "cumulative withholding" in page
    run_page = client_as(finance).get(reverse("payroll:run-detail", args=[run.label])).content.decode()
    assert f"Started {timezone.localtime(run.started_at):%Y-%m-%d %H:%M} by the schedule." in run_page
    PayrollRun.objects.filter(pk=run.pk).update(started_by=finance.user)
    run_page = client_as(finance).get(reverse("payroll:run-detail", args=[run.label])).content.decode()
    assert f"by {finance.full_name}." in run_page and f"by {finance.user.username}." not in run_page
    # The tax table's amounts in the pages' money format (26,684.00), not 26684.00.
    assert re.search(
        r"Basic deduction <small[^>]*>Standard: 5,000 × months employed this year</small></th><td>15,000\.00</td>", page
    )


def test_finance_starts_a_run_from_the_page(client_as, finance, sales_employee, django_capture_on_commit_callbacks):
    sales_employee()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(finance).post(reverse("payroll:run-list"), {"month": "2026-03"})
    assert response.status_code == 302
    run = PayrollRun.objects.get(month=MONTH)
    assert run.status == "ready"
    progress = client_as(finance).get(reverse("payroll:run-progress", args=["2026-03"]), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"
    response = client_as(finance).post(reverse("payroll:run-list"), {"month": "2099-01"})
    assert "in the future" in response.content.decode()


def test_progress_polls_while_running(client_as, finance, sales_employee):
    sales_employee()
    services.start_run(month=MONTH, user=finance.user, queue=False)
    response = client_as(finance).get(reverse("payroll:run-progress", args=["2026-03"]), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "HX-Refresh" not in response


def test_approve_and_pay_through_confirmation_pages(client_as, finance, sales_employee):
    sales_employee()
    run_month()
    url = reverse("payroll:run-approve", args=["2026-03"])
    assert "After approval" in client_as(finance).get(url).content.decode()
    client_as(finance).post(url)
    client_as(finance).post(reverse("payroll:run-paid", args=["2026-03"]))
    assert PayrollRun.objects.get().status == "paid"


def test_failed_run_shows_employee_and_component(client_as, finance, sales_employee, payroll_world):
    from payroll.engine import ComponentSpec

    victim = sales_employee()
    services.save_structure_version(
        structure=payroll_world["structure"],
        effective_from=MONTH,
        components=[ComponentSpec("per_day", "Per day", "earning", "base / penalty")],
    )
    run_month()
    page = client_as(finance).get(reverse("payroll:run-detail", args=["2026-03"])).content.decode()
    assert "no payslips were stored" in page
    assert victim.full_name in page and "per_day" in page


def test_structure_edit_shows_the_formula_error_and_saves_nothing(client_as, manager, payroll_world):
    structure = payroll_world["structure"]
    data = {
        "effective_from": "2026-03",
        "note": "",
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-0-code": "rewards",
        "form-0-name": "Rewards",
        "form-0-kind": "earning",
        "form-0-formula": "min(bonsu, 5000)",
        "save": "1",
    }
    response = client_as(manager).post(reverse("payroll:structure-edit", args=[structure.pk]), data)
    assert response.status_code == 200
    assert "unknown name &#x27;bonsu&#x27; at column 5; did you mean &#x27;bonus&#x27;?" in response.content.decode()
    assert StructureVersion.objects.filter(structure=structure).count() == 1


def test_structure_preview_then_save(client_as, manager, payroll_world, sales_employee):
    employee = sales_employee()
    structure = payroll_world["structure"]
    data = {
        "effective_from": "2026-03",
        "note": "double",
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-0-code": "base_pay",
        "form-0-name": "Base",
        "form-0-kind": "earning",
        "form-0-formula": "base * 2",
    }
    response = client_as(manager).post(reverse("payroll:structure-edit", args=[structure.pk]), {**data, "preview": "1"})
    page = response.content.decode()
    assert "What-if" in page and str(employee) in page
    assert StructureVersion.objects.filter(structure=structure).count() == 1
    response = client_as(manager).post(reverse("payroll:structure-edit", args=[structure.pk]), {**data, "save": "1"})
    assert response.status_code == 302
    assert StructureVersion.objects.filter(structure=structure).count() == 2


def test_manager_adds_and_deletes_a_bonus(client_as, manager, finance, sales_employee):
    employee = sales_employee()
    url = reverse("payroll:inputs", args=["2026-03"])
    response = client_as(manager).post(
        url, {"form": "adjustment", "employee": employee.pk, "kind": "bonus", "amount": "500", "reason": "great"}
    )
    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert adjustment.entered_by == manager.user
    # Finance may not enter bonuses.
    client_as(finance).post(
        url, {"form": "adjustment", "employee": employee.pk, "kind": "bonus", "amount": "1", "reason": "x"}
    )
    assert Adjustment.objects.count() == 1
    response = client_as(manager).post(
        url, {"form": "adjustment", "employee": employee.pk, "kind": "penalty", "amount": "-3", "reason": "x"}
    )
    assert "between" in response.content.decode()
    client_as(manager).post(reverse("payroll:adjustment-delete", args=[adjustment.pk]))
    assert not Adjustment.objects.exists()


def test_inputs_page_of_a_bad_month_is_404(client_as, manager):
    assert client_as(manager).get("/payroll/inputs/2026-13/").status_code == 404


def test_empty_run_list(client_as, finance):
    response = client_as(finance).get(reverse("payroll:run-list"))
    assert "No payroll has been run yet." in response.content.decode()


def test_payslip_page_costs_four_queries_and_hides_others_slips(
    client_as, approved, staff, finance, django_assert_num_queries
):
    run, employee = approved
    own = Payslip.objects.get(run=run, employee=staff)
    other = Payslip.objects.get(run=run, employee=employee)
    client = client_as(staff)
    client.get(reverse("payroll:payslip-detail", args=[own.pk]))
    with django_assert_num_queries(4):  # session, user (with employee, role, groups), payslip, its lines
        page = client.get(reverse("payroll:payslip-detail", args=[own.pk])).content.decode()
    assert f"{own.net_pay:,.2f}" in page and staff.full_name in page
    assert client.get(reverse("payroll:payslip-detail", args=[other.pk])).status_code == 302
    finance_page = client_as(finance).get(reverse("payroll:payslip-detail", args=[other.pk]))
    assert finance_page.status_code == 200 and employee.full_name in finance_page.content.decode()
