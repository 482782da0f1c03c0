"""Payroll never approved stale or out of order: a computed run's inputs fingerprint, checked at approval, and the
order of months (issue 12, section 2)."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from payroll import fingerprint, selectors, services
from payroll.calculation import MonthData
from payroll.choices import ComponentKind, RunStatus
from payroll.engine import VARIABLES, ComponentSpec, EmployeeMonth, compute_payslip
from payroll.exceptions import PayrollConflict, PayrollError, RunInputsChanged
from payroll.models import InsurancePolicy, PayrollRun, Payslip, SalaryStructure, StructureVersion
from roles.choices import DayKind
from roles.permissions import OPERATOR
from roles.services import checklists as checklist_services
from roles.services import org as org_services
from roles.workdays import WorkCalendar

from ..factories import DutyFactory, RoleFactory
from .conftest import COMPONENTS, MONTH, plain_structure, run_month

pytestmark = pytest.mark.django_db
D = Decimal
JAN, FEB, MAR = (datetime.date(2026, m, 1) for m in (1, 2, 3))


def approve(month, user):
    return services.approve_run(run=PayrollRun.objects.get(month=month), user=user, confirm_flagged=True)


def fresh_payslip(employee, month=MONTH):
    data = MonthData(month)
    [person] = data.load_people([employee.pk])
    [item] = data.batch([person])
    return compute_payslip(item)


# --- The order of months -------------------------------------------------------------------------------------------


def test_the_run_form_offers_the_month_that_is_due(client_as, finance, sales_employee):
    sales_employee()
    page = client_as(finance).get(reverse("payroll:run-list"))
    assert page.context["form"].initial["month"] == services.current_month()  # no payroll yet: this month
    approve(run_month(JAN).month, finance.user)
    run_month(FEB)
    page = client_as(finance).get(reverse("payroll:run-list"))
    assert page.context["form"].initial["month"] == FEB  # the earliest month not approved after the last approved


def test_a_month_cannot_start_while_an_earlier_month_has_no_run(sales_employee, finance):
    sales_employee()
    approve(run_month(JAN).month, finance.user)
    with pytest.raises(PayrollConflict, match="2026-02 has not been run"):
        services.start_run(month=MAR, user=finance.user, queue=False)
    assert not PayrollRun.objects.filter(month=MAR).exists()


def test_a_later_month_computed_before_an_earlier_one_waits_and_then_is_recomputed(sales_employee, finance):
    # Two months that have ended (a month is approved only then), October computed before September.
    sep, octo = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)
    employee = sales_employee(base="30000.00", hire_date=sep)
    october = run_month(octo)  # the shop's first payroll
    run_month(sep)  # an earlier month may still be added while nothing later is approved
    shown = Payslip.objects.get(run=october, employee=employee).income_tax
    with pytest.raises(PayrollConflict, match="Approve the payroll of 2026-09 first"):
        approve(octo, finance.user)
    approve(sep, finance.user)
    with pytest.raises(RunInputsChanged, match="income and tax earlier this year") as refused:
        approve(octo, finance.user)
    assert employee.pk in refused.value.changes.changed
    october = run_month(octo)
    recomputed = Payslip.objects.get(run=october, employee=employee)
    assert recomputed.income_tax > shown  # the cumulative tax now counts September
    assert recomputed.income_tax == fresh_payslip(employee, octo).income_tax
    assert approve(octo, finance.user).status == RunStatus.APPROVED


def test_an_earlier_month_cannot_start_after_a_later_one_is_approved(sales_employee, finance):
    sales_employee()
    approve(run_month(FEB).month, finance.user)
    with pytest.raises(PayrollConflict, match="already approved"):
        services.start_run(month=JAN, user=finance.user, queue=False)


def test_a_new_tax_year_starts_without_the_old_one(sales_employee, finance):
    sales_employee()
    for structure in SalaryStructure.objects.all():  # the structures of the fixtures start in 2026: copy them back
        components = structure.versions.get().components.all()
        specs = [ComponentSpec(c.code, c.name, c.kind, c.formula) for c in components]
        services.save_structure_version(
            structure=structure, effective_from=datetime.date(2025, 12, 1), components=specs
        )
    run_month(datetime.date(2025, 12, 1))
    assert run_month(JAN).status == RunStatus.READY  # December 2025 is another tax year
    assert approve(JAN, finance.user).status == RunStatus.APPROVED


def test_a_failed_or_draft_earlier_month_blocks(sales_employee, finance):
    sales_employee()
    approve(run_month(JAN).month, finance.user)
    run_month(FEB)
    with pytest.raises(PayrollConflict, match="Approve the payroll of 2026-02 first"):
        services.start_run(month=MAR, user=finance.user, queue=False)


# --- Inputs that change after the computation ------------------------------------------------------------------


def _leaver(employee, **_):
    org_services.record_leaving(employee=employee, by=OPERATOR, leave_date=MONTH.replace(day=2))


def _role_change(employee, **_):
    role = RoleFactory(department=employee.role.department, pay_grade_min=D("1000"), pay_grade_max=D("50000"))
    plain_structure(role)
    org_services.update_employee(employee=employee, by=OPERATOR, role=role)


def _holiday(employee, **_):
    checklist_services.save_holiday(date=datetime.date(2026, 3, 10), kind=DayKind.HOLIDAY, name_zh="假日")


def _sales(employee, world, **_):
    services.save_sales_figure(
        month=MONTH, department=world["department"], sales=D("1000"), gross_profit=D("500"), user=None
    )


def _bonus(employee, **_):
    services.add_adjustment(month=MONTH, employee=employee, kind="bonus", amount=D("5"), reason="r", user=None)


def _penalty(employee, **_):
    services.add_adjustment(month=MONTH, employee=employee, kind="penalty", amount=D("5"), reason="r", user=None)


def _attendance(employee, **_):
    services.save_attendance(month=MONTH, employee=employee, days_worked=D("20"), user=None)


def _structure(employee, world, **_):
    changed = [*COMPONENTS[:-1], ComponentSpec("room_and_board", "Room and board", ComponentKind.BENEFIT, "900")]
    services.save_structure_version(structure=world["structure"], effective_from=MONTH, components=changed)


def _policy(employee, **_):
    policy = InsurancePolicy.objects.get()
    services.save_insurance_policy(policy=policy, user=None, pension_employee=D("0.07"))


def _rounding(employee, **_):
    """Rounding each insurance line to the yuan changes no rate, but every amount: the run is stale all the same."""
    policy = InsurancePolicy.objects.get()
    services.save_insurance_policy(policy=policy, user=None, rounding="yuan")


def _pool(employee, world, **_):
    services.save_pool_rule(department=world["department"], rate=D("0.30"), user=None)


def _tax_opening(employee, **_):
    services.save_tax_opening_balance(
        employee=employee,
        year=2026,
        income=D("20000"),
        special_deductions=D("0"),
        additional_deductions=D("0"),
        tax_withheld=D("100"),
        user=None,
    )


def _pay_profile(employee, **_):
    services.save_pay_profile(employee=employee, user=None, base_salary=D("12000.00"))


def _checklist(employee, **_):
    """A duty item due in the month and not done (recorded late): the completion rate drops from 1 to 0."""
    from roles.models import ChecklistItem

    day = datetime.date(2026, 3, 3)
    duty = DutyFactory(role=employee.role)
    ChecklistItem.objects.create(employee=employee, duty=duty, period_start=day, due_date=day, title_zh="盘点")
    checklist_services.refresh_day_summaries(due_date=day, employee_id=employee.pk)


def _bank_account(employee, **_):
    """Not an input of the pay but of the payment: approval copies the account to the payslip for the bank sheet."""
    org_services.update_employee(employee=employee, by=OPERATOR, bank_account="6222000099998888777")


def _account_name(employee, **_):
    """The name the account is paid to (户名): a bank refuses, or pays someone else, when it does not match."""
    org_services.update_employee(employee=employee, by=OPERATOR, full_name="改名后")


CHANGES = {
    "leaver": (_leaver, {"days_worked"}),
    "role": (_role_change, {"placement", "components", "pool_headcount"}),
    "holiday": (_holiday, {"working_days", "days_worked"}),
    "sales": (_sales, {"sales", "gross_profit", "team_sales", "team_gross_profit", "profit_pool"}),
    "bonus": (_bonus, {"bonus"}),
    "penalty": (_penalty, {"penalty"}),
    "attendance": (_attendance, {"days_worked", "working_days", "unpaid_leave_days"}),  # the entry replaces all three
    "structure": (_structure, {"placement", "components"}),
    "policy": (_policy, {"policy"}),
    "rounding": (_rounding, {"policy"}),
    "pool": (_pool, set()),  # no gross profit: the pool is 0 either way, and figures read nothing else of it
    "tax_opening": (_tax_opening, {"prior"}),
    "pay_profile": (_pay_profile, {"base"}),
    "checklist": (_checklist, {"completion_rate"}),
    "bank_account": (_bank_account, {"bank_account"}),
    "account_name": (_account_name, {"bank_account"}),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_after_the_computation_refuses_approval_and_names_it(change, sales_employee, finance, payroll_world):
    employee = low_insurance(sales_employee())
    run = run_month()
    assert run.inputs_fingerprint and not selectors.run_input_changes(run=run)
    make, kinds = CHANGES[change]
    make(employee, world=payroll_world)
    changes = selectors.run_input_changes(run=run)
    if not kinds:  # a setting that changes no input of this month leaves the run approvable
        assert not changes
        return
    assert set(changes.kinds) == kinds and employee.pk in changes.changed
    with pytest.raises(RunInputsChanged) as refused:
        services.approve_run(run=run, user=finance.user)
    message = refused.value.message
    employee.refresh_from_db()  # named as it is now (a change may be its name)
    named = str(employee) if len(changes.changed) < changes.paid else f"everyone in this run ({changes.paid} people)"
    assert named in message and all(fingerprint.kind_label(kind) in message for kind in kinds)
    run.refresh_from_db()
    assert run.status == RunStatus.READY and run.approved_at is None
    run = run_month()
    assert run.status == RunStatus.READY, run.error_message
    services.approve_run(run=run, user=finance.user)
    stored = Payslip.objects.get(run=run, employee=employee)
    assert stored.net_pay == fresh_payslip(employee).net_pay


def low_insurance(employee):
    """Insurance on a small base, so that one day's pay of a leaver still covers it (net pay stays positive)."""
    services.save_pay_profile(employee=employee, user=None, contribution_base=D("3000.00"))
    return employee


