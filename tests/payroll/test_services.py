"""The payroll services: figures, the run's state machine, retries, errors, locks and bad input."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from payroll import calculation, services
from payroll.calculation import working_days
from payroll.choices import AdjustmentKind, ComponentKind, RunStatus
from payroll.engine import ComponentError, ComponentSpec
from payroll.exceptions import PayrollConflict, PayrollError, RunInputsChanged
from payroll.models import PayrollRun, Payslip, PayslipLine, SalesFigure

from .conftest import COMPONENTS, MONTH, run_month

pytestmark = pytest.mark.django_db
D = Decimal


def slip_of(employee, month=MONTH):
    return Payslip.objects.get(employee=employee, run__month=month)


def line(slip, code):
    return slip.lines.get(code=code)


def test_a_full_payslip_adds_up(sales_employee, payroll_world):
    employee = sales_employee(base="10000.00", hire_date=datetime.date(2026, 3, 1))
    run = run_month()
    assert run.status == RunStatus.READY
    slip = slip_of(employee)
    assert line(slip, "base_pay").amount == D("10000.00")
    assert line(slip, "kpi").amount == D("500.00")  # nothing due on checklists counts as complete
    assert line(slip, "training").amount == D("150.00")
    assert line(slip, "room_and_board").amount == D("1000.00")
    assert slip.gross_pay == D("10500.00")
    assert slip.social_insurance == D("1000.00")  # 10,000 x (8% + 2%)
    assert slip.housing_fund == D("500.00")
    # Hired this month: 10,500 - 5,000 - 1,500 = 4,000 taxable x 3%.
    assert slip.income_tax == D("120.00")
    assert slip.net_pay == D("8880.00")
    assert slip.employer_social_insurance == D("2400.00")
    assert slip.employer_cost == D("10500.00") + D("2400.00") + D("500.00") + D("150.00") + D("1000.00")
    assert slip.structure_version == payroll_world["version"]


def test_profit_share_line_explains_itself(sales_employee, payroll_world):
    employee = sales_employee()
    services.save_sales_figure(
        month=MONTH, department=payroll_world["department"], sales=D("900000"), gross_profit=D("308640.00"), user=None
    )
    run_month()
    share = line(slip_of(employee), "profit_share")
    assert share.amount == D("9876.48")
    assert share.formula == "0.08 * profit_pool"
    assert share.inputs == {"profit_pool": "123456.00"}
    from payroll.selectors import explain_line

    assert explain_line(share) == "0.08 \u00d7 123,456.00 = 9,876.48"


def test_mid_month_hire_is_prorated_by_working_days(sales_employee):
    employee = sales_employee(base="10000.00", hire_date=datetime.date(2026, 3, 16))
    run_month()
    slip = slip_of(employee)
    assert slip.working_days == working_days(MONTH)
    assert slip.days_worked == 12
    exact = D("10000.00") * 12 / slip.working_days
    assert line(slip, "base_pay").exact == str(exact)
    assert line(slip, "base_pay").amount == D("5454.55")


def test_attendance_and_adjustments_feed_the_formulas(sales_employee, manager):
    employee = sales_employee(base="2200.00")
    services.save_attendance(month=MONTH, employee=employee, days_worked=D("20"), unpaid_leave_days=D("2"), user=None)
    for kind, amount in (
        (AdjustmentKind.BONUS, "4000"),
        (AdjustmentKind.BONUS, "2000"),
        (AdjustmentKind.PENALTY, "80"),
    ):
        services.add_adjustment(
            month=MONTH, employee=employee, kind=kind, amount=D(amount), reason="r", user=manager.user
        )
    run_month()
    slip = slip_of(employee)
    assert line(slip, "base_pay").amount == D("2000.00")  # 2,200 x 20 / 22
    assert line(slip, "rewards").amount == D("5000.00")  # min(6,000, 5,000)
    assert line(slip, "penalties").amount == D("80.00")
    assert slip.deductions == D("80.00")
    assert slip.taxable_income == slip.gross_pay - D("80.00")


def test_contribution_base_is_kept_within_floor_and_ceiling(sales_employee):
    low = sales_employee(base="1500.00")
    high = sales_employee(base="45000.00")
    run_month()
    assert slip_of(low).social_insurance == D("300.00")  # floor 3,000 x 10%
    assert slip_of(high).social_insurance == D("2000.00")  # ceiling 20,000 x 10%
    assert slip_of(high).housing_fund == D("1500.00")  # fund ceiling 30,000 x 5%


def test_corrections_of_earlier_months_are_paid_as_a_system_line(sales_employee, manager):
    employee = sales_employee()
    services.add_adjustment(
        month=MONTH,
        employee=employee,
        kind=AdjustmentKind.CORRECTION,
        amount=D("-120.50"),
        reason="February overpaid",
        corrects_month=datetime.date(2026, 2, 1),
        user=manager.user,
    )
    run_month()
    assert line(slip_of(employee), "correction").amount == D("-120.50")


def test_cumulative_tax_across_approved_months(sales_employee, finance):
    employee = sales_employee(base="20000.00", hire_date=datetime.date(2025, 6, 1))
    taxes = []
    for month in (1, 2, 3, 4):
        run = run_month(datetime.date(2026, month, 1))
        taxes.append(slip_of(employee, run.month).income_tax)
        services.approve_run(run=run, user=finance.user, confirm_flagged=True)
    # 20,500 gross (with the KPI 500), 3,000 insurance and fund: 12,500 taxable a month.
    # Jan-Feb: 3% -> 375; Mar: 37,500 x 10% - 2,520 = 1,230 - 750 = 480; Apr: 50,000 x 10% - 2,520 - 1,230 = 1,250.
    assert taxes == [D("375.00"), D("375.00"), D("480.00"), D("1250.00")]
    assert slip_of(employee, datetime.date(2026, 4, 1)).ytd_tax == D("2480.00")


# --- The state machine ---------------------------------------------------------------------------------------------


def test_a_second_start_while_running_is_refused(sales_employee, finance):
    sales_employee()
    run = services.start_run(month=MONTH, user=finance.user, queue=False)
    with pytest.raises(PayrollConflict, match="already running") as refused:
        services.start_run(month=MONTH, user=finance.user, queue=False)
    # Who started it, by name (the login is not what colleagues know them by).
    assert f"started by {finance.full_name}," in refused.value.message
    assert finance.user.username not in refused.value.message
    assert PayrollRun.objects.count() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_a_stale_run_may_be_restarted(sales_employee, finance):
    sales_employee()
    run = services.start_run(month=MONTH, user=finance.user, queue=False)
    PayrollRun.objects.filter(pk=run.pk).update(heartbeat_at=run.heartbeat_at - services.STALE_RUN_AFTER * 2)
    again = services.start_run(month=MONTH, user=finance.user, queue=False)
    assert again.attempt == run.attempt + 1
    # The old attempt's message, if it ever arrives, does nothing.
    assert services.compute_run(run_id=run.pk, attempt=run.attempt) == "stale"
    assert services.compute_run(run_id=run.pk, attempt=again.attempt) == "ready"


def test_approve_and_pay_follow_the_state_machine(sales_employee, finance):
    sales_employee()
    run = services.start_run(month=MONTH, user=finance.user, queue=False)
    with pytest.raises(PayrollConflict, match="Only a computed payroll can be approved"):
        services.approve_run(run=run, user=finance.user)
    services.compute_run(run_id=run.pk, attempt=run.attempt)
    run.refresh_from_db()
    with pytest.raises(PayrollConflict, match="Only an approved payroll can be marked paid"):
        services.mark_paid(run=run, user=finance.user)
    run = services.approve_run(run=run, user=finance.user)
    assert (run.status, run.approved_by) == (RunStatus.APPROVED, finance.user)
    with pytest.raises(PayrollConflict, match="cannot be rerun"):
        services.start_run(month=MONTH, user=finance.user, queue=False)
    run = services.mark_paid(run=run, user=finance.user)
    assert run.status == RunStatus.PAID and run.paid_at is not None
    with pytest.raises(PayrollConflict):
        services.approve_run(run=run, user=finance.user)


def test_changing_inputs_of_a_computed_run_refuses_its_approval_until_recomputed(sales_employee, manager, finance):
    employee = sales_employee()
    run = run_month()
    services.add_adjustment(month=MONTH, employee=employee, kind="bonus", amount=D("10"), reason="r", user=manager.user)
    with pytest.raises(RunInputsChanged, match="bonuses") as refused:
        services.approve_run(run=run, user=finance.user)
    assert refused.value.changes.changed == [employee.pk] and refused.value.changes.kinds == ["bonus"]
    run.refresh_from_db()
    assert run.status == RunStatus.READY and run.approved_at is None
    run = run_month()
    assert services.approve_run(run=run, user=finance.user).status == RunStatus.APPROVED
    assert line(slip_of(employee), "rewards").amount == D("10.00")


def test_locked_month_refuses_inputs_and_nothing_changes(sales_employee, finance, manager, payroll_world):
    employee = sales_employee()
    run = run_month()
    services.approve_run(run=run, user=finance.user)
    with pytest.raises(PayrollConflict, match="read-only; enter a correction"):
        services.add_adjustment(month=MONTH, employee=employee, kind="bonus", amount=D("1"), reason="x", user=None)
    with pytest.raises(PayrollConflict):
        services.save_sales_figure(
            month=MONTH, department=payroll_world["department"], sales=D("1"), gross_profit=D("1"), user=None
        )
    with pytest.raises(PayrollConflict):
        services.save_attendance(month=MONTH, employee=employee, days_worked=D("1"), user=None)
    assert not SalesFigure.objects.exists()


def test_the_database_refuses_changes_to_an_approved_run(sales_employee, finance):
    sales_employee()
    run = run_month()
    services.approve_run(run=run, user=finance.user)
    slip = Payslip.objects.filter(run=run).first()
    attempts = [
        lambda: Payslip.objects.filter(pk=slip.pk).update(net_pay=D("1.00")),
        lambda: PayslipLine.objects.filter(payslip=slip).update(amount=D("1.00")),
        lambda: PayslipLine.objects.filter(payslip=slip).update(formula="999"),
        lambda: PayrollRun.objects.filter(pk=run.pk).update(status=RunStatus.READY),
        lambda: PayrollRun.objects.filter(pk=run.pk).update(month=datetime.date(2026, 2, 1)),
        # Deleting the run is refused by its payslips' foreign keys.
        lambda: PayrollRun.objects.filter(pk=run.pk).delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    slip.refresh_from_db()
    assert slip.net_pay != D("1.00")
    # The one allowed move: approved -> paid.
    services.mark_paid(run=run, user=finance.user)


def test_an_earlier_unapproved_month_blocks_a_later_run(sales_employee, finance):
    sales_employee()
    run_month(datetime.date(2026, 2, 1))
    with pytest.raises(PayrollConflict, match="Approve the payroll of 2026-02 first"):
        services.start_run(month=MONTH, user=finance.user, queue=False)


def test_a_month_in_the_future_is_refused(finance):
    with pytest.raises(PayrollError, match="in the future"):
        services.start_run(month=datetime.date(2999, 1, 1), user=finance.user)
    assert not PayrollRun.objects.exists()


# --- Retries and errors --------------------------------------------------------------------------------------------


def test_a_worker_killed_mid_run_and_retried_ends_with_one_payslip_each(sales_employee, monkeypatch, payroll_world):
    employees = [sales_employee(base=f"{5000 + i * 100}.00") for i in range(5)]
    services.save_sales_figure(
        month=MONTH, department=payroll_world["department"], sales=D("500000"), gross_profit=D("100000"), user=None
    )
    reference = run_month()
    expected = {s.employee_id: (s.net_pay, s.income_tax) for s in Payslip.objects.filter(run=reference)}
    # Start over: pretend the run was reset (a fresh month for the same people).
    PayslipLine.objects.all().delete()
    Payslip.objects.all().delete()
    PayrollRun.objects.all().delete()

    run = services.start_run(month=MONTH, user=None, queue=False)
    real_store = services.store_payslips
    calls = {"n": 0}

    def dying_store(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")  # not an Exception: like a SIGKILL, nothing handles it
        return real_store(**kwargs)

    monkeypatch.setattr(services.runs, "store_payslips", dying_store)
    with pytest.raises(SystemExit):
        services.compute_run(run_id=run.pk, attempt=run.attempt, batch_size=2)
    assert Payslip.objects.filter(run=run).count() == 4  # two batches were stored before the "kill"
    run.refresh_from_db()
    assert (run.status, run.done) == (RunStatus.RUNNING, 4)

    monkeypatch.setattr(services.runs, "store_payslips", real_store)
    assert services.compute_run(run_id=run.pk, attempt=run.attempt, batch_size=2) == "ready"  # the redelivery
    slips = Payslip.objects.filter(run=run)
    assert len(employees) == 5
    assert slips.count() == len(expected)
    assert {s.employee_id: (s.net_pay, s.income_tax) for s in slips} == expected
    # Run once more (a duplicate delivery after success): nothing changes.
    assert services.compute_run(run_id=run.pk, attempt=run.attempt) == "stale"
    assert Payslip.objects.filter(run=run).count() == len(expected)


def test_a_formula_error_stops_the_run_and_leaves_no_payslips(sales_employee, payroll_world):
    sales_employee()
    sales_employee()
    victim = sales_employee()
    services.save_attendance(month=MONTH, employee=victim, days_worked=D("0"), working_days=D("1"), user=None)
    divide = ComponentSpec("per_day", "Per day", ComponentKind.EARNING, "base / days_worked")
    services.save_structure_version(
        structure=payroll_world["structure"], effective_from=MONTH, components=[*COMPONENTS, divide]
    )
    run = services.start_run(month=MONTH, user=None, queue=False)
    assert services.compute_run(run_id=run.pk, attempt=run.attempt, batch_size=1) == "failed"
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error_employee == victim
    assert run.error_component == "per_day"
    assert "division by zero" in run.error_message and victim.full_name in run.error_message
    assert not Payslip.objects.filter(run=run).exists()
    assert not PayslipLine.objects.exists()


def test_queries_per_run_do_not_grow_with_employees(sales_employee):
    sales_employee()
    sales_employee()

    def count_queries():
        run = services.start_run(month=MONTH, user=None, queue=False)
        with CaptureQueriesContext(connection) as queries:
            services.compute_run(run_id=run.pk, attempt=run.attempt)
        PayslipLine.objects.all().delete()
        Payslip.objects.all().delete()
        PayrollRun.objects.all().delete()
        # The audit trail's rows for the run's state changes are not payslip writing.
        inserts = [q for q in queries if q["sql"].startswith("INSERT") and "historical" not in q["sql"]]
        return len(queries) - len(inserts), len(inserts)

    small, small_inserts = count_queries()
    for _ in range(15):
        sales_employee()
    others, inserts = count_queries()
    assert others == small
    # One INSERT for the payslips per batch (the lines go in by COPY on PostgreSQL); SQLite splits at 999 parameters.
    if connection.vendor == "postgresql":
        assert inserts == small_inserts == 1


def test_queries_per_batch_are_the_same_for_every_batch(sales_employee):
    def count_queries(batch_size):
        run = services.start_run(month=MONTH, user=None, queue=False)
        with CaptureQueriesContext(connection) as queries:
            assert services.compute_run(run_id=run.pk, attempt=run.attempt, batch_size=batch_size) == "ready"
        PayslipLine.objects.all().delete()
        Payslip.objects.all().delete()
        PayrollRun.objects.all().delete()
        # A batch's lines are one COPY on PostgreSQL; SQLite splits their INSERT at 999 parameters (99 lines), so
        # those count lines, not batches (with one line per insurance type a batch of 8 has over 99 lines).
        line_table = connection.ops.quote_name(PayslipLine._meta.db_table)
        return len([q for q in queries if not q["sql"].startswith(f"INSERT INTO {line_table}")])

    for _ in range(6):
        sales_employee()
    people = len(calculation.eligible_employees(MONTH))  # the finance and manager fixtures are paid too
    one_batch = count_queries(people)
    per_batch = count_queries(people // 2 + 1) - one_batch  # two batches: one more
    assert 0 < per_batch <= 14  # people, attendance, adjustments, year to date, openings, deductions, rates... + COPY
    assert count_queries(1) == one_batch + (people - 1) * per_batch


def test_people_between_a_batchs_ids_who_are_not_paid_change_nothing(sales_employee):
    first = sales_employee()
    gone = sales_employee(hire_date=datetime.date(2024, 1, 1))
    last = sales_employee()
    services.add_adjustment(
        month=MONTH, employee=gone, kind=AdjustmentKind.BONUS, amount=D("900.00"), reason="before leaving", user=None
    )
    services.save_attendance(month=MONTH, employee=gone, days_worked=D("3"), user=None)
    gone.leave_date = MONTH - datetime.timedelta(days=1)
    gone.save(update_fields=["leave_date"])
    run = run_month()
    assert not Payslip.objects.filter(run=run, employee=gone).exists()
    for employee in (first, last):
        slip = slip_of(employee)
        assert line(slip, "rewards").amount == D("0.00")
        assert slip.days_worked == D("22")
    # The batch's queries select by id range when the ids are dense, by list when they are sparse.
    assert "employee_id__gte" in str(calculation._id_filter("employee_id", [first.pk, last.pk]))
    assert "employee_id__in" in str(calculation._id_filter("employee_id", [1, 1000]))


def test_a_line_keeps_tabs_backslashes_and_line_breaks_of_its_name_and_formula(sales_employee, payroll_world):
    employee = sales_employee(base="10000.00")
    odd = ComponentSpec("odd", "Tab\there \\ back\\slash\nnew line", ComponentKind.EARNING, "base\n*\t0.01")
    services.save_structure_version(
        structure=payroll_world["structure"], effective_from=MONTH, components=[*COMPONENTS, odd]
    )
    run_month()
    stored = line(slip_of(employee), "odd")
    assert (stored.name, stored.formula) == (odd.name, odd.formula)
    assert (stored.inputs, stored.exact, stored.amount) == ({"base": "10000.00"}, "100.0000", D("100.00"))


# --- Structures and bad input --------------------------------------------------------------------------------------


def test_a_bad_formula_is_refused_with_row_and_column(payroll_world):
    components = [*COMPONENTS[:2], ComponentSpec("rewards", "Rewards", ComponentKind.EARNING, "min(bonsu, 5000)")]
    with pytest.raises(ComponentError) as error:
        services.save_structure_version(
            structure=payroll_world["structure"], effective_from=MONTH, components=components
        )
    assert error.value.row == 2
    assert error.value.message == "rewards: unknown name 'bonsu' at column 5; did you mean 'bonus'?"
    assert payroll_world["structure"].versions.count() == 1


def test_a_component_may_only_use_earlier_components(payroll_world):
    components = [ComponentSpec("a", "A", "earning", "b + 1"), ComponentSpec("b", "B", "earning", "1")]
    with pytest.raises(ComponentError, match="unknown name 'b'"):
        services.check_components(components)
    with pytest.raises(ComponentError, match="used twice"):
        services.check_components([ComponentSpec("a", "A", "earning", "1"), ComponentSpec("a", "A", "earning", "2")])
    with pytest.raises(ComponentError, match="name of a variable"):
        services.check_components([ComponentSpec("base", "A", "earning", "1")])


def test_past_runs_keep_their_version(sales_employee, finance, payroll_world):
    employee = sales_employee()
    run = run_month(datetime.date(2026, 2, 1))
    services.approve_run(run=run, user=finance.user)
    old = payroll_world["version"]
    with pytest.raises(PayrollConflict, match="used by an approved payroll"):
        services.save_structure_version(
            structure=payroll_world["structure"], effective_from=datetime.date(2026, 1, 1), components=COMPONENTS[:1]
        )
    new = services.save_structure_version(
        structure=payroll_world["structure"], effective_from=MONTH, components=COMPONENTS[:1]
    )
    run_month()
    assert slip_of(employee, datetime.date(2026, 2, 1)).structure_version == old
    assert slip_of(employee).structure_version == new
    assert old.components.count() == len(COMPONENTS)


def test_what_if_preview_shows_differences_and_writes_nothing(sales_employee, payroll_world):
    employee = sales_employee(base="10000.00")
    changed = [
        ComponentSpec(c.code, c.name, c.kind, "if(completion_rate >= 0.95, 800, 0)" if c.code == "kpi" else c.formula)
        for c in COMPONENTS
    ]
    rows = services.preview_structure_change(version=payroll_world["version"], components=changed, month=MONTH)
    assert [row.employee for row in rows] == [employee]
    assert rows[0].amount("before", "kpi") == D("500.00")
    assert rows[0].amount("after", "kpi") == D("800.00")
    assert rows[0].net_difference > 0
    assert not Payslip.objects.exists()
    assert payroll_world["version"].components.get(code="kpi").formula == "if(completion_rate >= 0.95, 500, 0)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "bonus", "amount": D("-5")}, "between"),
        ({"kind": "bonus", "amount": D("0")}, "between"),
        ({"kind": "penalty", "amount": D("99999999")}, "between"),
        ({"kind": "bonus", "amount": D("1.234")}, "two decimal places"),
        ({"kind": "bonus", "amount": D("10"), "reason": "  "}, "reason"),
        ({"kind": "correction", "amount": D("10")}, "earlier month"),
        ({"kind": "gift", "amount": D("10")}, "Unknown kind"),
    ],
)
def test_bad_adjustments_are_refused(sales_employee, kwargs, message):
    employee = sales_employee()
    values = {"reason": "because", **kwargs}
    with pytest.raises(PayrollError, match=message):
        services.add_adjustment(month=MONTH, employee=employee, user=None, **values)


def test_bad_attendance_and_sales_are_refused(sales_employee, payroll_world):
    employee = sales_employee()
    with pytest.raises(PayrollError, match="exceed"):
        services.save_attendance(
            month=MONTH, employee=employee, days_worked=D("22"), unpaid_leave_days=D("5"), user=None
        )
    with pytest.raises(PayrollError, match="cannot exceed sales"):
        services.save_sales_figure(
            month=MONTH, department=payroll_world["department"], sales=D("10"), gross_profit=D("20"), user=None
        )
    with pytest.raises(PayrollError, match="between"):
        services.save_sales_figure(
            month=MONTH, department=payroll_world["department"], sales=D("-1"), gross_profit=D("-2"), user=None
        )


def test_base_salary_must_fit_the_pay_grade(sales_employee):
    employee = sales_employee()
    with pytest.raises(PayrollError, match="pay grade"):
        services.save_pay_profile(employee=employee, user=None, base_salary=D("60000"))


def test_parse_month():
    assert services.parse_month("2026-5") == datetime.date(2026, 5, 1)
    for bad in ("2026-13", "may", "", "20260501"):
        with pytest.raises(PayrollError, match="YYYY-MM"):
            services.parse_month(bad)


def test_an_unexpected_error_marks_the_run_failed_instead_of_busy(sales_employee, monkeypatch):
    sales_employee()
    run = services.start_run(month=MONTH, user=None, queue=False)

    def broken(item):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.runs, "compute_payslip", broken)
    with pytest.raises(RuntimeError):
        services.compute_run(run_id=run.pk, attempt=run.attempt)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "unexpected error" in run.error_message
    assert not Payslip.objects.exists()


def test_a_negative_net_pay_is_named_in_cents(sales_employee):
    """Found by an attacker: the refusal showed the exact figure with ten decimals (-9,937.7100000000)."""
    import re

    employee = sales_employee(base="5000.00")
    services.add_adjustment(
        month=MONTH, employee=employee, kind="penalty", amount=D("90000.33"), reason="damage", user=None
    )
    run = run_month()
    assert run.status == "failed"
    assert re.search(r"negative \(-[\d,]+\.\d\d\)", run.error_message), run.error_message
