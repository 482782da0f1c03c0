"""What changed since last month (issue 14, section 7): joiners, leavers, each amount against last month, the flag
rule and its threshold setting, approval that asks to confirm the flagged changes (page and API), the 环比 sheet."""

import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from payroll import selectors, services
from payroll.choices import RunStatus
from payroll.exceptions import FlaggedChangesUnconfirmed, PayrollError
from payroll.exports import export_run
from payroll.models import PayrollRun, Payslip, PayslipLine, VarianceThreshold
from payroll.selectors import change_percent, is_flagged
from roles import services as org_services
from roles.permissions import OPERATOR
from shop_ops.i18n import in_language

from .conftest import run_month

pytestmark = pytest.mark.django_db
D = Decimal
FEB, MAR = datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)


def _threshold(amount="500.00", percent="20.0"):
    return VarianceThreshold(amount=D(amount), percent=D(percent))


@pytest.mark.parametrize(
    ("before", "change", "expected"),
    [
        ("1000.00", "200.00", D("20.0")),
        ("3.00", "1.00", D("33.3")),
        ("3.00", "2.00", D("66.7")),
        ("2000.00", "-1.00", D("-0.1")),  # -0.05 rounds half up (away from zero) to -0.1
        ("2000.00", "1.00", D("0.1")),
        ("-400.00", "100.00", D("25.0")),  # the sign follows the change
        ("0.00", "300.00", None),
    ],
)
def test_percent_is_rounded_to_one_decimal_half_up_and_blank_from_zero(before, change, expected):
    assert change_percent(before=D(before), change=D(change)) == expected


@pytest.mark.parametrize(
    ("change", "before", "flagged"),
    [
        ("500.00", "2500.00", True),  # exactly the amount and exactly 20.0%
        ("499.99", "2000.00", False),  # the amount just short (25%)
        ("-500.00", "2500.00", True),  # a drop counts as much as a rise
        ("500.00", "2500.25", True),  # 19.998% shows as 20.0%: flagged as shown
        ("500.00", "2507.53", False),  # 19.940% shows as 19.9%
        ("500.00", "0.00", True),  # from 0: no per cent, beyond any
        ("499.99", "0.00", False),
        ("0.00", "0.00", False),
    ],
)
def test_flag_rule_at_the_boundary(change, before, flagged):
    percent = change_percent(before=D(before), change=D(change))
    assert is_flagged(change=D(change), percent=percent, threshold=_threshold()) is flagged


def test_a_zero_threshold_flags_every_change_but_no_unchanged_amount():
    zero = _threshold("0.00", "0.0")
    assert is_flagged(change=D("0.01"), percent=D("0.1"), threshold=zero)
    assert not is_flagged(change=D("0.00"), percent=D("0.0"), threshold=zero)


@pytest.fixture
def two_months(sales_employee, finance):
    """February approved: Zhang, Li, and Wang, who leaves; March computed: Zhang with a bonus of 3,000.00 (a line
    from 0), Li unchanged, Wang gone and Zhao joined."""
    zhang = sales_employee(base="10000.00", employee_number="E1001", full_name="张伟")
    li = sales_employee(base="8000.00", employee_number="E1002", full_name="李娜")
    wang = sales_employee(base="6000.00", employee_number="E1003", full_name="王芳")
    feb = run_month(FEB)
    services.approve_run(run=feb, user=finance.user)
    org_services.record_leaving(employee=wang, by=OPERATOR, leave_date=datetime.date(2026, 2, 28))
    zhao = sales_employee(base="7000.00", employee_number="E1004", full_name="赵磊", hire_date=MAR)
    services.add_adjustment(month=MAR, employee=zhang, kind="bonus", amount=D("3000.00"), reason="大促", user=None)
    mar = run_month(MAR)
    assert mar.status == RunStatus.READY, mar.error_message
    return {"feb": feb, "mar": mar, "zhang": zhang, "li": li, "wang": wang, "zhao": zhao}


def _amount(run, employee, code):
    return PayslipLine.objects.get(payslip__run=run, payslip__employee=employee, code=code).amount


