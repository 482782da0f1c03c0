"""Every write of the payroll goes through these functions; views, the API, imports and tasks call them."""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from roles.models import Department, Employee
from roles.services import check_not_own_pay
from shop_ops import jobs
from shop_ops.numbers import format_money

from . import selectors
from .calculation import MonthData, PayPerson
from .choices import LOCKED_STATUSES, AdjustmentKind, ExportStatus, RunStatus
from .engine import (
    ComponentError,
    ComponentSpec,
    ComputationError,
    ComputedPayslip,
    compile_components,
    compute_payslip,
)
from .exceptions import PayrollConflict, PayrollError, RunInputsChanged
from .fingerprint import Fingerprint
from .models import (
    INSURANCE_RATE_FIELDS,
    Adjustment,
    Attendance,
    Component,
    InsurancePolicy,
    PayProfile,
    PayrollExport,
    PayrollRun,
    Payslip,
    PayslipLine,
    ProfitPoolRule,
    SalaryStructure,
    SalesFigure,
    StructureVersion,
    TaxOpeningBalance,
    month_label,
)
from .money import MAX_INPUT_AMOUNT
from .selectors import VISIBLE_RUN_STATUSES

logger = logging.getLogger(__name__)

# Year-to-date figures (a tax opening balance) are bounded like inputs, by a year's worth of them.
MAX_YEAR_AMOUNT = MAX_INPUT_AMOUNT * 12

BATCH_SIZE = 2000
# A run whose worker has not reported progress for this long may be restarted by finance.
STALE_RUN_AFTER = datetime.timedelta(minutes=10)

# The state machine of a run, in one place. APPROVED and PAID are also guarded by database triggers.
TRANSITIONS: dict[str, set[str]] = {
    RunStatus.DRAFT: {RunStatus.RUNNING},
    RunStatus.RUNNING: {RunStatus.READY, RunStatus.FAILED, RunStatus.RUNNING},
    RunStatus.FAILED: {RunStatus.RUNNING},
    RunStatus.READY: {RunStatus.RUNNING, RunStatus.APPROVED, RunStatus.DRAFT},
    RunStatus.APPROVED: {RunStatus.PAID},
    RunStatus.PAID: set(),
}


# --- Months ------------------------------------------------------------------------------------------------------


def parse_month(value: Any, *, field: str = "month") -> datetime.date:
    """'2026-05' (or a date) -> date(2026, 5, 1); a malformed month is refused with a message."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})(?:-[0-9]{1,2})?", text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise PayrollError(
            _("'%(text)s' is not a month; write it as YYYY-MM, e.g. 2026-05.") % {"text": text}, field=field
        )
    return datetime.date(int(match.group(1)), int(match.group(2)), 1)


def current_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def ensure_not_future(month: datetime.date, *, field: str = "month") -> None:
    if month > current_month():
        raise PayrollError(
            _("%(month)s is in the future; payroll works on this month or earlier.") % {"month": month_label(month)},
            field=field,
        )


def ensure_month_open(month: datetime.date) -> PayrollRun | None:
    """Inputs of a month may change only while its payroll is not running and not approved.

    A computed (ready) run whose inputs change stays ready, but its inputs fingerprint no longer matches: the run
    page names what changed and approval is refused until it is computed again (see `approve_run`).
    """
    run = PayrollRun.objects.select_for_update().filter(month=month).first()
    if run is None:
        return None
    if run.status in LOCKED_STATUSES:
        raise PayrollConflict(
            _("The payroll of %(month)s is %(status)s and read-only; enter a correction in a later month instead.")
            % {"month": run.label, "status": run.get_status_display().lower()}
        )
    if run.status == RunStatus.RUNNING:
        raise PayrollConflict(
            _("The payroll of %(month)s is running; change its inputs when it has finished.") % {"month": run.label}
        )
    return run


def _move(run: PayrollRun, status: str) -> None:
    """The one place a run changes status; a move the state machine does not allow is refused."""
    if status not in TRANSITIONS[run.status]:
        raise PayrollConflict(
            _("A payroll that is %(status)s cannot become %(target)s.")
            % {"status": RunStatus(run.status).label.lower(), "target": RunStatus(status).label.lower()}
        )
    run.status = status


# --- Runs --------------------------------------------------------------------------------------------------------


@transaction.atomic
def start_run(*, month: datetime.date, user, queue: bool = True) -> PayrollRun:
    """Create or restart the month's run and queue its computation; a run already in progress is refused."""
    ensure_not_future(month)
    run, _created = PayrollRun.objects.select_for_update().get_or_create(month=month)
    if run.status == RunStatus.RUNNING:
        fresh = run.heartbeat_at and timezone.now() - run.heartbeat_at < STALE_RUN_AFTER
        if fresh:
            starter = run.started_by.get_username() if run.started_by else _("the schedule")
            raise PayrollConflict(
                _(
                    "The payroll of %(month)s is already running (started by %(starter)s, %(done)s of %(total)s "
                    "done); wait for it to finish."
                )
                % {"month": run.label, "starter": starter, "done": run.done, "total": run.total}
            )
    elif run.status in LOCKED_STATUSES:
        raise PayrollConflict(
            _("The payroll of %(month)s is %(status)s; it cannot be rerun.")
            % {"month": run.label, "status": run.get_status_display().lower()}
        )
    _ensure_earlier_months_approved(month)
    later = PayrollRun.objects.filter(month__gt=month, status__in=LOCKED_STATUSES).order_by("month").first()
    if later is not None:
        raise PayrollConflict(
            _("The payroll of %(later)s is already approved; correct %(month)s with an adjustment in a later month.")
            % {"later": later.label, "month": month_label(month)}
        )
    _move(run, RunStatus.RUNNING)
    now = timezone.now()
    run.attempt += 1
    run.done = 0
    run.total = 0
    run.error_message = ""
    run.error_employee = None
    run.error_component = ""
    run.started_by = user if getattr(user, "is_authenticated", False) else None
    run.started_at = now
    run.heartbeat_at = now
    run.finished_at = None
    run.inputs_fingerprint = None
    run.inputs_by_kind = None
    run.save()
    if queue:
        from .tasks import compute_payroll_run

        jobs.enqueue(compute_payroll_run, args=[run.pk, run.attempt])
    return run


