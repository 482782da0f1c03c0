"""Social insurance as the withholding return declares it: one payslip line per type (养老, 医疗, 失业; the employer's
also 工伤), each rounded on its own by the city's rule (to the cent or to the yuan), the totals their sums (issue 14,
section 4)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from payroll import services
from payroll.choices import ComponentKind, InsuranceRounding, RunStatus, SystemLine
from payroll.engine import policy_formulas
from payroll.exports import _component_columns
from payroll.models import InsurancePolicy, Payslip, PayslipLine
from payroll.money import round_money

from .conftest import MONTH, POLICY, run_month

pytestmark = pytest.mark.django_db
D = Decimal

EMPLOYEE_TYPES = [SystemLine.PENSION, SystemLine.MEDICAL, SystemLine.UNEMPLOYMENT]
EMPLOYER_TYPES = [
    SystemLine.EMPLOYER_PENSION,
    SystemLine.EMPLOYER_MEDICAL,
    SystemLine.EMPLOYER_UNEMPLOYMENT,
    SystemLine.EMPLOYER_INJURY,
]


def city_rates(**changes):
    """The test city with every type levied: 8% + 2% + 0.5% (employee), 16% + 8% + 0.5% + 0.2% (employer)."""
    policy = InsurancePolicy.objects.get()
    values = {
        "unemployment_employee": D("0.005"),
        "unemployment_employer": D("0.005"),
        "injury_employer": D("0.002"),
        **changes,
    }
    return services.save_insurance_policy(policy=policy, user=None, **values)


def slip_with_base(sales_employee, base):
    employee = sales_employee(base="10000.00")
    services.save_pay_profile(employee=employee, user=None, contribution_base=D(base))
    run_month()
    return Payslip.objects.get(employee=employee, run__month=MONTH)


def amounts(slip):
    return {line.code: line.amount for line in slip.lines.filter(is_system=True)}


def test_each_type_is_rounded_on_its_own_not_the_summed_rate(sales_employee):
    """4,999.94 × 10.5% = 524.9937 → 524.99 on the summed rate; the return declares 400.00 + 100.00 + 25.00."""
    city_rates()
    slip = slip_with_base(sales_employee, "4999.94")
    lines = {line.code: line for line in slip.lines.filter(code__in=EMPLOYEE_TYPES)}
    assert [(lines[code].exact, lines[code].amount) for code in EMPLOYEE_TYPES] == [
        ("399.9952", D("400.00")),
        ("99.9988", D("100.00")),
        ("24.99970", D("25.00")),
    ]
    assert slip.social_insurance == D("525.00")
    assert round_money(D("4999.94") * D("0.105")) == D("524.99")  # what the single line used to give
    # The special deduction of the tax is the per-type sum plus the fund (5% of 4,999.94 = 249.997 → 250.00).
    tax = slip.lines.get(code=SystemLine.INCOME_TAX)
    assert slip.housing_fund == D("250.00")
    assert D(tax.inputs["ytd_special_deduction"]) == D("775.00")  # no earlier month approved this year
    assert slip.net_pay == slip.gross_pay - slip.deductions - D("525.00") - D("250.00") - slip.income_tax


def test_a_payslip_has_a_line_per_type_and_the_totals_are_their_sums(sales_employee):
    city_rates()
    slip = slip_with_base(sales_employee, "12345.67")
    lines = list(slip.lines.filter(is_system=True).exclude(code=SystemLine.INCOME_TAX).order_by("order"))
    assert [line.code for line in lines] == [
        *EMPLOYEE_TYPES,
        SystemLine.HOUSING_FUND,
        *EMPLOYER_TYPES,
        SystemLine.EMPLOYER_HOUSING_FUND,
    ]
    assert all(line.kind == ComponentKind.DEDUCTION for line in lines[:4])
    assert all(line.kind == ComponentKind.EMPLOYER_COST for line in lines[4:])
    got = amounts(slip)
    assert slip.social_insurance == sum(got[code] for code in EMPLOYEE_TYPES) == D("1296.29")
    # 987.65 + 246.91 + 61.73; rounding the summed rate would give 1,296.30 (1,296.29535): it errs either way.
    assert round_money(D("12345.67") * D("0.105")) == D("1296.30")
    assert slip.employer_social_insurance == sum(got[code] for code in EMPLOYER_TYPES)
    assert got[SystemLine.EMPLOYER_INJURY] == D("24.69")  # 12,345.67 × 0.2% = 24.69134
    assert (
        slip.housing_fund == got[SystemLine.HOUSING_FUND] and slip.employer_housing_fund == got["employer_housing_fund"]
    )
    # Each line explains itself: the base within the city's bounds times its own rate.
    pension = next(line for line in lines if line.code == SystemLine.PENSION)
    assert pension.formula == "min(max(contribution_base, 3000.00), 20000.00) * 0.08"
    assert pension.inputs == {"contribution_base": "12345.67"}
    assert pension.name == "养老保险个人"
    assert not PayslipLine.objects.filter(code__in=[SystemLine.SOCIAL_INSURANCE, "employer_social_insurance"]).exists()


def test_a_type_the_city_does_not_levy_has_no_line(sales_employee):
    """The test city levies no unemployment or injury insurance (rates 0): no line of 0.00 for them."""
    slip = slip_with_base(sales_employee, "10000.00")
    codes = set(amounts(slip))
    assert {SystemLine.PENSION, SystemLine.MEDICAL, SystemLine.EMPLOYER_PENSION} <= codes
    assert not codes & {SystemLine.UNEMPLOYMENT, SystemLine.EMPLOYER_UNEMPLOYMENT, SystemLine.EMPLOYER_INJURY}
    assert slip.social_insurance == D("1000.00")


@pytest.mark.parametrize(
    ("rounding", "pension", "medical", "fund"),
    [
        # 5,006.25 × 8% = 400.50, × 2% = 100.125, × 5% = 250.3125
        (InsuranceRounding.CENT, "400.50", "100.13", "250.31"),
        (InsuranceRounding.YUAN, "401.00", "100.00", "250.00"),
    ],
)
def test_the_citys_rounding_rule_rounds_each_line(sales_employee, rounding, pension, medical, fund):
    city_rates(rounding=rounding)
    slip = slip_with_base(sales_employee, "5006.25")
    got = amounts(slip)
    assert (got[SystemLine.PENSION], got[SystemLine.MEDICAL], got[SystemLine.HOUSING_FUND]) == (
        D(pension),
        D(medical),
        D(fund),
    )
    unemployment = {InsuranceRounding.CENT: D("25.03"), InsuranceRounding.YUAN: D("25.00")}[rounding]  # 25.03125
    assert got[SystemLine.UNEMPLOYMENT] == unemployment
    assert slip.social_insurance == D(pension) + D(medical) + unemployment
    assert slip.employer_social_insurance == sum(got[code] for code in EMPLOYER_TYPES)
    assert got[SystemLine.EMPLOYER_HOUSING_FUND] == D(fund)
    # The exact result stays with the line, so the page shows where rounding happened.
    assert slip.lines.get(code=SystemLine.MEDICAL).exact == "100.1250"


def test_policy_formulas_carry_the_rounding_rule():
    policy = InsurancePolicy(**POLICY, city="X", rounding=InsuranceRounding.YUAN)
    formulas = policy_formulas(policy)
    assert formulas.rounding == "yuan"
    assert [line.code for line in formulas.lines] == [
        "pension_insurance",
        "medical_insurance",
        "housing_fund",
        "employer_pension_insurance",
        "employer_medical_insurance",
        "employer_housing_fund",
    ]


def test_finance_sets_the_rounding_on_the_page_and_in_the_api(client_as, api_as, finance, payroll_world):
    policy = InsurancePolicy.objects.get()
    assert policy.rounding == InsuranceRounding.CENT  # the default
    url = reverse("payroll:insurance-edit", args=[policy.pk])
    form = client_as(finance).get(url).context["form"]
    assert form["rounding"].value() == "cent"
    data = {"city": policy.city, "is_default": "on", "rounding": "yuan", **{k: str(v) for k, v in POLICY.items()}}
    assert client_as(finance).post(url, data).status_code == 302
    policy.refresh_from_db()
    assert policy.rounding == InsuranceRounding.YUAN
    page = client_as(finance).get(reverse("payroll:insurance-list")).content.decode()
    assert "To the yuan (1), half up" in page
    refused = client_as(finance).post(url, {**data, "rounding": "dime"})
    assert refused.status_code == 200 and "rounding" in refused.context["form"].errors
    api = api_as(finance)
    answer = api.get(f"/api/payroll/insurance-policies/{policy.pk}/").json()
    assert answer["rounding"] == "yuan"
    changed = api.patch(f"/api/payroll/insurance-policies/{policy.pk}/", {"rounding": "cent"}, format="json")
    assert changed.status_code == 200 and changed.json()["rounding"] == "cent"
    bad = api.patch(f"/api/payroll/insurance-policies/{policy.pk}/", {"rounding": "dime"}, format="json")
    assert bad.status_code == 400 and "rounding" in bad.json()["errors"]
    policy.refresh_from_db()
    assert policy.rounding == InsuranceRounding.CENT


def test_the_payslip_page_shows_each_type_in_chinese(client_as, finance, sales_employee, settings):
    city_rates()
    slip = slip_with_base(sales_employee, "4999.94")
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        page = client_as(finance).get(slip.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for name, amount in (("养老保险（个人）", "400.00"), ("医疗保险（个人）", "100.00"), ("失业保险（个人）", "25.00")):
        assert f'<td class="card-title" data-label="项目">{name}</td>' in page and f"{name} = " in page, name
        assert amount in page
    assert "工伤保险（单位）" in page and "医疗保险（单位，含生育）" in page
    assert "社保（个人）" not in page
    assert "399.9952" in page  # the exact result before rounding


def test_an_approved_payslip_with_the_old_single_line_still_shows_it(client_as, finance, sales_employee):
    """Payslips computed before the per-type lines carry one 社保个人 / 社保单位 line: they keep it, and it reads."""
    slip = slip_with_base(sales_employee, "10000.00")
    per_type = slip.lines.filter(code__in=[*EMPLOYEE_TYPES, *EMPLOYER_TYPES])
    order = min(line.order for line in per_type)
    per_type.delete()
    PayslipLine.objects.bulk_create(
        [
            PayslipLine(
                payslip=slip,
                order=order,
                code=SystemLine.SOCIAL_INSURANCE,
                name="社保个人",
                kind=ComponentKind.DEDUCTION,
                is_system=True,
                formula="min(max(contribution_base, 3000.00), 20000.00) * (0.08 + 0.02)",
                inputs={"contribution_base": "10000.00"},
                exact="1000.00",
                amount=D("1000.00"),
            ),
            PayslipLine(
                payslip=slip,
                order=order + 1,
                code=SystemLine.EMPLOYER_SOCIAL_INSURANCE,
                name="社保单位",
                kind=ComponentKind.EMPLOYER_COST,
                is_system=True,
                formula="min(max(contribution_base, 3000.00), 20000.00) * (0.16 + 0.08)",
                inputs={"contribution_base": "10000.00"},
                exact="2400.00",
                amount=D("2400.00"),
            ),
        ]
    )
    run = services.approve_run(run=slip.run, user=finance.user)
    assert run.status == RunStatus.APPROVED
    page = client_as(finance).get(slip.get_absolute_url()).content.decode()
    assert "Social insurance, employee (社保个人)" in page and "(0.08 + 0.02) = 1,000.00" in page
    assert "Social insurance, employer (社保单位)" in page
    assert "Pension insurance" not in page
    detail = client_as(finance).get(f"/api/payroll/payslips/{slip.pk}/").json()
    assert {line["code"] for line in detail["lines"]} >= {"social_insurance", "employer_social_insurance"}
    # The workbook's component columns leave insurance out, old line or new.
    assert [code for code, _name in _component_columns(run)] == [
        "base_pay",
        "profit_share",
        "rewards",
        "penalties",
        "kpi",
        "training",
        "room_and_board",
    ]


def test_demo_policy_gives_every_type_a_line():
    """Hangzhou (the demo city) levies every type: nine insurance and fund lines."""
    from payroll.demo import HANGZHOU

    formulas = policy_formulas(InsurancePolicy(city="杭州", **HANGZHOU))
    assert len(formulas.lines) == 9 and formulas.rounding == "cent"