def test_joiners_leavers_and_changes_against_the_previous_approved_month(two_months):
    feb, mar, zhang, li = two_months["feb"], two_months["mar"], two_months["zhang"], two_months["li"]
    variance = selectors.run_variance(run=mar)
    assert variance.previous == feb
    assert [p.number for p in variance.joiners] == ["E1004"]
    assert [p.number for p in variance.leavers] == ["E1003"]
    assert variance.joiners[0].net_pay == Payslip.objects.get(run=mar, employee=two_months["zhao"]).net_pay
    assert variance.leavers[0].net_pay == Payslip.objects.get(run=feb, employee=two_months["wang"]).net_pay
    # Li's pay did not change: no row. Joiners and leavers have none either: they are listed as such.
    assert {c.number for c in variance.changes} == {"E1001"}
    by_code = {c.code: c for c in variance.changes}
    rewards = by_code["rewards"]
    assert (rewards.before, rewards.now, rewards.change, rewards.percent) == (
        D("0.00"),
        D("3000.00"),
        D("3000.00"),
        None,
    )
    assert rewards.flagged and rewards.label == "Rewards"
    net = by_code[""]
    slip_feb, slip_mar = (Payslip.objects.get(run=r, employee=zhang) for r in (feb, mar))
    assert (net.before, net.now) == (slip_feb.net_pay, slip_mar.net_pay)
    assert net.change == slip_mar.net_pay - slip_feb.net_pay
    assert net.percent == change_percent(before=slip_feb.net_pay, change=net.change)
    tax = by_code["income_tax"]
    assert (tax.before, tax.now) == (_amount(feb, zhang, "income_tax"), _amount(mar, zhang, "income_tax"))
    # Flagged first; every flagged row is beyond the threshold, every other one is not.
    flags = [c.flagged for c in variance.changes]
    assert flags == sorted(flags, reverse=True)
    for c in variance.changes:
        assert c.flagged == is_flagged(change=c.change, percent=c.percent, threshold=variance.threshold)
    assert li.employee_number not in {c.number for c in variance.changes}


def test_department_totals_this_month_and_last(two_months):
    feb, mar = two_months["feb"], two_months["mar"]
    variance = selectors.run_variance(run=mar)
    sales = two_months["zhang"].role.department
    department = next(d for d in variance.departments if d.department == in_language(sales))
    net = {
        run: sum(Payslip.objects.filter(run=run, department=sales).values_list("net_pay", flat=True))
        for run in (feb, mar)
    }
    assert (department.people_before, department.people_now) == (3, 3)  # Wang left, Zhao joined
    assert (department.net_before, department.net_now) == (net[feb], net[mar])
    everyone = {run: sum(Payslip.objects.filter(run=run).values_list("net_pay", flat=True)) for run in (feb, mar)}
    assert variance.total.net_change == everyone[mar] - everyone[feb]
    assert len(variance.departments) == len(set(Payslip.objects.values_list("department", flat=True)))


def test_the_queries_do_not_grow_with_the_payslips(two_months, django_assert_max_num_queries, sales_employee):
    with django_assert_max_num_queries(6):
        selectors.run_variance(run=two_months["mar"])


def test_no_previous_month_says_so(sales_employee):
    sales_employee()
    run = run_month(FEB)
    variance = selectors.run_variance(run=run)
    assert variance.previous is None and variance.changes == [] and variance.flagged == []


def test_a_month_not_approved_is_not_compared_with(two_months, finance):
    """Only approved or paid months count: a ready April compares with March only once March is approved."""
    services.approve_run(run=two_months["mar"], user=finance.user, confirm_flagged=True)
    services.mark_paid(run=two_months["mar"], user=finance.user)
    april = run_month(datetime.date(2026, 4, 1))
    assert selectors.run_variance(run=april).previous == two_months["mar"]


def test_threshold_setting_changes_the_flags_and_is_audited(two_months, finance):
    mar = two_months["mar"]
    assert selectors.variance_threshold().amount == D("500.00") and not VarianceThreshold.objects.exists()
    services.save_variance_threshold(percent=D("20.0"), amount=D("3000.01"), user=finance.user)
    assert selectors.run_variance(run=mar).flagged == []
    services.save_variance_threshold(percent=D("20.0"), amount=D("3000.00"), user=finance.user)
    assert [c.code for c in selectors.run_variance(run=mar).flagged if c.code == "rewards"] == ["rewards"]
    history = VarianceThreshold.history.order_by("history_date")
    assert [h.amount for h in history] == [D("3000.01"), D("3000.00")]
    assert {h.updated_by_id for h in history} == {finance.user.pk}