def _ensure_earlier_months_approved(month: datetime.date) -> None:
    """Income tax is cumulative over the year: a month is computed and approved only after every earlier month of
    its tax year since the shop's first payroll is approved. A month with no run at all counts as not approved."""
    earlier = selectors.unapproved_earlier_month(month)
    if earlier is None:
        return
    if PayrollRun.objects.filter(month=earlier).exists():
        message = _("Approve the payroll of %(earlier)s first: income tax is cumulative over the year.")
    else:
        message = _(
            "The payroll of %(earlier)s has not been run: run and approve it first; income tax is cumulative over "
            "the year."
        )
    raise PayrollConflict(message % {"earlier": month_label(earlier)})


def _clear_payslips(run: PayrollRun) -> None:
    PayslipLine.objects.filter(payslip__run=run).delete()
    Payslip.objects.filter(run=run).delete()


def _save_progress(run: PayrollRun, fields: list[str]) -> None:
    """Progress changes every batch: it is not a change the audit trail records (states and approvals are)."""
    run.skip_history_when_saving = True
    try:
        run.save(update_fields=fields)
    finally:
        del run.skip_history_when_saving


def _lock_own_run(run_id: int, attempt: int) -> PayrollRun | None:
    """The run row, locked, if this attempt still owns it; None when a newer attempt or a state change took over."""
    run = PayrollRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.status != RunStatus.RUNNING or run.attempt != attempt:
        return None
    return run


def compute_run(*, run_id: int, attempt: int, batch_size: int = BATCH_SIZE) -> str:
    """Compute and store every payslip of a running run in batches, with progress; safe to run again.

    A retry of the same attempt (a worker killed mid-run) starts over: it deletes what the earlier try stored
    and recomputes, so the end is exactly one payslip per employee with the same figures. A computation error
    stops the run, deletes every payslip it stored, and records the employee and component at fault.
    """
    with transaction.atomic():
        run = _lock_own_run(run_id, attempt)
        if run is None:
            return "stale"
        _clear_payslips(run)
        month = run.month
    try:
        data = MonthData(month)
        fingerprint = Fingerprint()  # what this computation reads, checked again at approval
        ids = data.employee_ids()
        with transaction.atomic():
            run = _lock_own_run(run_id, attempt)
            if run is None:
                return "stale"
            run.total, run.done, run.heartbeat_at = len(ids), 0, timezone.now()
            _save_progress(run, ["total", "done", "heartbeat_at"])
        batches = [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]
        # A pipeline of three steps: while batch k is stored and batch k + 2 is read (this thread, the database
        # working on its own core), batch k + 1 is computed in a second thread, which needs no database.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="payroll-compute") as computer:

            def compute_later(prepared):
                if prepared is None:
                    return None
                return computer.submit(_compute_all, data, fingerprint, *prepared, decimal.getcontext().copy())

            current = _prepare_batch(data, batches, 0)
            computing = compute_later(current)
            following = _prepare_batch(data, batches, 1)
            for index in range(len(batches)):
                employees, computed = current[0], computing.result()
                current, computing = following, compute_later(following)
                with transaction.atomic():
                    _commit_without_waiting_for_disk()
                    run = _lock_own_run(run_id, attempt)
                    if run is None:
                        return "stale"
                    store_payslips(
                        run=run, data=data, employees=employees, computed=computed, digests=fingerprint.employees
                    )
                    run.done += len(computed)
                    run.heartbeat_at = timezone.now()
                    _save_progress(run, ["done", "heartbeat_at"])
                following = _prepare_batch(data, batches, index + 2)
    except ComputationError as error:
        return _fail(run_id, attempt, error.message, employee_id=error.employee_id, component=error.component)
    except ComponentError as error:
        return _fail(run_id, attempt, _("A salary structure has a bad formula: %(error)s") % {"error": error.message})
    except Exception:
        # Anything unexpected (the database went away...): the run says it failed instead of looking busy.
        _fail(run_id, attempt, _("The run stopped on an unexpected error; it has been logged. Start it again."))
        raise
    with transaction.atomic():
        run = _lock_own_run(run_id, attempt)
        if run is None:
            return "stale"
        _move(run, RunStatus.READY)
        run.finished_at = timezone.now()
        run.inputs_fingerprint = fingerprint.digest()
        run.inputs_by_kind = fingerprint.by_kind()
        run.save(update_fields=["status", "finished_at", "inputs_fingerprint", "inputs_by_kind"])
    return "ready"


