"""Pay settings pages: insurance policies (Finance), pay profiles (Manager), profit pools (Finance)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payroll.choices import RunStatus
from payroll.models import InsurancePolicy, PayProfile, ProfitPoolRule
from payroll.selectors import run_input_changes
from payroll.templatetags.payroll import percent

from ..factories import EmployeeFactory
from .conftest import POLICY, run_month

pytestmark = pytest.mark.django_db
D = Decimal


def policy_form(**changes):
    data = {
        "city": "苏州",
        "is_default": "",
        "rounding": "cent",
        **{name: str(value) for name, value in POLICY.items()},
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


def test_percent_filter_is_exact():
    assert [percent(D("0.0850")), percent(D("0.16")), percent(D("0")), percent(None)] == ["8.5%", "16%", "0%", "—"]


def test_finance_adds_a_city_and_makes_it_the_default(client_as, finance, payroll_world):
    client = client_as(finance)
    response = client.post(reverse("payroll:insurance-new"), policy_form(is_default="on"))
    assert response.status_code == 302, response.context["form"].errors
    suzhou = InsurancePolicy.objects.get(city="苏州")
    assert suzhou.is_default and suzhou.updated_by == finance.user
    assert list(InsurancePolicy.objects.filter(is_default=True)) == [suzhou]  # the earlier default gave way
    page = client.get(reverse("payroll:insurance-list")).content.decode()
    assert "苏州" in page and "8%" in page and "16%" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"si_base_floor": "30000.00"}, "si_base_floor", "floor must not be above its ceiling"),
        ({"pension_employee": "8"}, "pension_employee", ""),  # 8 instead of 0.08: above the field's maximum of 1
        ({"medical_employer": "0.8"}, "medical_employer", "write 8% as 0.08"),
        ({"si_base_floor": "-1"}, "si_base_floor", ""),
        ({"city": "Testville"}, "city", "already exists"),
        ({"hf_base_ceiling": "abc"}, "hf_base_ceiling", "Enter a number"),
    ],
)
def test_bad_policies_are_refused_with_the_field_and_nothing_changes(
    client_as, finance, payroll_world, changes, field, message
):
    before = list(InsurancePolicy.objects.values())
    response = client_as(finance).post(reverse("payroll:insurance-new"), policy_form(**changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert list(InsurancePolicy.objects.values()) == before


def test_editing_a_policy_makes_a_computed_run_stale(client_as, finance, sales_employee):
    sales_employee()
    run = run_month()
    assert run.status == RunStatus.READY
    policy = InsurancePolicy.objects.get()
    form = client_as(finance).get(reverse("payroll:insurance-edit", args=[policy.pk])).context["form"]
    assert form["city"].value() == policy.city and form["pension_employee"].value() == policy.pension_employee
    response = client_as(finance).post(
        reverse("payroll:insurance-edit", args=[policy.pk]),
        policy_form(city=policy.city, pension_employee="0.07", is_default="on"),
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    run.refresh_from_db()
    assert policy.pension_employee == D("0.07")
    assert run_input_changes(run=run).kinds == ["policy"]  # approval is refused until it is computed again


def test_manager_sets_up_a_missing_pay_profile_within_the_grade(client_as, manager, payroll_world):
    employee = EmployeeFactory(role=payroll_world["role"], full_name="新同事")
    client = client_as(manager)
    listing = client.get(reverse("payroll:profile-list"), {"missing": "1"})
    listed = list(listing.context["page"])
    assert employee in listed and not PayProfile.objects.filter(employee__in=listed).exists()
    assert "no pay profile" in listing.content.decode()
    url = reverse("payroll:profile-edit", args=[employee.pk])
    form_page = client.get(url).content.decode()
    assert "1,000.00 to 50,000.00" in form_page  # the role's pay grade, as help
    too_high = client.post(url, {"base_salary": "60000", "special_additional_deduction": "0"})
    assert "within the role&#x27;s pay grade" in too_high.content.decode()
    assert not PayProfile.objects.filter(employee=employee).exists()
    response = client.post(url, {"base_salary": "6500.00", "special_additional_deduction": "1000.00"})
    assert response.status_code == 302
    assert response["Location"] == reverse("payroll:profile-list") + f"?q={employee.employee_number}"
    profile = PayProfile.objects.get(employee=employee)
    assert (profile.base_salary, profile.special_additional_deduction, profile.updated_by) == (
        D("6500.00"),
        D("1000.00"),
        manager.user,
    )
    found = client.get(reverse("payroll:profile-list"), {"q": "新同事"})
    assert [e.pk for e in found.context["page"]] == [employee.pk]
    assert "6,500.00" in found.content.decode()


def test_profile_list_queries_do_not_grow_with_employees(
    client_as, manager, sales_employee, django_assert_max_num_queries
):
    client = client_as(manager)
    sales_employee()
    with django_assert_max_num_queries(12):
        client.get(reverse("payroll:profile-list"))
    for _ in range(10):
        sales_employee()
    with django_assert_max_num_queries(12):
        response = client.get(reverse("payroll:profile-list"))
    assert response.context["page"].paginator.count >= 11


def test_finance_changes_the_sales_pool_share(client_as, finance, manager, payroll_world):
    department = payroll_world["department"]
    url = reverse("payroll:pool-rule-edit", args=[department.code])
    client = client_as(finance)
    refused = client.post(url, {"rate": "1.5"})
    assert refused.status_code == 200 and "rate" in refused.context["form"].errors
    assert ProfitPoolRule.objects.get(department=department).rate == D("0.40")
    assert client.post(url, {"rate": "0.35"}).status_code == 302
    assert ProfitPoolRule.objects.get(department=department).rate == D("0.35")
    page = client_as(manager).get(reverse("payroll:pool-rule-list")).content.decode()
    assert "35%" in page
    assert url not in page  # managers read the shares; Finance changes them


def test_staff_cannot_open_pay_settings(client_as, staff, payroll_world):
    client = client_as(staff)
    for url in (reverse("payroll:profile-list"), reverse("payroll:insurance-list"), reverse("payroll:pool-rule-list")):
        assert client.get(url).status_code == 302


def test_api_refuses_a_negative_base_floor_with_the_field(api_as, finance, payroll_world):
    body = {**{name: str(value) for name, value in POLICY.items()}, "city": "无锡", "hf_base_floor": "-1.00"}
    response = api_as(finance).post("/api/payroll/insurance-policies/", body, format="json")
    assert response.status_code == 400, response.content
    assert "hf_base_floor" in response.content.decode()
    assert not InsurancePolicy.objects.filter(city="无锡").exists()


def test_api_wants_money_and_rates_as_strings(api_as, finance, payroll_world):
    response = api_as(finance).post("/api/payroll/pool-rules/", {"department": "marketing", "rate": 0.3}, format="json")
    assert response.status_code == 400
    assert "as a string" in response.content.decode()
    assert ProfitPoolRule.objects.get(department=payroll_world["department"]).rate == D("0.40")