def test_a_late_leaver_is_not_paid_the_full_month(sales_employee, finance):
    employee = low_insurance(sales_employee(base="22000.00"))
    run = run_month()
    _leaver(employee)
    with pytest.raises(RunInputsChanged, match="days worked"):
        services.approve_run(run=run, user=finance.user)
    run = run_month()
    services.approve_run(run=run, user=finance.user)
    slip = Payslip.objects.get(run=run, employee=employee)
    # 2026-03-01 is a Sunday: one working day, the 2nd.
    assert slip.days_worked == D("1") and slip.lines.get(code="base_pay").amount == D("1000.00")


def test_a_leave_date_before_the_month_removes_the_person(sales_employee, finance):
    employee = sales_employee()
    run = run_month()
    org_services.record_leaving(employee=employee, by=OPERATOR, leave_date=datetime.date(2026, 2, 27))
    changes = selectors.run_input_changes(run=run)
    assert changes.removed == [employee.pk] and "people" in changes.kinds


def test_a_hire_after_the_computation_names_who_is_paid_not_every_kind(sales_employee, finance):
    """Found by a tester: one new hire listed 25 kinds of input as changed (each kind's digest runs over everyone)."""
    sales_employee()
    run = run_month()
    newcomer = sales_employee(hire_date=MONTH)
    changes = selectors.run_input_changes(run=run)
    assert changes.kinds == ["people"] and changes.added == [newcomer.pk]
    with pytest.raises(RunInputsChanged, match="who is paid"):
        services.approve_run(run=run, user=finance.user)


