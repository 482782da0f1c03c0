"""Payroll runs: start, compute in batches (the payslips are stored in bulk), approve, mark paid."""

from __future__ import annotations

import datetime
import decimal
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from roles.models import Employee
from shop_ops import jobs
from shop_ops.templatetags.shop_ops_format import person

from .. import selectors
from ..calculation import MonthData, PayPerson
from ..choices import LOCKED_STATUSES, RunStatus
from ..engine import ComponentError, ComputationError, ComputedPayslip, compute_payslip
from ..exceptions import FlaggedChangesUnconfirmed, PayrollConflict
from ..fingerprint import Fingerprint
from ..models import PayrollRun, Payslip, PayslipLine, month_label
from .months import _move, ensure_month_ended, ensure_not_future

logger = logging.getLogger(__name__)


BATCH_SIZE = 2000


# A run whose worker has not reported progress for this long may be restarted by finance.
STALE_RUN_AFTER = datetime.timedelta(minutes=10)


@transaction.atomic
def start_run(*, month: datetime.date, user, queue: bool = True) -> PayrollRun:
    """Create or restart the month's run and queue its computation; a run already in progress is refused."""
    ensure_not_future(month)
    run, _created = PayrollRun.objects.select_for_update().get_or_create(month=month)
    if run.status == RunStatus.RUNNING:
        fresh = run.heartbeat_at and timezone.now() - run.heartbeat_at < STALE_RUN_AFTER
        if fresh:
            starter = person(run.started_by) if run.started_by else _("the schedule")
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
        from ..tasks import compute_payroll_run

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
def approve_run(*, run: PayrollRun, user, confirm_flagged: bool = False) -> PayrollRun:
    """Finance approves a computed run; from then on it is read-only.

    Refused before the month has ended (a month is paid once it has ended), while an earlier month of its tax year
    is not approved, and when the month's inputs differ from what the computation read: the fingerprint is taken
    again from today's inputs inside this transaction, with the run row locked, so the payslips approved are
    exactly a fresh computation of the month. When changes from last month are beyond the shop's threshold
    (selectors.run_variance), the approver must confirm they checked them (`confirm_flagged`)."""
    run = PayrollRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.READY:
        raise PayrollConflict(
            _("Only a computed payroll can be approved; %(month)s is %(status)s.")
            % {"month": run.label, "status": run.get_status_display().lower()}
        )
    ensure_month_ended(run.month)
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
    _refuse_unconfirmed_flags(run, confirm_flagged)
    _snapshot_bank_accounts(run)  # before the status moves: the database refuses changes to approved payslips
    _move(run, RunStatus.APPROVED)
    run.approved_by = user
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    return run


def _refuse_unconfirmed_flags(run: PayrollRun, confirmed: bool) -> None:
    """Raise FlaggedChangesUnconfirmed (409, listing them) when changes from last month are beyond the threshold
    and the approver did not confirm having checked them."""
    if confirmed:
        return
    flagged = selectors.run_variance(run=run).flagged
    if flagged:
        raise FlaggedChangesUnconfirmed(
            ngettext(
                "%(count)d change from last month is beyond the threshold; confirm that you have checked it.",
                "%(count)d changes from last month are beyond the threshold; confirm that you have checked them.",
                len(flagged),
            )
            % {"count": len(flagged)},
            flagged=flagged,
        )


def _snapshot_bank_accounts(run: PayrollRun) -> None:
    """Copy each employee's bank account and the name it is paid to onto their payslip as approved: the
    bank-transfer sheet pays these, not whatever the employee record says later. One UPDATE copies the stored
    tokens; nothing is decrypted."""
    employee = Employee.objects.filter(pk=OuterRef("employee_id"))
    Payslip.objects.filter(run=run).update(
        bank_account=Subquery(employee.values("bank_account")[:1]),
        account_name=Subquery(employee.values("full_name")[:1]),
    )


def _refuse_stale(run: PayrollRun, message: str) -> None:
    selectors.refuse_if_inputs_changed(run, message)


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