def _prepare_batch(data: MonthData, batches: list[list[int]], index: int) -> tuple[list, list] | None:
    """The people of one batch and their engine inputs (a fixed number of queries); None past the last batch."""
    if index >= len(batches):
        return None
    employees = data.load_people(batches[index])
    return employees, data.batch(employees)


def _compute_all(
    data: MonthData, fingerprint: Fingerprint, people: list, items: list, context: decimal.Context
) -> list[ComputedPayslip]:
    """The payslips of a batch, in the caller's decimal context (a thread starts with the default one); the batch's
    inputs are added to the run's fingerprint first, from the very objects the payslips are computed from."""
    fingerprint.add_batch(data, people, items)
    with decimal.localcontext(context):
        return [compute_payslip(item) for item in items]


def _commit_without_waiting_for_disk() -> None:
    """On PostgreSQL, let this transaction's COMMIT return before its WAL reaches the disk.

    Safe for a batch of payslips: a database crash can lose only the last batches, together with the progress
    counted in the same transactions, and the run's final move to ready commits normally, which flushes every batch
    before it. The attempt restarts cleanly either way, as after a killed worker.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _fail(run_id: int, attempt: int, message: str, *, employee_id: int | None = None, component: str = "") -> str:
    """Stop the run: delete what it stored and record what went wrong (and for whom)."""
    with transaction.atomic():
        run = _lock_own_run(run_id, attempt)
        if run is None:
            return "stale"
        _clear_payslips(run)
        _move(run, RunStatus.FAILED)
        employee = Employee.objects.filter(pk=employee_id).first() if employee_id else None
        run.error_employee = employee
        run.error_component = component[:40]
        run.error_message = f"{employee}: {message}" if employee else message
        run.done = 0
        run.finished_at = timezone.now()
        run.save()
    return "failed"


def store_payslips(
    *, run: PayrollRun, data: MonthData, employees: Sequence[PayPerson], computed, digests: dict[int, str]
) -> None:
    """Two statements per batch: one INSERT for the payslips, then all their lines (COPY on PostgreSQL)."""
    by_id = {e.pk: e for e in employees}
    slips = []
    for item in computed:
        employee = by_id[item.employee_id]
        slips.append(
            (
                run.pk,
                employee.pk,
                data.version_for(employee).pk,
                employee.role_id,
                employee.department_id,
                item.working_days,
                item.days_worked,
                item.months_employed,
                *(getattr(item, name) for name in ComputedPayslip.TOTALS),
                digests[employee.pk],
            )
        )
    ids = _insert_payslips(slips)
    rows = [
        (
            ids[item.employee_id],
            line.order,
            line.code,
            line.name,
            line.kind,
            line.is_system,
            line.formula,
            line.inputs,
            line.exact,
            line.amount,
        )
        for item in computed
        for line in item.lines
    ]
    _insert_lines(rows)


SLIP_COLUMNS = (
    "run_id",
    "employee_id",
    "structure_version_id",
    "role_id",
    "department_id",
    "working_days",
    "days_worked",
    "months_employed",
    *ComputedPayslip.TOTALS,
    "inputs_fingerprint",
)
# PostgreSQL types of the columns above, for the arrays the INSERT unnests.
SLIP_TYPES = (
    ("bigint",) * 5 + ("numeric", "numeric", "smallint") + ("numeric",) * len(ComputedPayslip.TOTALS) + ("text",)
)
LINE_COLUMNS = ("payslip_id", "order", "code", "name", "kind", "is_system", "formula", "inputs", "exact", "amount")


def _insert_payslips(rows: list[tuple]) -> dict[int, int]:
    """Insert the batch's payslips in one statement; returns the new payslip id of each employee id.

    On PostgreSQL one INSERT ... SELECT FROM unnest() of one array per column: the statement stays the same size
    whatever the batch, where a multi-row VALUES list (bulk_create) costs Django and psycopg a placeholder per value.
    """
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Payslip._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(name) for name in SLIP_COLUMNS)
        arrays = ", ".join(f"%s::{kind}[]" for kind in SLIP_TYPES)
        with connection.cursor() as cursor:
            cursor.execute(  # names from the model, every value a parameter
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) RETURNING employee_id, id",  # noqa: S608
                [list(column) for column in zip(*rows, strict=True)],
            )
            return dict(cursor.fetchall())
    slips = Payslip.objects.bulk_create(
        [Payslip(**dict(zip(SLIP_COLUMNS, row, strict=True))) for row in rows], batch_size=2000
    )
    return {slip.employee_id: slip.pk for slip in slips}


def _insert_lines(rows: list[tuple]) -> None:
    """All lines of a batch in one statement: COPY on PostgreSQL (the bulk of a run's writing), else bulk_create."""
    if connection.vendor == "postgresql":
        columns = ", ".join(connection.ops.quote_name(name) for name in LINE_COLUMNS)
        table = connection.ops.quote_name(PayslipLine._meta.db_table)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(_copy_text(rows))
        return
    PayslipLine.objects.bulk_create(
        [PayslipLine(**dict(zip(LINE_COLUMNS, row, strict=True))) for row in rows], batch_size=5000
    )


# COPY's text format: a tab between values, a newline after each row, and these four escaped within a value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(rows: list[tuple]) -> str:
    """The lines in COPY's text format, built in one go (psycopg's write_row costs more per value)."""
    escaped: dict[str, str] = {}  # codes, names and formulas repeat on every payslip: escape each once

    def text(value: str) -> str:
        if value not in escaped:
            escaped[value] = value.translate(_COPY_ESCAPES)
        return escaped[value]

    return "".join(
        f"{payslip_id}\t{order}\t{text(code)}\t{text(name)}\t{text(kind)}\t{'t' if is_system else 'f'}\t"
        f"{text(formula)}\t{json.dumps(inputs).translate(_COPY_ESCAPES)}\t{exact}\t{amount!s}\n"
        for payslip_id, order, code, name, kind, is_system, formula, inputs, exact, amount in rows
    )


@transaction.atomic
def approve_run(*, run: PayrollRun, user) -> PayrollRun:
    """Finance approves a computed run; from then on it is read-only.

    Refused while an earlier month of its tax year is not approved, and when the month's inputs differ from what
    the computation read: the fingerprint is taken again from today's inputs inside this transaction, with the run
    row locked, so the payslips approved are exactly a fresh computation of the month."""
    run = PayrollRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.READY:
        raise PayrollConflict(
            _("Only a computed payroll can be approved; %(month)s is %(status)s.")
            % {"month": run.label, "status": run.get_status_display().lower()}
        )
    _ensure_earlier_months_approved(run.month)
    _refuse_stale(run, _("The inputs of %(month)s changed after it was computed; run it again before approving."))
    if selectors.own_inputs_in_run(run=run, user=user):
        raise PayrollConflict(
            _(
                "You are paid in %(month)s and entered an input of your own pay for it; another manager or finance "
                "must approve this payroll."
            )
            % {"month": run.label}
        )
    _move(run, RunStatus.APPROVED)
    run.approved_by = user
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    return run


def _refuse_stale(run: PayrollRun, message: str) -> None:
    """Raise RunInputsChanged (409, naming what changed) when the month's inputs now differ from what the run's
    computation read (payroll.fingerprint); `message` says what must wait, with %(month)s."""
    changes = selectors.run_input_changes(run=run)
    if changes:
        what = selectors.InputChangesView.of(changes).summary()
        raise RunInputsChanged(f"{message % {'month': run.label}} {what}", changes=changes)


@transaction.atomic
def mark_paid(*, run: PayrollRun, user) -> PayrollRun:
    """Finance records that the approved payroll has been paid out."""
    run = PayrollRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.APPROVED:
        raise PayrollConflict(
            _("Only an approved payroll can be marked paid; %(month)s is %(status)s.")
            % {"month": run.label, "status": run.get_status_display().lower()}
        )
    _move(run, RunStatus.PAID)
    run.paid_by = user
    run.paid_at = timezone.now()
    run.save(update_fields=["status", "paid_by", "paid_at"])
    return run


# --- Structures --------------------------------------------------------------------------------------------------


@transaction.atomic
def create_structure(*, code: str, name: str, role=None, employee=None, user=None) -> SalaryStructure:
    """A salary structure for a role, or an override for one employee (then it wins over the role's); not for
    one's own role or oneself."""
    check_not_own_pay(by=user, employee=employee, role=role, field="role" if role is not None else "employee")
    structure = SalaryStructure(code=code, name=name, role=role, employee=employee, created_by=user)
    if (role is None) == (employee is None):
        raise ValidationError({"role": _("Choose a role or an employee (one of them).")})
    structure.full_clean()
    structure.save()
    return structure


def check_components(specs: Iterable[ComponentSpec]):
    """Parse and check the components; raises engine.ComponentError naming the row, field and column."""
    return compile_components(list(specs))


@transaction.atomic
def save_structure_version(
    *,
    structure: SalaryStructure,
    effective_from: datetime.date,
    components: Sequence[ComponentSpec],
    note: str = "",
    user=None,
) -> StructureVersion:
    """Save the structure's components from a month on, as a new version (or replacing that month's version
    while no approved run used it). Every formula is checked first; nothing is saved if one is wrong. Not the
    structure of one's own role or of oneself."""
    check_not_own_pay(by=user, employee=structure.employee, role=structure.role)
    effective_from = effective_from.replace(day=1)
    if not components:
        raise PayrollError(_("A structure needs at least one component."), field="components")
    check_components(components)
    version = (
        StructureVersion.objects.select_for_update().filter(structure=structure, effective_from=effective_from).first()
    )
    if version is not None:
        if Payslip.objects.filter(structure_version=version, run__status__in=LOCKED_STATUSES).exists():
            raise PayrollConflict(
                _("The version from %(month)s was used by an approved payroll; save the change from a later month.")
                % {"month": month_label(effective_from)}
            )
        locked_later = PayrollRun.objects.filter(month__gte=effective_from, status__in=LOCKED_STATUSES)
        if locked_later.exists():
            raise PayrollConflict(_("An approved payroll already uses this month; save the change from a later month."))
        for component in version.components.all():  # one by one, so the audit trail records each removal
            component.delete()
        version.note = note
        version.created_by = user
        version.save()
    else:
        if PayrollRun.objects.filter(month__gte=effective_from, status__in=LOCKED_STATUSES).exists():
            raise PayrollConflict(
                _("An approved payroll exists from %(month)s on; the new version must start later.")
                % {"month": month_label(effective_from)}
            )
        version = StructureVersion.objects.create(
            structure=structure, effective_from=effective_from, note=note, created_by=user
        )
    bulk_create_with_history(
        [
            Component(version=version, order=i, code=c.code.strip(), name=c.name, kind=c.kind, formula=c.formula)
            for i, c in enumerate(components, start=1)
        ],
        Component,
        default_user=user if getattr(user, "is_authenticated", False) else None,
    )
    return version


# --- What-if -----------------------------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    employee: Employee
    before: ComputedPayslip | None
    after: ComputedPayslip | None
    error: str = ""

    @property
    def net_difference(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after.net_pay - self.before.net_pay

    def amount(self, which: str, code: str) -> Decimal | None:
        slip = getattr(self, which)
        if slip is None:
            return None
        return next((line.amount for line in slip.lines if line.code == code), None)


def preview_structure_change(
    *, version: StructureVersion, components: Sequence[ComponentSpec], month: datetime.date, limit: int = 500
) -> list[PreviewRow]:
    """Recompute `month` for the employees on this version, once as stored and once with `components`;
    nothing is written. Formula errors in `components` raise ComponentError before any computing."""
    compiled = check_components(components)
    before = MonthData(month)
    after = MonthData(month, overrides={version.pk: compiled})
    people = [
        person
        for person in before.load_people(before.employee_ids())
        if (v := before.version_for(person)) is not None and v.pk == version.pk
    ][:limit]
    employees = Employee.objects.in_bulk([person.pk for person in people])
    rows = []
    for current, changed, person in zip(before.batch(people), after.batch(people), people, strict=True):
        row = PreviewRow(employee=employees[person.pk], before=None, after=None)
        try:
            row.before = compute_payslip(current)
        except ComputationError as error:
            row.error = error.message
        try:
            row.after = compute_payslip(changed)
        except ComputationError as error:
            row.error = error.message
        rows.append(row)
    return rows


# --- Monthly inputs ----------------------------------------------------------------------------------------------


def _bounded(value: Decimal, *, field: str, minimum: Decimal = Decimal(0), maximum: Decimal = MAX_INPUT_AMOUNT):
    if value is None:
        raise PayrollError(_("A number is required."), field=field)
    if not isinstance(value, Decimal):
        raise PayrollError(_("A number is required."), field=field)
    if value.as_tuple().exponent < -2:
        raise PayrollError(_("At most two decimal places."), field=field)
    if value < minimum or value > maximum:
        raise PayrollError(
            _("Must be between %(minimum)s and %(maximum)s.")
            % {"minimum": format_money(minimum, sign=False), "maximum": format_money(maximum, sign=False)},
            field=field,
        )
    return value


@transaction.atomic
def save_sales_figure(
    *, month: datetime.date, department: Department, sales: Decimal, gross_profit: Decimal, user
) -> SalesFigure:
    """Finance's sales and gross profit of a department for a month (one row, replaced when entered again)."""
    ensure_not_future(month)
    ensure_month_open(month)
    _bounded(sales, field="sales", maximum=Decimal("1000000000"))
    _bounded(gross_profit, field="gross_profit", minimum=Decimal("-1000000000"), maximum=Decimal("1000000000"))
    if gross_profit > sales:
        raise PayrollError(_("Gross profit cannot exceed sales."), field="gross_profit")
    figure, _created = SalesFigure.objects.update_or_create(
        month=month,
        department=department,
        defaults={"sales": sales, "gross_profit": gross_profit, "entered_by": user},
    )
    return figure


@transaction.atomic
def add_adjustment(
    *,
    month: datetime.date,
    employee: Employee,
    kind: str,
    amount: Decimal,
    reason: str,
    user,
    corrects_month: datetime.date | None = None,
) -> Adjustment:
    """A bonus, penalty or correction for an employee's month, with its reason and who entered it; nobody enters
    one about themself."""
    check_not_own_pay(by=user, employee=employee, field="employee")
    ensure_not_future(month)
    ensure_month_open(month)
    reason = (reason or "").strip()
    if not reason:
        raise PayrollError(_("Give a reason."), field="reason")
    if kind == AdjustmentKind.CORRECTION:
        _bounded(amount, field="amount", minimum=-MAX_INPUT_AMOUNT)
        if amount == 0:
            raise PayrollError(_("A correction cannot be zero."), field="amount")
        if corrects_month is None or corrects_month.replace(day=1) >= month:
            raise PayrollError(_("A correction names the earlier month it corrects."), field="corrects_month")
        corrects_month = corrects_month.replace(day=1)
    elif kind in (AdjustmentKind.BONUS, AdjustmentKind.PENALTY):
        _bounded(amount, field="amount", minimum=Decimal("0.01"))
        corrects_month = None
    else:
        raise PayrollError(_("Unknown kind %(kind)r.") % {"kind": kind}, field="kind")
    adjustment = Adjustment(
        month=month,
        employee=employee,
        kind=kind,
        amount=amount,
        reason=reason,
        corrects_month=corrects_month,
        entered_by=user,
    )
    adjustment.full_clean()
    adjustment.save()
    return adjustment


@transaction.atomic
def delete_adjustment(*, adjustment: Adjustment, user=None) -> None:
    """Remove a bonus or penalty entered by mistake, while the month is open; not one of one's own pay."""
    check_not_own_pay(by=user, employee=adjustment.employee)
    ensure_month_open(adjustment.month)
    adjustment.delete()


@transaction.atomic
def save_attendance(
    *,
    month: datetime.date,
    employee: Employee,
    days_worked: Decimal,
    unpaid_leave_days: Decimal = Decimal(0),
    working_days: Decimal | None = None,
    user,
) -> Attendance:
    """Days worked and unpaid leave of an employee's month (replacing an earlier entry); not one's own."""
    from .calculation import working_days as month_working_days

    check_not_own_pay(by=user, employee=employee, field="employee")
    ensure_not_future(month)
    ensure_month_open(month)
    working_days = Decimal(month_working_days(month)) if working_days is None else working_days
    _bounded(working_days, field="working_days", minimum=Decimal("0.5"), maximum=Decimal(31))
    _bounded(days_worked, field="days_worked", maximum=Decimal(31))
    _bounded(unpaid_leave_days, field="unpaid_leave_days", maximum=Decimal(31))
    if days_worked + unpaid_leave_days > working_days:
        raise PayrollError(
            _("Days worked plus unpaid leave (%(days)s) exceed the %(working_days)s working days.")
            % {"days": days_worked + unpaid_leave_days, "working_days": working_days},
            field="days_worked",
        )
    attendance, _created = Attendance.objects.update_or_create(
        month=month,
        employee=employee,
        defaults={
            "working_days": working_days,
            "days_worked": days_worked,
            "unpaid_leave_days": unpaid_leave_days,
            "entered_by": user,
        },
    )
    return attendance


@transaction.atomic
def save_pool_rule(*, department: Department, rate: Decimal, user) -> ProfitPoolRule:
    """The share of company gross profit that goes to a department's profit pool."""
    if not isinstance(rate, Decimal) or not Decimal(0) <= rate <= Decimal(1) or rate.as_tuple().exponent < -4:
        raise PayrollError(_("The share is between 0 and 1 (0.40 = 40%)."), field="rate")
    rule, _created = ProfitPoolRule.objects.update_or_create(
        department=department, defaults={"rate": rate, "updated_by": user}
    )
    return rule


@transaction.atomic
def save_pay_profile(*, employee: Employee, user, **values: Any) -> PayProfile:
    """An employee's base salary (within the role's pay grade), contribution base and tax deductions."""
    allowed = {"base_salary", "contribution_base", "special_additional_deduction", "insurance_policy"}
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    check_not_own_pay(by=user, employee=employee)
    profile = PayProfile.objects.select_for_update().filter(employee=employee).first() or PayProfile(employee=employee)
    for name, value in values.items():
        setattr(profile, name, value)
    role = employee.role
    if profile.base_salary is not None and not role.pay_grade_min <= profile.base_salary <= role.pay_grade_max:
        raise PayrollError(
            _("The base salary must be within the role's pay grade, %(minimum)s to %(maximum)s.")
            % {
                "minimum": format_money(role.pay_grade_min, sign=False),
                "maximum": format_money(role.pay_grade_max, sign=False),
            },
            field="base_salary",
        )
    profile.updated_by = user
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def save_insurance_policy(*, policy: InsurancePolicy | None = None, user, **values: Any) -> InsurancePolicy:
    """A city's social insurance and housing fund rates and base bounds; one policy is the default."""
    policy = policy or InsurancePolicy()
    for name, value in values.items():
        setattr(policy, name, value)
    policy.updated_by = user
    policy.full_clean(validate_constraints=False)
    for floor, ceiling in (("si_base_floor", "si_base_ceiling"), ("hf_base_floor", "hf_base_ceiling")):
        if getattr(policy, floor) < 0:
            raise PayrollError(_("A base floor cannot be negative."), field=floor)
        if getattr(policy, floor) > getattr(policy, ceiling):
            raise PayrollError(_("A base floor must not be above its ceiling."), field=floor)
    for name in INSURANCE_RATE_FIELDS:
        if getattr(policy, name) > Decimal("0.5"):
            raise PayrollError(_("A rate above 50% is not plausible; write 8% as 0.08."), field=name)
    if policy.is_default:
        for other in InsurancePolicy.objects.exclude(pk=policy.pk).filter(is_default=True):
            other.is_default = False
            other.save(update_fields=["is_default"])
    policy.save()
    return policy


@transaction.atomic
def save_tax_opening_balance(
    *,
    employee: Employee,
    year: int,
    income: Decimal,
    special_deductions: Decimal,
    additional_deductions: Decimal,
    tax_withheld: Decimal,
    user,
) -> TaxOpeningBalance:
    """An employee's year-to-date income, deductions and tax from before ShopOps ran their payroll this year
    (adopting it mid-year), so the cumulative withholding continues from the right totals. Replaces an earlier
    entry; refused once a month of that year was approved with ShopOps for them, and for one's own."""
    check_not_own_pay(by=user, employee=employee, field="employee")
    if not isinstance(year, int) or not 2000 <= year <= timezone.localdate().year:
        raise PayrollError(_("The tax year must be this year or an earlier one."), field="year")
    amounts = {
        "income": income,
        "special_deductions": special_deductions,
        "additional_deductions": additional_deductions,
        "tax_withheld": tax_withheld,
    }
    for name, value in amounts.items():
        _bounded(value, field=name, maximum=MAX_YEAR_AMOUNT)
    if tax_withheld > income:
        raise PayrollError(_("The tax withheld cannot be more than the income."), field="tax_withheld")
    locked = PayrollRun.objects.filter(
        month__year=year, status__in=LOCKED_STATUSES, payslips__employee=employee
    ).order_by("month")
    if locked.exists():
        raise PayrollConflict(
            _(
                "%(employee)s's payroll of %(month)s is already approved: an opening balance of %(year)s must come "
                "before the first approved month; correct later months with an adjustment."
            )
            % {"employee": employee, "month": locked.first().label, "year": year}
        )
    balance = TaxOpeningBalance.objects.select_for_update().filter(employee=employee, year=year).first()
    balance = balance or TaxOpeningBalance(employee=employee, year=year)
    for name, value in amounts.items():
        setattr(balance, name, value)
    balance.entered_by = user if getattr(user, "is_authenticated", False) else None
    balance.full_clean()
    balance.save()
    return balance


# --- Excel export of a run (a job row the run's page polls) ---------------------------------------------------------

EXPORTABLE_STATUSES = VISIBLE_RUN_STATUSES
OPEN_EXPORT_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)


def request_export(*, run: PayrollRun, user) -> PayrollExport:
    """Ask for a computed run's workbook. A run of at most PAYROLL_EXPORT_INLINE_MAX payslips is written at once (the
    job comes back done, or failed with its error); a larger one is queued for the payroll worker and the page polls
    the job. Asking again while an export of the same computation is open returns that job."""
    with transaction.atomic():
        run = PayrollRun.objects.select_for_update().get(pk=run.pk)  # one request at a time per run
        if run.status not in EXPORTABLE_STATUSES:
            raise PayrollConflict(_("Only a computed payroll can be exported."))
        if run.status == RunStatus.READY:  # approved runs are read-only, their inputs locked
            _refuse_stale(
                run, _("The inputs of %(month)s changed after it was computed; run it again before exporting it.")
            )
        job = run.exports.filter(attempt=run.attempt, status__in=OPEN_EXPORT_STATUSES).first()
        if job is not None:
            if timezone.now() - job.heartbeat_at < STALE_RUN_AFTER:
                return job
            # Its worker gave no sign of life (lost message, killed worker): let a new export take its place.
            _finish_export(
                job.pk, ExportStatus.FAILED, error=_("The export stopped without finishing; it was replaced.")
            )
        job = PayrollExport.objects.create(run=run, attempt=run.attempt, total=run.payslips.count(), requested_by=user)
        inline = job.total <= settings.PAYROLL_EXPORT_INLINE_MAX
        if not inline:
            _queue_export(job)
    if not inline:
        return job
    try:
        return write_export(job_id=job.pk)
    except Exception:  # recorded on the job, which the page shows; the traceback goes to the log
        logger.exception("payroll export %s failed", job.pk)
        job.refresh_from_db()
        return job


def _queue_export(job: PayrollExport) -> None:
    """The one place an export is handed to the worker: after the job row is committed, with the language of the
    person who asked, which the worker writes the workbook in."""
    from .tasks import write_payroll_export

    jobs.enqueue(write_payroll_export, args=[job.pk, translation.get_language() or settings.LANGUAGE_CODE])


def _finish_export(job_id: int, status: str, **fields) -> None:
    PayrollExport.objects.filter(pk=job_id).update(status=status, finished_at=timezone.now(), **fields)


def remove_old_export_files(*, now: datetime.datetime | None = None) -> int:
    """Delete the stored workbook of every finished export written more than PAYROLL_EXPORT_KEEP_DAYS ago or from
    an earlier computation of its run; the export's record stays, marked "file removed". Returns how many were
    removed. Safe to run twice or to be interrupted: a record is marked only after its file is gone."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.PAYROLL_EXPORT_KEEP_DAYS)
    old = PayrollExport.objects.filter(status=ExportStatus.DONE).filter(
        models.Q(finished_at__lt=cutoff) | ~models.Q(attempt=models.F("run__attempt"))
    )
    removed = 0
    for job in old.only("pk", "file").iterator(chunk_size=500):
        job.file.storage.delete(job.file.name)  # a file already gone is no error
        removed += PayrollExport.objects.filter(pk=job.pk, status=ExportStatus.DONE).update(
            status=ExportStatus.REMOVED, file=""
        )
    if removed:
        logger.info("payroll: removed %s old export files", removed)
    return removed


def write_export(*, job_id: int) -> PayrollExport:
    """Worker side of an export: write the run's workbook with progress every 1 000 payslips and store the file on
    the job. Safe to run twice: a finished job is left alone, a failed or interrupted one is written again; a job
    whose run was computed again (or is no longer computed) fails with a message instead of writing stale figures."""
    from . import exports

    job = PayrollExport.objects.select_related("run").get(pk=job_id)
    if job.status == ExportStatus.DONE:
        return job
    stale = _("The payroll was computed again after this export was asked for; ask for a new one.")
    if not job.is_current or job.run.status not in EXPORTABLE_STATUSES:
        _finish_export(job.pk, ExportStatus.FAILED, error=stale)
        job.refresh_from_db()
        return job
    replaced = PayrollExport.objects.filter(run=job.run, attempt=job.attempt, status__in=OPEN_EXPORT_STATUSES)
    if replaced.exclude(pk=job.pk).exists():
        return job  # a late delivery of a job that was given up on: its replacement writes the file
    PayrollExport.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, error="", done=0, heartbeat_at=timezone.now(), finished_at=None
    )

    def progress(done: int, total: int) -> None:
        PayrollExport.objects.filter(pk=job.pk).update(done=min(done, total), total=total, heartbeat_at=timezone.now())

    handle, path = tempfile.mkstemp(prefix=f"payroll-{job.run.label}-", suffix=".xlsx")
    os.close(handle)
    try:
        exports.export_run(run=job.run, path=path, progress=progress)
        run = PayrollRun.objects.get(pk=job.run_id)
        if run.attempt != job.attempt or run.status not in EXPORTABLE_STATUSES:
            raise PayrollConflict(stale)  # recomputed while the rows were read: the file may mix two computations
        with open(path, "rb") as written:
            job.file.save(f"payroll-{run.label}-{job.pk}.xlsx", File(written), save=False)
    except Exception as exc:
        _finish_export(job.pk, ExportStatus.FAILED, error=str(getattr(exc, "message", exc))[:1000])
        raise
    finally:
        os.unlink(path)
    _finish_export(job.pk, ExportStatus.DONE, done=models.F("total"), file=job.file.name, error="")
    job.refresh_from_db()
    return job