def test_a_run_computed_before_fingerprints_must_be_recomputed(sales_employee, finance):
    sales_employee()
    run = run_month()
    PayrollRun.objects.filter(pk=run.pk).update(inputs_fingerprint=None, inputs_by_kind=None)
    run.refresh_from_db()
    with pytest.raises(RunInputsChanged, match="before ShopOps recorded"):
        services.approve_run(run=run, user=finance.user)


def test_inputs_that_can_no_longer_be_computed_are_named(sales_employee, finance):
    sales_employee()
    run = run_month()
    InsurancePolicy.objects.update(is_default=False)
    changes = selectors.run_input_changes(run=run)
    assert changes and "no insurance policy" in changes.error


def test_every_engine_input_is_in_the_fingerprint_and_named():
    """A field added to EmployeeMonth or a new formula variable is fingerprinted by the generic walk; this keeps
    its name readable on the run page too."""
    kinds = {f.name for f in dataclasses.fields(EmployeeMonth)} - {"employee_id", "variables"} | set(VARIABLES)
    assert kinds <= set(fingerprint.KIND_LABELS)


def test_the_fingerprint_refuses_a_value_it_cannot_write():
    with pytest.raises(TypeError, match="no canonical text"):
        fingerprint._text(object())


def test_a_structure_version_created_after_computation_is_noticed(sales_employee, finance, payroll_world):
    sales_employee()
    run = run_month()
    before = StructureVersion.objects.count()
    _structure(None, payroll_world)
    assert StructureVersion.objects.count() == before + 1
    assert "components" in selectors.run_input_changes(run=run).kinds