@pytest.mark.parametrize(
    ("percent", "amount", "field"),
    [("-1", "500", "percent"), ("1000.1", "500", "percent"), ("20.05", "500", "percent"), ("20", "-0.01", "amount")],
)
def test_a_bad_threshold_is_refused_at_its_field(finance, percent, amount, field):
    with pytest.raises(PayrollError) as refused:
        services.save_variance_threshold(percent=D(percent), amount=D(amount), user=finance.user)
    assert refused.value.field == field and not VarianceThreshold.objects.exists()


def test_threshold_page_shows_and_finance_edits_with_audit(client_as, finance, manager):
    page = client_as(manager).get(reverse("payroll:variance-threshold"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "¥500.00" in page.content.decode() and "20.0%" in page.content.decode()
    assert 'data-testid="edit-threshold"' not in page.content.decode()
    edit = reverse("payroll:variance-threshold-edit")
    assert client_as(manager).get(edit).status_code in (302, 403)
    refused = client_as(finance).post(edit, {"amount": "800.00", "percent": "1200"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 200 and "field-error" in refused.content.decode()
    assert not VarianceThreshold.objects.exists()
    saved = client_as(finance).post(edit, {"amount": "800.00", "percent": "15.5"})
    assert saved.status_code == 302
    threshold = VarianceThreshold.objects.get()
    assert (threshold.amount, threshold.percent, threshold.updated_by) == (D("800.00"), D("15.5"), finance.user)
    audit = client_as(finance).get(reverse("roles:audit"), {"kind": "payroll.variancethreshold"})
    assert audit.status_code == 200 and "800" in audit.content.decode()


def test_approval_is_refused_until_the_flagged_changes_are_confirmed(two_months, finance):
    mar = two_months["mar"]
    with pytest.raises(FlaggedChangesUnconfirmed) as refused:
        services.approve_run(run=mar, user=finance.user)
    assert refused.value.flagged and all(c.flagged for c in refused.value.flagged)
    mar.refresh_from_db()
    assert mar.status == RunStatus.READY
    services.approve_run(run=mar, user=finance.user, confirm_flagged=True)
    mar.refresh_from_db()
    assert mar.status == RunStatus.APPROVED


def test_run_page_in_chinese_lists_flagged_changes_first(client_as, finance, two_months):
    services.save_variance_threshold(percent=D("0.0"), amount=D("2000.00"), user=finance.user)
    with translation.override("zh-hans"):
        response = client_as(finance).get(
            reverse("payroll:run-detail", args=["2026-03"]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    html = response.content.decode()
    assert "与上月相比" in html and "入职" in html and "离职" in html
    rows = html.split('data-testid="change"')[1:]
    flagged = ['data-flagged="1"' in row.split("</tr>")[0] for row in rows]
    assert flagged[0] and not flagged[-1] and flagged == sorted(flagged, reverse=True)
    first = rows[0].split("</tr>")[0]
    assert "张伟" in first and "实发" in first and "超出阈值" in first  # a person's net pay comes before their lines
    bonus = next(row.split("</tr>")[0] for row in rows if "Rewards" in row.split("</tr>")[0])
    assert 'data-flagged="1"' in bonus and "+¥3,000.00" in bonus and "¥0.00" in bonus
    assert "王芳" in html and "赵磊" in html


def test_run_page_searches_the_changes_by_name_or_number(client_as, finance, two_months):
    url = reverse("payroll:run-detail", args=["2026-03"])
    html = client_as(finance).get(url, {"cq": "E1002"}).content.decode()
    assert html.count('data-testid="change"') == 0
    html = client_as(finance).get(url, {"cq": "张"}).content.decode()
    assert html.count('data-testid="change"') == len(selectors.run_variance(run=two_months["mar"]).changes)


def test_run_page_without_a_previous_month_says_so(client_as, finance, sales_employee):
    sales_employee()
    run_month(FEB)
    html = client_as(finance).get(reverse("payroll:run-detail", args=["2026-02"])).content.decode()
    assert 'data-testid="no-previous"' in html


def test_approve_page_lists_the_flagged_and_requires_the_tick(client_as, finance, two_months):
    url = reverse("payroll:run-approve", args=["2026-03"])
    flagged = selectors.run_variance(run=two_months["mar"]).flagged
    page = client_as(finance).get(url).content.decode()
    assert page.count('data-testid="flagged-change"') == len(flagged) and 'name="confirm_flagged"' in page
    refused = client_as(finance).post(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 200
    html = refused.content.decode()
    assert 'data-testid="confirm-flagged-error"' in html and "确认" in html
    assert PayrollRun.objects.get(month=MAR).status == RunStatus.READY
    accepted = client_as(finance).post(url, {"confirm_flagged": "on"})
    assert accepted.status_code == 302
    assert PayrollRun.objects.get(month=MAR).status == RunStatus.APPROVED


def test_approve_page_without_flags_needs_no_tick(client_as, finance, sales_employee):
    sales_employee()
    run_month(FEB)
    url = reverse("payroll:run-approve", args=["2026-02"])
    assert 'name="confirm_flagged"' not in client_as(finance).get(url).content.decode()
    client_as(finance).post(url)
    assert PayrollRun.objects.get(month=FEB).status == RunStatus.APPROVED


def test_api_approval_answers_409_with_the_list_then_accepts_the_confirmation(api_as, finance, two_months):
    mar = two_months["mar"]
    api = api_as(finance)
    refused = api.post(f"/api/payroll/runs/{mar.pk}/approve/", {}, format="json")
    assert refused.status_code == 409
    body = refused.json()
    assert "confirm_flagged" in body["errors"]
    flagged = selectors.run_variance(run=mar).flagged
    assert len(body["flagged"]) == len(flagged)
    rewards = next(row for row in body["flagged"] if row["code"] == "rewards")
    assert rewards["employee_number"] == "E1001" and rewards["last_month"] == "0.00"
    assert rewards["this_month"] == "3000.00" and rewards["change"] == "3000.00" and rewards["percent"] is None
    bad = api.post(f"/api/payroll/runs/{mar.pk}/approve/", {"confirm_flagged": "yes"}, format="json")
    assert bad.status_code == 400 and "confirm_flagged" in bad.json()["errors"]
    assert PayrollRun.objects.get(pk=mar.pk).status == RunStatus.READY
    accepted = api.post(f"/api/payroll/runs/{mar.pk}/approve/", {"confirm_flagged": True}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "approved"


def test_api_approval_without_flags_works_with_no_body_as_before(api_as, finance, sales_employee):
    sales_employee()
    run = run_month(FEB)
    response = api_as(finance).post(f"/api/payroll/runs/{run.pk}/approve/")
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_the_change_sheet_has_the_same_rows_flagged_first(two_months, tmp_path):
    mar = two_months["mar"]
    with translation.override("zh-hans"):
        workbook = openpyxl.load_workbook(export_run(run=mar, path=str(tmp_path / "zh.xlsx")))
        variance = selectors.run_variance(run=mar)
    sheet = workbook["环比"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("工号", "姓名", "部门", "项目", "上月", "本月", "变动", "变动(%)", "核对")
    body = rows[1:]
    assert len(body) == len(variance.changes) + 2  # the changes, one joiner, one leaver
    for row, c in zip(body, variance.changes, strict=False):
        assert row[:4] == (c.number, c.name, c.department, c.label)
        assert [D(str(v)) for v in row[4:7]] == [c.before, c.now, c.change]
        assert (D(str(row[7])) if row[7] is not None else None) == c.percent
        assert (row[8] == "超出阈值") is c.flagged
    flags = [row[8] == "超出阈值" for row in body[: len(variance.changes)]]
    assert flags[0] and flags == sorted(flags, reverse=True)
    # Values equal the payslips.
    zhang = two_months["zhang"]
    rewards = next(row for row in body if row[0] == "E1001" and row[3] == "Rewards")
    assert D(str(rewards[5])) == _amount(mar, zhang, "rewards")
    joined, left = body[-2], body[-1]
    assert joined[0] == "E1004" and joined[8] == "新入职"
    assert D(str(joined[5])) == Payslip.objects.get(run=mar, employee=two_months["zhao"]).net_pay
    assert left[0] == "E1003" and left[8] == "已离职"
    assert D(str(left[4])) == Payslip.objects.get(run=two_months["feb"], employee=two_months["wang"]).net_pay


def test_the_change_sheet_of_a_first_month_says_there_is_nothing_to_compare(sales_employee, tmp_path):
    sales_employee()
    run = run_month(FEB)
    with translation.override("en"):
        workbook = openpyxl.load_workbook(export_run(run=run, path=str(tmp_path / "en.xlsx")))
    rows = list(workbook["Change from last month"].iter_rows(values_only=True))
    assert len(rows) == 2 and "no approved or paid month before 2026-02" in rows[1][0]
