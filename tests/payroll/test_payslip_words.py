"""The person paid reads each line of their payslip in words of their language: the line's name, how it is worked
out with every name as the payslip calls it (月基本工资 × 出勤天数 ÷ 应出勤天数, never days_worked) and its figures;
those who write the formulas (manager, finance) see them as written too."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from payroll import services
from payroll.choices import ComponentKind
from payroll.engine import NAMES_IN_WORDS, VARIABLES, ComponentSpec
from payroll.formula import parse
from payroll.models import Payslip

from .conftest import run_month

pytestmark = pytest.mark.django_db

COMPONENTS = [
    ComponentSpec("base_pay", "底薪 Base pay", ComponentKind.EARNING, "base * days_worked / working_days"),
    ComponentSpec("rewards", "奖金 Rewards", ComponentKind.EARNING, "min(bonus, 5000)"),
    ComponentSpec("kpi", "绩效奖 KPI bonus", ComponentKind.EARNING, "if(completion_rate >= 0.95, 500, 0)"),
    ComponentSpec("commission", "提成 Commission", ComponentKind.EARNING, "base_pay * 0.1"),
]
RAW = ["base * days_worked", "days_worked", "working_days", "completion_rate", "min(", "if(", "contribution_base"]


@pytest.fixture
def own_payslip(payroll_world, finance, staff):
    structure = services.create_structure(code="words", name="Words", role=staff.role)
    services.save_structure_version(
        structure=structure, effective_from=datetime.date(2026, 1, 1), components=COMPONENTS
    )
    services.save_pay_profile(employee=staff, user=None, base_salary=Decimal("4400.00"))
    run = run_month()
    services.approve_run(run=run, user=finance.user)
    return Payslip.objects.get(run=run, employee=staff)


def _line(page: str, code: str) -> str:
    start = page.index(f'data-testid="line-{code}"')
    return page[start : page.index("</tr>", start)]


def test_staff_read_their_payslip_in_chinese_words(client_as, staff, own_payslip):
    page = (
        client_as(staff)
        .get(reverse("payroll:payslip-detail", args=[own_payslip.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    assert "底薪 = 月基本工资 × 出勤天数 ÷ 应出勤天数" in _line(page, "base_pay")
    assert "4,400.00" in _line(page, "base_pay")
    assert "奖金 = 奖励 与 5,000.00 中较小者" in _line(page, "rewards")
    assert "绩效奖 = 清单完成率 ≥ 0.95 时为 500，否则为 0" in _line(page, "kpi")
    assert "提成 = 底薪 × 0.1" in _line(page, "commission")  # a component is called by its name
    assert "养老保险（个人） = (缴费基数，限于 3,000.00 至 20,000.00) × 0.08" in _line(page, "pension_insurance")
    assert "个人所得税 = 累计应纳税额 - 以前月份已预扣税额 与 0 中较大者" in page
    for raw in RAW:
        assert raw not in page, raw
    assert "Base pay" not in page and 'data-testid="formula"' not in page
    from ..test_chinese_pages import english_on, translated_english, visible_text

    assert english_on(visible_text(page), translated_english()) == []


def test_staff_read_their_payslip_in_english_words(client_as, staff, own_payslip):
    page = client_as(staff).get(reverse("payroll:payslip-detail", args=[own_payslip.pk])).content.decode()
    assert "Base pay = Monthly base salary × Days worked ÷ Working days" in _line(page, "base_pay")
    assert "Rewards = the lower of Bonuses and 5,000.00" in _line(page, "rewards")
    assert "KPI bonus = 500 if Checklist completion rate ≥ 0.95, otherwise 0" in _line(page, "kpi")
    assert "Commission = Base pay × 0.1" in _line(page, "commission")
    assert "the lower of Contribution base, kept between" not in page  # read as one phrase, not min(max())
    assert (
        "Contribution base, kept between 3,000.00 and 20,000.00" in page
        or "Contribution base, kept between 3000" in page
    )
    for raw in RAW:
        assert raw not in page, raw
    assert "底薪" not in page


def test_finance_also_sees_the_formulas_as_written(client_as, finance, own_payslip):
    page = client_as(finance).get(reverse("payroll:payslip-detail", args=[own_payslip.pk])).content.decode()
    assert '<code data-testid="formula">base * days_worked / working_days</code>' in _line(page, "base_pay")
    assert "Base pay = Monthly base salary × Days worked ÷ Working days" in _line(page, "base_pay")


@pytest.mark.parametrize(
    ("language", "words", "label"),
    [
        ("zh-hans", "月基本工资 × 出勤天数 ÷ 应出勤天数", "底薪"),
        ("en", "Monthly base salary × Days worked ÷ Working days", "Base pay"),
    ],
)
def test_the_api_gives_each_line_in_words_of_the_requests_language(api_as, staff, own_payslip, language, words, label):
    body = api_as(staff).get(f"/api/payroll/payslips/{own_payslip.pk}/", HTTP_ACCEPT_LANGUAGE=language).json()
    line = next(line for line in body["lines"] if line["code"] == "base_pay")
    assert line["label"] == label and line["in_words"] == words
    assert line["formula"] == "base * days_worked / working_days"  # as the payroll read it, for API clients


def test_every_name_a_formula_may_read_has_words():
    assert set(VARIABLES) <= set(NAMES_IN_WORDS)


@pytest.mark.parametrize(
    ("formula", "english"),
    [
        ("max(a, b, 0)", "the higher of A, B and 0"),
        ("round(a / 3, 2)", "A ÷ 3 rounded to 2 decimal places"),
        ("abs(a - b) + 1", "(A - B without its sign) + 1"),
        ("if(a > 1 and not b > 2, a, -b)", "A if A > 1 and not B > 2, otherwise -B"),
        ("(a + b) * 2", "(A + B) × 2"),
    ],
)
def test_formulas_read_in_words(formula, english):
    assert parse(formula, names={"a", "b"}).in_words({"a": "A", "b": "B"}) == english