# --- The page and the API say what changed -----------------------------------------------------------------------


def test_the_run_page_and_api_say_what_changed(client_as, api_as, finance, sales_employee):
    employee = sales_employee()
    run = run_month()
    page = client_as(finance).get(run.get_absolute_url())
    assert page.context["input_changes"] is None or not page.context["input_changes"].changes
    _leaver(employee)
    page = client_as(finance).get(run.get_absolute_url())
    html = page.content.decode()
    assert 'data-testid="stale"' in html and "days worked" in html and employee.full_name in html
    assert 'data-testid="approve"' not in html
    detail = api_as(finance).get(f"/api/payroll/runs/{run.pk}/").json()
    assert detail["input_changes"]["inputs"][0]["kind"] == "days_worked"
    assert detail["input_changes"]["changed_employees"] == [{"id": employee.pk, "name": str(employee)}]
    response = api_as(finance).post(f"/api/payroll/runs/{run.pk}/approve/")
    assert response.status_code == 409
    body = response.json()
    assert "days worked" in body["detail"] and body["errors"]["inputs"]
    refused = client_as(finance).post(reverse("payroll:run-approve", args=[run.label]), follow=True)
    assert "days worked" in refused.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.READY


def test_a_stale_run_is_not_exported_with_its_old_figures(client_as, api_as, finance, sales_employee):
    """Found by a tester: a ready run gone stale still gave its workbook (bank-transfer sheet included) with the
    old figures; its export now waits for the recomputation, like its approval."""
    employee = sales_employee()
    run = run_month()
    _bonus(employee)
    page = client_as(finance).get(run.get_absolute_url()).content.decode()
    assert 'data-testid="export"' not in page
    response = api_as(finance).post(f"/api/payroll/runs/{run.pk}/export/")
    assert response.status_code == 409 and "bonuses" in response.json()["detail"]
    assert "before exporting" in response.json()["detail"]
    refused = client_as(finance).post(reverse("payroll:run-export", args=[run.label]), follow=True)
    assert "before exporting" in refused.content.decode()
    assert not run.exports.exists()


def test_a_file_written_before_the_inputs_changed_is_not_downloaded(client_as, api_as, finance, sales_employee):
    """Found by a tester: the workbook exported while the run was current was still offered and downloaded (old bank
    accounts, a penalty missing) after the inputs changed; it now waits for the recomputation like a new export."""
    employee = sales_employee()
    run = run_month()
    job = services.request_export(run=run, user=finance.user)
    assert job.status == "done"
    download = reverse("payroll:export-download", args=[job.pk])
    assert client_as(finance).get(download).status_code == 200
    _bank_account(employee)
    page = client_as(finance).get(run.get_absolute_url()).content.decode()
    assert download not in page and 'data-testid="export-stale"' in page
    progress = client_as(finance).get(reverse("payroll:export-progress", args=[job.pk])).content.decode()
    assert download not in progress and 'data-testid="export-stale"' in progress
    refused = client_as(finance).get(download, follow=True)
    assert "run it again and export anew" in refused.content.decode() and "bank accounts" in refused.content.decode()
    response = api_as(finance).get(f"/api/payroll/exports/{job.pk}/download/")
    assert response.status_code == 409 and "bank accounts" in response.json()["detail"]
    run_month()  # computed again: a new export is current, the old file stays refused as an older computation's
    assert api_as(finance).get(f"/api/payroll/exports/{job.pk}/download/").status_code == 409


