"""Special additional deductions by category (专项附加扣除): amounts and caps, the late entry caught up, the import,
the page and the API, the payslip's tax table."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from payroll import deduction_imports, deductions, services
from payroll.choices import DeductionCategory as C
from payroll.deductions import Entry
from payroll.exceptions import PayrollError
from payroll.models import Payslip, SpecialDeduction
from payroll.selectors import run_input_changes
from roles.exceptions import OwnPayRefused

from .conftest import run_month

D = Decimal
JAN, FEB, MAR = (datetime.date(2026, m, 1) for m in (1, 2, 3))


def month(n: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, n, 1)


# --- the rules: each category's amount and cap ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "amount"),
    [
        (Entry(C.CHILDREN_EDUCATION, JAN, share=D("1")), D("2000.00")),
        (Entry(C.CHILDREN_EDUCATION, JAN, share=D("0.5")), D("1000.00")),
        (Entry(C.INFANT_CARE, JAN, share=D("0.5")), D("1000.00")),
        (Entry(C.DEGREE_EDUCATION, JAN), D("400.00")),
        (Entry(C.HOUSING_LOAN, JAN), D("1000.00")),
        (Entry(C.HOUSING_RENT, JAN, monthly_amount=D("1100.00")), D("1100.00")),
        (Entry(C.ELDERLY_SUPPORT, JAN, monthly_amount=D("3000.00")), D("3000.00")),
        (Entry(C.ELDERLY_SUPPORT, JAN, monthly_amount=D("1000.00")), D("1000.00")),
        (Entry(C.PERSONAL_PENSION, JAN, monthly_amount=D("1000.00")), D("1000.00")),
        (Entry(C.CERTIFICATE_EDUCATION, MAR), D("0.00")),  # not yet obtained in February
    ],
)
def test_each_category_entitles_its_standard_amount(entry, amount):
    assert deductions.month_amount(deductions.check_entry(entry), FEB) == amount


def test_every_category_has_one_rule_with_its_source():
    assert set(deductions.RULES) == set(C.values)
    assert all("国发" in rule.source for rule in deductions.RULES.values())
    assert deductions.RULES[C.CHILDREN_EDUCATION].amount == D("2000.00")  # 2023: 国发〔2023〕13号


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        (Entry(C.CHILDREN_EDUCATION, JAN, share=D("0.3")), "share", "100% by one parent or 50%"),
        (Entry(C.DEGREE_EDUCATION, JAN, end_month=month(1, 2030)), "end_month", "at most 48 months"),
        (Entry(C.HOUSING_LOAN, JAN, share=D("0.5")), "share", "has no share"),
        (Entry(C.HOUSING_RENT, JAN, monthly_amount=D("1200.00")), "monthly_amount", "1,500.00"),
        (Entry(C.HOUSING_RENT, JAN), "monthly_amount", "Enter the monthly amount"),
        (Entry(C.ELDERLY_SUPPORT, JAN, monthly_amount=D("2000.00")), "monthly_amount", "at most 1,500.00 each"),
        (Entry(C.PERSONAL_PENSION, JAN, monthly_amount=D("0")), "monthly_amount", "at most 12,000.00 a year"),
        (Entry(C.DEGREE_EDUCATION, JAN, monthly_amount=D("500")), "monthly_amount", "400.00"),
        (Entry(C.HOUSING_LOAN, FEB, end_month=JAN), "end_month", "before the start month"),
        (Entry(C.HOUSING_LOAN, month(12, 2018)), "start_month", "January 2019"),
    ],
)
def test_amounts_and_caps_are_refused_at_their_field(entry, field, words):
    with pytest.raises(PayrollError) as refused:
        deductions.check_entry(entry)
    assert refused.value.field == field
    assert words in refused.value.message


def test_degree_education_stops_after_48_months_even_open_ended():
    entry = deductions.check_entry(Entry(C.DEGREE_EDUCATION, month(1, 2022)))
    assert deductions.month_amount(entry, month(12, 2025)) == D("400.00")  # the 48th month
    assert deductions.month_amount(entry, month(1, 2026)) == D("0.00")


def test_personal_pension_is_capped_at_12000_a_year():
    entries = [deductions.check_entry(Entry(C.PERSONAL_PENSION, JAN, monthly_amount=D("5000.00")))]
    (feb,) = deductions.year_to_date(entries, first_month=JAN, month=FEB)
    assert (feb.month, feb.cumulative) == (D("5000.00"), D("10000.00"))
    (mar,) = deductions.year_to_date(entries, first_month=JAN, month=MAR)
    assert (mar.month, mar.cumulative) == (D("2000.00"), D("12000.00"))
    (apr,) = deductions.year_to_date(entries, first_month=JAN, month=month(4))
    assert (apr.month, apr.cumulative) == (D("0.00"), D("12000.00"))


def test_a_certificate_counts_once_in_the_month_obtained():
    entries = [deductions.check_entry(Entry(C.CERTIFICATE_EDUCATION, MAR, end_month=month(12)))]
    assert entries[0].end_month == MAR
    (mar,) = deductions.year_to_date(entries, first_month=JAN, month=MAR)
    (jun,) = deductions.year_to_date(entries, first_month=JAN, month=month(6))
    assert (mar.month, mar.cumulative, jun.month, jun.cumulative) == (D("3600.00"), D("3600.00"), D(0), D("3600.00"))


def test_two_children_each_count():
    entries = [
        deductions.check_entry(Entry(C.CHILDREN_EDUCATION, JAN, share=D("1"))),
        deductions.check_entry(Entry(C.CHILDREN_EDUCATION, FEB, share=D("0.5"))),
    ]
    (mar,) = deductions.year_to_date(entries, first_month=JAN, month=MAR)
    assert (mar.month, mar.cumulative) == (D("3000.00"), D("2000.00") * 3 + D("1000.00") * 2)


def test_loan_and_rent_in_one_month_cannot_be_computed():
    entries = [
        deductions.check_entry(Entry(C.HOUSING_LOAN, JAN)),
        deductions.check_entry(Entry(C.HOUSING_RENT, FEB, monthly_amount=D("800"))),
    ]
    with pytest.raises(deductions.DeductionConflict, match="2026-02"):
        deductions.year_to_date(entries, first_month=JAN, month=MAR)


# --- the service ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rent_and_loan_are_never_both_declared_for_a_month(sales_employee, finance):
    employee = sales_employee()
    loan = services.save_special_deduction(
        employee=employee, category=C.HOUSING_LOAN, start_month=JAN, user=finance.user
    )
    with pytest.raises(PayrollError) as refused:
        services.save_special_deduction(
            employee=employee,
            category=C.HOUSING_RENT,
            start_month=month(6),
            monthly_amount=D("1500"),
            user=finance.user,
        )
    assert refused.value.field == "category"
    assert "never claimed in the same month" in refused.value.message
    # Once the loan has ended, rent from the next month is fine.
    services.end_special_deduction(deduction=loan, end_month=month(5), user=finance.user)
    services.save_special_deduction(
        employee=employee, category=C.HOUSING_RENT, start_month=month(6), monthly_amount=D("1500"), user=finance.user
    )
    assert SpecialDeduction.objects.filter(employee=employee).count() == 2


@pytest.mark.django_db
def test_one_at_a_time_categories_and_one_certificate_a_year(sales_employee, finance):
    employee = sales_employee()
    save = services.save_special_deduction
    save(employee=employee, category=C.ELDERLY_SUPPORT, start_month=JAN, monthly_amount=D("1500"), user=finance.user)
    with pytest.raises(PayrollError, match="already declared for 2026-03"):
        save(
            employee=employee, category=C.ELDERLY_SUPPORT, start_month=MAR, monthly_amount=D("1000"), user=finance.user
        )
    save(employee=employee, category=C.CERTIFICATE_EDUCATION, start_month=MAR, user=finance.user)
    with pytest.raises(PayrollError, match="once a year"):
        save(employee=employee, category=C.CERTIFICATE_EDUCATION, start_month=month(9), user=finance.user)


@pytest.mark.django_db
def test_every_change_is_audited_and_ones_own_are_refused(sales_employee, finance):
    employee = sales_employee()
    entry = services.save_special_deduction(
        employee=employee, category=C.CHILDREN_EDUCATION, start_month=JAN, share=D("0.5"), user=finance.user
    )
    services.end_special_deduction(deduction=entry, end_month=month(6), user=finance.user)
    history = list(entry.history.order_by("history_date"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert history[-1].end_month == month(6) and history[-1].entered_by == finance.user
    with pytest.raises(OwnPayRefused):
        services.save_special_deduction(employee=finance, category=C.HOUSING_LOAN, start_month=JAN, user=finance.user)


# --- the calculation -----------------------------------------------------------------------------------------------


def _slip(run, employee) -> Payslip:
    return Payslip.objects.get(run=run, employee=employee)


def _tax_inputs(slip: Payslip) -> dict:
    return slip.lines.get(code="income_tax").inputs


@pytest.mark.django_db
def test_a_late_entry_is_caught_up_from_january(sales_employee, finance):
    employee = sales_employee(base="20000.00")
    january = run_month(JAN)
    services.approve_run(run=january, user=finance.user)
    assert _slip(january, employee).special_additional_deduction == D("0.00")
    # Entered in February, for a child since January: February's cumulative figure holds both months.
    services.save_special_deduction(
        employee=employee, category=C.CHILDREN_EDUCATION, start_month=JAN, share=D("1"), user=finance.user
    )
    services.save_special_deduction(
        employee=employee, category=C.HOUSING_RENT, start_month=FEB, monthly_amount=D("1500"), user=finance.user
    )
    slip = _slip(run_month(FEB), employee)
    inputs = _tax_inputs(slip)
    assert D(inputs["ytd_additional_deduction"]) == D("5500.00")  # 2 x 2,000 + 1,500
    assert slip.special_additional_deduction == D("5500.00")  # January deducted nothing: all of it now
    assert inputs["additional_by_category"] == [
        {"category": "children_education", "month": "2000.00", "cumulative": "4000.00"},
        {"category": "housing_rent", "month": "1500.00", "cumulative": "1500.00"},
    ]
    # The tax works on it: income less 2 x 5,000 basic, insurance and fund, and the 5,500.
    ytd = {name: D(inputs[name]) for name in ("ytd_income", "ytd_basic_deduction", "ytd_special_deduction")}
    assert ytd["ytd_basic_deduction"] == D("10000.00")
    expected = ytd["ytd_income"] - ytd["ytd_basic_deduction"] - ytd["ytd_special_deduction"] - D("5500.00")
    assert D(inputs["ytd_taxable"]) == expected


@pytest.mark.django_db
def test_without_entries_the_pay_profile_number_is_used_as_before(sales_employee, finance):
    employee = sales_employee()
    services.save_pay_profile(employee=employee, user=None, special_additional_deduction=D("1000.00"))
    january = run_month(JAN)
    services.approve_run(run=january, user=finance.user)
    slip = _slip(run_month(FEB), employee)
    assert slip.special_additional_deduction == D("1000.00")
    assert D(_tax_inputs(slip)["ytd_additional_deduction"]) == D("2000.00")
    assert "additional_by_category" not in _tax_inputs(slip)


@pytest.mark.django_db
def test_the_opening_balance_covers_the_months_before_shopops(sales_employee, finance):
    employee = sales_employee()
    services.save_tax_opening_balance(
        employee=employee,
        year=2026,
        income=D("20000.00"),
        special_deductions=D("0"),
        additional_deductions=D("6000.00"),  # January and February, declared to the former payroll
        tax_withheld=D("0"),
        user=finance.user,
    )
    services.save_special_deduction(
        employee=employee, category=C.ELDERLY_SUPPORT, start_month=JAN, monthly_amount=D("3000"), user=finance.user
    )
    slip = _slip(run_month(MAR), employee)
    inputs = _tax_inputs(slip)
    # March is ShopOps' first month for them: January and February are in the opening balance, not counted twice.
    assert D(inputs["ytd_additional_deduction"]) == D("9000.00")
    assert inputs["additional_first_month"] == "3"
    assert slip.special_additional_deduction == D("3000.00")


@pytest.mark.django_db
def test_a_mid_year_hire_counts_from_the_hire_month(sales_employee, finance):
    employee = sales_employee(hire_date=datetime.date(2026, 2, 10))
    services.save_special_deduction(employee=employee, category=C.HOUSING_LOAN, start_month=JAN, user=finance.user)
    inputs = _tax_inputs(_slip(run_month(MAR), employee))
    assert D(inputs["ytd_additional_deduction"]) == D("2000.00")  # February and March


@pytest.mark.django_db
def test_a_new_entry_makes_a_computed_run_stale(sales_employee, finance):
    employee = sales_employee()
    run = run_month()
    services.save_special_deduction(employee=employee, category=C.HOUSING_LOAN, start_month=JAN, user=finance.user)
    assert "additional_deductions" in run_input_changes(run=run).kinds


# --- the import ---------------------------------------------------------------------------------------------------


def workbook(*rows, header=deduction_imports.COLUMNS) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "deductions.xlsx"
    return buffer


@pytest.mark.django_db
def test_the_import_saves_good_rows_and_can_be_repeated(sales_employee, finance):
    one = sales_employee(full_name="王芳")
    two = sales_employee(full_name="李强")
    rows = [
        (one.employee_number, "王芳", "子女教育", "2026-01", None, None, "50%", "王小明"),
        (one.employee_number, "王芳", "住房租金", "2026.01", "2026-12", 1500, None, "上海"),
        (two.employee_number, None, "赡养老人", datetime.datetime(2026, 2, 1), None, 1000, None, ""),
        (two.employee_number, "李强", "继续教育(学历)", "202603", None, None, None, ""),
    ]
    assert deduction_imports.import_deductions(upload=workbook(*rows), user=finance.user) == 4
    child = SpecialDeduction.objects.get(employee=one, category=C.CHILDREN_EDUCATION)
    assert (child.share, child.note, child.start_month) == (D("0.5000"), "王小明", JAN)
    rent = SpecialDeduction.objects.get(employee=one, category=C.HOUSING_RENT)
    assert (rent.monthly_amount, rent.end_month) == (D("1500.00"), month(12))
    assert SpecialDeduction.objects.get(employee=two, category=C.DEGREE_EDUCATION).start_month == MAR
    # The same export again replaces the entries rather than clashing with them.
    assert deduction_imports.import_deductions(upload=workbook(*rows), user=finance.user) == 4
    assert SpecialDeduction.objects.count() == 4


@pytest.mark.django_db
def test_the_import_reports_every_bad_row_and_keeps_nothing(sales_employee, finance):
    one = sales_employee(full_name="王芳")
    number = one.employee_number
    rows = [
        (number, "王芳", "子女教育", "2026-01", None, None, "100%", ""),  # good, but not kept
        ("E9999", None, "子女教育", "2026-01", None, None, "50%", ""),
        (number, "张三", "子女教育", "2026-01", None, None, "50%", ""),
        (number, None, "买房", "2026-01", None, None, None, ""),
        (number, None, "住房贷款利息", "去年", None, None, None, ""),
        (number, None, "3岁以下婴幼儿照护", "2026-01", None, None, "30%", ""),
        (number, None, "住房租金", "2026-01", None, 1200, None, ""),
    ]
    with pytest.raises(deduction_imports.ImportRejected) as rejected:
        deduction_imports.import_deductions(upload=workbook(*rows), user=finance.user)
    found = {(e.row, e.column) for e in rejected.value.errors}
    assert found == {(3, "工号"), (4, "姓名"), (5, "扣除项目"), (6, "开始月份"), (7, "分摊比例"), (8, "每月扣除金额")}
    assert not SpecialDeduction.objects.exists()


@pytest.mark.django_db
def test_the_import_reports_a_clash_with_an_entry_and_keeps_nothing(sales_employee, finance):
    one = sales_employee()
    services.save_special_deduction(employee=one, category=C.HOUSING_LOAN, start_month=JAN, user=finance.user)
    rows = [
        (one.employee_number, None, "子女教育", "2026-01", None, None, 1, ""),
        (one.employee_number, None, "住房租金", "2026-01", None, 800, None, ""),
    ]
    with pytest.raises(deduction_imports.ImportRejected) as rejected:
        deduction_imports.import_deductions(upload=workbook(*rows), user=finance.user)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(3, "扣除项目")]
    assert SpecialDeduction.objects.count() == 1


@pytest.mark.django_db
def test_the_import_refuses_other_columns_and_files_that_are_not_workbooks(sales_employee, finance):
    with pytest.raises(deduction_imports.ImportRejected, match="the columns must be 工号"):
        deduction_imports.import_deductions(upload=workbook(header=["employee", "kind"]), user=finance.user)
    not_a_workbook = io.BytesIO(b"hello")
    not_a_workbook.name = "x.xlsx"
    with pytest.raises(PayrollError, match="not an Excel workbook"):
        deduction_imports.import_deductions(upload=not_a_workbook, user=finance.user)


@pytest.mark.django_db
def test_the_template_has_the_columns_and_the_rules(client_as, finance):
    response = client_as(finance).get(reverse("payroll:deduction-template"))
    book = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]] == deduction_imports.COLUMNS
    rules = [[c.value for c in row] for row in book["说明"].iter_rows(min_row=2)]
    assert rules[0][0] == "子女教育" and "国发〔2023〕13号" in rules[0][2]


# --- the page and the API -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_finance_enters_edits_ends_and_imports_on_the_page_manager_reads(client_as, finance, manager, sales_employee):
    employee = sales_employee()
    client = client_as(finance)
    form = {"employee": employee.pk, "category": "housing_rent", "start_month": "2026-01", "monthly_amount": "1200"}
    response = client.post(reverse("payroll:deduction-new"), form)
    assert response.status_code == 200 and "1,500.00" in response.context["form"].errors["monthly_amount"][0]
    response = client.post(reverse("payroll:deduction-new"), {**form, "monthly_amount": "1100"})
    assert response.status_code == 302
    entry = SpecialDeduction.objects.get()
    response = client.post(reverse("payroll:deduction-edit", args=[entry.pk]), {**form, "monthly_amount": "800"})
    assert response.status_code == 302
    response = client.post(reverse("payroll:deduction-end", args=[entry.pk]), {"end_month": "2026-06"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.monthly_amount, entry.end_month) == (D("800.00"), month(6))
    upload = workbook((employee.employee_number, None, "住房贷款利息", "2026-07", None, None, None, ""))
    response = client.post(reverse("payroll:deduction-list"), {"file": upload})
    assert response.status_code == 302 and SpecialDeduction.objects.count() == 2

    page = client_as(manager).get(reverse("payroll:deduction-list"), {"employee": employee.pk})
    assert page.status_code == 200 and not page.context["can_edit"]
    assert f'data-testid="deduction-{entry.pk}"' in page.content.decode()
    assert (
        client_as(manager).post(reverse("payroll:deduction-new"), {**form, "monthly_amount": "1100"}).status_code == 302
    )
    assert client_as(manager).post(reverse("payroll:deduction-list"), {"file": upload}).status_code == 302
    assert SpecialDeduction.objects.count() == 2  # neither the form nor the import took the manager's


@pytest.mark.django_db
def test_staff_neither_open_the_page_nor_see_others_deductions(client_as, api_as, staff, sales_employee, finance):
    other = sales_employee()
    services.save_special_deduction(employee=other, category=C.HOUSING_LOAN, start_month=JAN, user=finance.user)
    mine = services.save_special_deduction(
        employee=staff, category=C.HOUSING_RENT, start_month=JAN, monthly_amount=D("800"), user=finance.user
    )
    assert client_as(staff).get(reverse("payroll:deduction-list")).status_code in (302, 403)
    api = api_as(staff)
    listed = api.get("/api/payroll/special-deductions/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [mine.pk]
    theirs = SpecialDeduction.objects.get(employee=other)
    assert api.get(f"/api/payroll/special-deductions/{theirs.pk}/").status_code == 404
    assert api.post("/api/payroll/special-deductions/", {}).status_code == 403


@pytest.mark.django_db
def test_finance_writes_through_the_api_with_errors_at_the_field(api_as, finance, manager, sales_employee):
    employee = sales_employee()
    body = {"employee": employee.pk, "category": "children_education", "start_month": "2026-01", "share": "0.3"}
    response = api_as(finance).post("/api/payroll/special-deductions/", body, format="json")
    assert response.status_code == 400 and "share" in response.json()["errors"]
    response = api_as(finance).post("/api/payroll/special-deductions/", {**body, "share": "0.5"}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = api_as(finance).patch(f"/api/payroll/special-deductions/{pk}/", {"end_month": "2026-08"}, format="json")
    assert response.status_code == 200 and response.json()["end_month"] == "2026-08"
    assert response.json()["share"] == "0.5000"
    assert api_as(manager).get(f"/api/payroll/special-deductions/{pk}/").status_code == 200
    assert (
        api_as(manager).patch(f"/api/payroll/special-deductions/{pk}/", {"note": "x"}, format="json").status_code == 403
    )


# --- the payslip ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_payslip_lists_the_categories_in_chinese(client_as, sales_employee, finance, settings):
    employee = sales_employee(base="20000.00")
    services.save_special_deduction(
        employee=employee, category=C.CHILDREN_EDUCATION, start_month=JAN, share=D("1"), user=finance.user
    )
    services.save_special_deduction(
        employee=employee, category=C.ELDERLY_SUPPORT, start_month=MAR, monthly_amount=D("1500"), user=finance.user
    )
    run = run_month()
    slip = _slip(run, employee)
    services.approve_run(run=run, user=finance.user)
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        page = client_as(employee).get(slip.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    table = page[page.index('data-testid="additional-deductions"') :]
    assert '<td>子女教育</td><td class="num">2,000.00</td><td class="num">6,000.00</td>' in table
    assert '<td>赡养老人</td><td class="num">1,500.00</td><td class="num">1,500.00</td>' in table
    assert "本月" in table and "本年累计" in table


@pytest.mark.django_db
def test_the_pay_profile_says_its_number_gives_way_to_the_categories(client_as, manager, sales_employee):
    employee = sales_employee()
    page = client_as(manager).get(reverse("payroll:profile-edit", args=[employee.pk])).content.decode()
    assert "Used only while the employee has no special additional deductions by category." in page