# --- Property: what is approved is what a fresh computation gives -------------------------------------------------

MONTHS = (JAN, FEB, MAR)
months = st.integers(0, 2)
changes = st.one_of(
    st.tuples(st.just("bonus"), st.integers(0, 2), months, st.integers(1, 9000)),
    st.tuples(st.just("leaver"), st.integers(0, 2), months, st.integers(1, 28)),
    st.tuples(st.just("role"), st.integers(0, 2), st.integers(0, 1)),
    st.tuples(st.just("holiday"), months, st.integers(1, 28)),
    st.tuples(st.just("sales"), months, st.integers(0, 3)),
)
# Starts and approvals as often as input changes (and a start directly followed by its approval), so that
# sequences reach approved and refused months.
action = st.one_of(
    changes,
    st.tuples(st.just("start"), months),
    st.tuples(st.just("approve"), months),
    st.tuples(st.just("start and approve"), months),
    st.tuples(st.just("start, change, approve"), months, changes),
)


class Model:
    """What the test expects, by plain rules: which months are run and approved, and which computed months had an
    input change since their computation."""

    def __init__(self, employees):
        self.status: dict[datetime.date, str] = {}
        self.dirty: dict[datetime.date, bool] = {}
        self.employees = employees

    def blocked(self, month, status=None):
        """Whether an earlier month of the tax year since the first run is not approved (`status`: the runs)."""
        status = self.status if status is None else status
        if not status:
            return False
        current = max(month.replace(month=1), min(status))
        while current < month:
            if status.get(current) != "approved":
                return True
            current = selectors.next_month(current)
        return False

    def touch(self, month):
        if self.status.get(month) == "ready":
            self.dirty[month] = True


def employment(employee, month):
    """(paid this month, working days employed) by the plain rule, for the model."""
    end = (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    if employee.leave_date is not None and employee.leave_date < month:
        return (False, 0)
    calendar = WorkCalendar.load(start=month, end=end)
    return (True, calendar.working_days_between(max(employee.hire_date, month), min(employee.leave_date or end, end)))


def check_approved_equals_fresh(month):
    data = MonthData(month)
    people = data.load_people(data.employee_ids())
    fresh = {slip.employee_id: slip for slip in map(compute_payslip, data.batch(people))}
    stored = {slip.employee_id: slip for slip in Payslip.objects.filter(run__month=month).prefetch_related("lines")}
    assert set(stored) == set(fresh)
    for pk, slip in stored.items():
        expected = fresh[pk]
        for name in ("gross_pay", "deductions", "income_tax", "net_pay", "ytd_tax", "days_worked", "working_days"):
            assert getattr(slip, name) == getattr(expected, name), (month, pk, name)
        assert [(line.code, line.amount, line.inputs) for line in slip.lines.all()] == [
            (line.code, line.amount, line.inputs) for line in expected.lines
        ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(action, min_size=6, max_size=20))
def test_approved_payslips_equal_a_fresh_computation_and_refusal_means_changed_inputs(
    actions, sales_employee, finance, payroll_world
):
    with transaction.atomic():
        _play(actions, sales_employee, finance, payroll_world)
        transaction.set_rollback(True)


def _play(actions, sales_employee, finance, world):
    from roles.models import Employee

    employees = [low_insurance(sales_employee(base=f"{8000 + 3000 * i}.00")) for i in range(3)]
    other_role = RoleFactory(department=world["department"], pay_grade_min=D("1000"), pay_grade_max=D("50000"))
    plain_structure(other_role)
    roles = [world["role"], other_role]
    model = Model(employees)
    steps = []
    for kind, *args in actions:  # the combined actions are their steps
        if kind == "start and approve":
            steps += [("start", *args), ("approve", *args)]
        elif kind == "start, change, approve":
            steps += [("start", args[0]), args[1], ("approve", args[0])]
        else:
            steps.append((kind, *args))
    for step in steps:
        kind, *args = step
        if kind == "bonus":
            index, month_index, amount = args
            month = MONTHS[month_index]
            try:
                services.add_adjustment(
                    month=month, employee=employees[index], kind="bonus", amount=D(amount), reason="r", user=None
                )
            except PayrollConflict:
                assert model.status.get(month) == "approved"
                continue
            if employment(Employee.objects.get(pk=employees[index].pk), month)[0]:
                model.touch(month)
        elif kind == "leaver":
            index, month_index, day = args
            employee = Employee.objects.get(pk=employees[index].pk)
            before = {month: employment(employee, month) for month in MONTHS}
            leave_date = MONTHS[month_index].replace(day=day)
            employee = org_services.record_leaving(employee=employee, by=OPERATOR, leave_date=leave_date)
            for month in MONTHS:
                if employment(employee, month) != before[month]:
                    model.touch(month)
        elif kind == "role":
            index, role_index = args
            employee = Employee.objects.get(pk=employees[index].pk)
            if employee.role_id == roles[role_index].pk:
                continue
            org_services.update_employee(employee=employee, by=OPERATOR, role=roles[role_index])
            for month in MONTHS:
                if employment(employee, month)[0]:
                    model.touch(month)
        elif kind == "holiday":
            month_index, day = args
            date = MONTHS[month_index].replace(day=day)
            from roles.models import Holiday

            if Holiday.objects.filter(date=date).exists():
                continue
            checklist_services.save_holiday(date=date, kind=DayKind.HOLIDAY, name_zh="假日")
            if date.weekday() < 5:
                model.touch(MONTHS[month_index])
        elif kind == "sales":
            month_index, level = args
            month = MONTHS[month_index]
            from payroll.models import SalesFigure

            old = SalesFigure.objects.filter(month=month).values_list("sales", flat=True).first()
            try:
                services.save_sales_figure(
                    month=month,
                    department=world["department"],
                    sales=D(level * 100000),
                    gross_profit=D(level * 40000),
                    user=None,
                )
            except PayrollConflict:
                assert model.status.get(month) == "approved"
                continue
            if (old or D(0)) != D(level * 100000):  # no figure yet reads as sales of 0: entering 0 changes nothing
                model.touch(month)
        elif kind == "start":
            month = MONTHS[args[0]]
            expected_ok = model.status.get(month) != "approved" and not any(
                later > month and status == "approved" for later, status in model.status.items()
            )
            if expected_ok:  # the run is created first, so it may itself be the shop's first payroll
                expected_ok = not model.blocked(month, {month: "draft", **model.status})
            try:
                run = services.start_run(month=month, user=finance.user, queue=False)
            except (PayrollConflict, PayrollError):
                assert not expected_ok, f"start of {month} refused"
                event("start refused")
                continue
            assert expected_ok, f"start of {month} accepted"
            services.compute_run(run_id=run.pk, attempt=run.attempt)
            run.refresh_from_db()
            assert run.status == RunStatus.READY, run.error_message
            model.status[month], model.dirty[month] = "ready", False
        elif kind == "approve":
            month = MONTHS[args[0]]
            run = PayrollRun.objects.filter(month=month).first()
            if run is None:
                continue
            try:
                services.approve_run(run=run, user=finance.user, confirm_flagged=True)
            except RunInputsChanged:
                assert model.status[month] == "ready" and not model.blocked(month) and model.dirty[month], month
                event("approval refused: inputs changed")
                continue
            except PayrollConflict:
                assert model.status[month] != "ready" or model.blocked(month), month
                event("approval refused: not ready or an earlier month not approved")
                continue
            assert model.status[month] == "ready" and not model.blocked(month) and not model.dirty[month], month
            check_approved_equals_fresh(month)
            event("approved")
            model.status[month] = "approved"
            for later in MONTHS:  # later months of the year read this one's figures as tax withheld before
                if later > month:
                    model.touch(later)
