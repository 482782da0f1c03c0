"""Reads of the payroll, shaped for pages, the API and exports with a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from shop_ops import jobs
from shop_ops.i18n import in_language
from shop_ops.numbers import format_money
from shop_ops.prepared import PreparedQuery
from shop_ops.waiting import WaitingRow

from .calculation import MonthData
from .choices import LOCKED_STATUSES, ExportStatus, RunStatus
from .engine import ComponentError, ComputationError
from .exceptions import PayrollConflict
from .fingerprint import Fingerprint, InputChanges
from .formula import FormulaError, format_value, parse
from .models import (
    Adjustment,
    Attendance,
    PayProfile,
    PayrollExport,
    PayrollRun,
    Payslip,
    PayslipLine,
    TaxOpeningBalance,
    month_label,
)
from .permissions import can_view_all_payslips

TOTAL_FIELDS = (
    "gross_pay",
    "deductions",
    "social_insurance",
    "housing_fund",
    "income_tax",
    "net_pay",
    "employer_social_insurance",
    "employer_housing_fund",
    "employer_other",
    "benefits",
    "employer_cost",
)
VISIBLE_RUN_STATUSES = (RunStatus.READY, *LOCKED_STATUSES)


def payslips_visible_to(*, user) -> QuerySet[Payslip]:
    """All payslips of computed runs for managers and finance; only their own for everyone else.

    Staff see their payslip once the run is approved; a draft is finance's working copy.
    """
    if can_view_all_payslips(user):
        return _visible_payslips()
    if not getattr(user, "is_authenticated", False):
        return Payslip.objects.none()
    return _visible_payslips(own_user_id=user.pk)


def _visible_payslips(own_user_id: int | None = None) -> QuerySet[Payslip]:
    """The rule of `payslips_visible_to`: every payslip of a computed run, or (`own_user_id`) that person's own
    payslips of approved or paid runs."""
    slips = Payslip.objects.select_related("run", "employee", "role", "department").filter(
        run__status__in=VISIBLE_RUN_STATUSES
    )
    if own_user_id is None:
        return slips
    return slips.filter(employee__user_id=own_user_id, run__status__in=LOCKED_STATUSES)


def _payslip_page_query(payslip_id, own_user_id=None):
    return _visible_payslips(own_user_id).select_related("structure_version__structure").filter(pk=payslip_id)


# The payslip page is read all month long by everyone: its two queries are compiled once per process.
_ANY_PAYSLIP = PreparedQuery(_payslip_page_query, int)
_OWN_PAYSLIP = PreparedQuery(_payslip_page_query, int, int)
_PAYSLIP_LINES = PreparedQuery(lambda payslip_id: PayslipLine.objects.filter(payslip_id=payslip_id), int)


def payslip_for_page(*, user, pk: int) -> Payslip | None:
    """The payslip `pk` with run, employee, role, department and salary structure, if `user` may see it (the
    rule of `payslips_visible_to`), else None."""
    if can_view_all_payslips(user):
        found = _ANY_PAYSLIP.objects(int(pk))
    elif getattr(user, "is_authenticated", False):
        found = _OWN_PAYSLIP.objects(int(pk), user.pk)
    else:
        found = []
    return found[0] if found else None


def payslip_lines(payslip: Payslip) -> list[PayslipLine]:
    """The payslip's lines in order, each knowing its payslip."""
    lines = _PAYSLIP_LINES.objects(payslip.pk)
    for line in lines:
        line.payslip = payslip
    return lines


def search_payslips(*, queryset: QuerySet[Payslip], text: str) -> QuerySet[Payslip]:
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(employee__full_name__icontains=text)
        | Q(employee__employee_number__icontains=text)
        | Q(role__title_zh__icontains=text)
        | Q(role__title_en__icontains=text)
    )


def explain_line(line: PayslipLine) -> str:
    """'0.08 x 123,456.00 = 9,876.48' (with a times sign): the formula with its inputs, then the amount."""
    values = {name: Decimal(value) for name, value in (line.inputs or {}).items()}
    try:
        formula = parse(line.formula, names=values)
        rendered = formula.render(values)
    except (FormulaError, ArithmeticError):
        rendered = line.formula
    exact = Decimal(line.exact)
    shown = format_value(exact)
    if exact != line.amount:
        rendered = f"{rendered} = {shown}"
    return f"{rendered} = {format_money(line.amount, sign=False)}"


@dataclass
class DepartmentTotal:
    department: str
    people: int
    totals: dict[str, Decimal]


def run_totals(*, run: PayrollRun) -> tuple[list[DepartmentTotal], dict[str, Decimal]]:
    """Totals per department and for the whole run; one query."""
    rows = (
        Payslip.objects.filter(run=run)
        .values("department__sort_order", "department__name_zh", "department__name_en")
        .annotate(people=Count("id"), **{name: Sum(name) for name in TOTAL_FIELDS})
        .order_by("department__sort_order", "department__name_zh")
    )
    departments = [
        DepartmentTotal(
            department=in_language(row, "name", prefix="department__"),
            people=row["people"],
            totals={name: row[name] or Decimal(0) for name in TOTAL_FIELDS},
        )
        for row in rows
    ]
    for department in departments:
        department.totals["insurance"] = department.totals["social_insurance"] + department.totals["housing_fund"]
    grand = {name: sum((d.totals[name] for d in departments), Decimal(0)) for name in (*TOTAL_FIELDS, "insurance")}
    grand["people"] = sum(d.people for d in departments)
    return departments, grand


def own_inputs_in_run(*, run: PayrollRun, user) -> bool:
    """Whether `user` is paid in the run and entered an input of their own pay for its month (an adjustment, the
    attendance, their pay profile, the year's tax opening balance): they may not approve it. Entering such inputs is
    refused (roles.permissions.is_own_pay), but rows from before that rule exist."""
    employee_id = getattr(getattr(user, "employee", None), "pk", None) if user.is_authenticated else None
    if employee_id is None or not run.payslips.filter(employee_id=employee_id).exists():
        return False
    mine = {"employee_id": employee_id}
    return (
        Adjustment.objects.filter(month=run.month, entered_by=user, **mine).exists()
        or Attendance.objects.filter(month=run.month, entered_by=user, **mine).exists()
        or PayProfile.objects.filter(updated_by=user, **mine).exists()
        or TaxOpeningBalance.objects.filter(year=run.month.year, entered_by=user, **mine).exists()
    )


def over_pay_grade(slips) -> set[int]:
    """The payslips (of those given, with their role) whose gross pay is above their role's pay grade maximum: the
    run page flags them and the approval asks about them."""
    return {
        slip.pk for slip in slips if slip.role.pay_grade_max is not None and slip.gross_pay > slip.role.pay_grade_max
    }


def count_over_pay_grade(*, run: PayrollRun) -> int:
    """How many payslips of the run have a gross pay above their role's pay grade maximum."""
    return run.payslips.filter(gross_pay__gt=F("role__pay_grade_max")).count()


def run_for_month(month) -> PayrollRun | None:
    return (
        PayrollRun.objects.select_related("started_by", "approved_by", "paid_by", "error_employee")
        .filter(month=month)
        .first()
    )


def run_waiting_for_queue(*, run: PayrollRun) -> bool:
    """Whether the run's computation is held in the job outbox because the job queue (Redis) was unreachable."""
    return run.status == RunStatus.RUNNING and jobs.is_waiting("payroll.compute_run", args=[run.pk, run.attempt])


def exports_waiting_for_queue(job_list) -> set[int]:
    """Ids of those exports whose message is held in the job outbox because the job queue (Redis) was unreachable:
    one query however many jobs a page shows, none when no job is queued."""
    queued = [job.pk for job in job_list if job is not None and job.status == ExportStatus.QUEUED]
    return jobs.waiting_job_ids("payroll.write_export", job_ids=queued)


def downloadable_export(*, job: PayrollExport) -> PayrollExport:
    """A finished export of the run's current computation, or a clear refusal (still being written, failed, stale)."""
    if job.status == ExportStatus.REMOVED:
        raise PayrollConflict(
            _(
                "This file was removed: an export is kept %(days)s days, or until the payroll is computed again. "
                "Ask for a new export."
            )
            % {"days": settings.PAYROLL_EXPORT_KEEP_DAYS}
        )
    if job.status != ExportStatus.DONE or not job.file:
        raise PayrollConflict(_("This export is not finished: %(status)s.") % {"status": job.get_status_display()})
    if not job.is_current or job.run.status not in VISIBLE_RUN_STATUSES:
        raise PayrollConflict(_("The payroll was computed again after this file was written; ask for a new export."))
    return job


def current_exports(*, run: PayrollRun, limit: int = 5) -> list[PayrollExport]:
    """The latest exports of the run's current computation, for its page (older computations' files are stale)."""
    return list(run.exports.filter(attempt=run.attempt).select_related("run", "requested_by")[:limit])


# --- What a computed run read, and the order of months ----------------------------------------------------------


def month_inputs_fingerprint(month) -> Fingerprint:
    """Read `month`'s inputs the way its computation does (payroll.calculation, batch by batch) and fingerprint
    them. Raises the computation's own errors when the inputs cannot be computed any more."""
    from .services import BATCH_SIZE

    data = MonthData(month)
    fingerprint = Fingerprint()
    ids = data.employee_ids()
    for start in range(0, len(ids), BATCH_SIZE):
        people = data.load_people(ids[start : start + BATCH_SIZE])
        fingerprint.add_batch(data, people, data.batch(people))
    return fingerprint


def run_input_changes(*, run: PayrollRun) -> InputChanges:
    """How the inputs of a computed run's month differ now from what its computation read (empty: unchanged)."""
    stored = dict(Payslip.objects.filter(run=run).values_list("employee_id", "inputs_fingerprint"))
    if not run.inputs_fingerprint or not run.inputs_by_kind or None in stored.values():
        return InputChanges(not_recorded=True)
    try:
        now = month_inputs_fingerprint(run.month)
    except (ComputationError, ComponentError) as error:
        employee_id = getattr(error, "employee_id", None)
        return InputChanges(error=error.message, changed=[employee_id] if employee_id else [])
    if now.digest() == run.inputs_fingerprint:
        return InputChanges()
    kinds_now = now.by_kind()
    kinds = sorted(
        kind for kind in {*kinds_now, *run.inputs_by_kind} if kinds_now.get(kind) != run.inputs_by_kind.get(kind)
    )
    return InputChanges(
        paid=len(stored),
        kinds=kinds,
        changed=sorted(pk for pk, digest in now.employees.items() if pk in stored and stored[pk] != digest),
        added=sorted(set(now.employees) - set(stored)),
        removed=sorted(set(stored) - set(now.employees)),
    )


@dataclass
class InputChangesView:
    """Input changes shaped for a page or the API: labels of the kinds and the people named."""

    changes: InputChanges
    people: dict[int, str]

    @classmethod
    def of(cls, changes: InputChanges, *, limit: int = 10) -> InputChangesView:
        from roles.models import Employee

        ids = changes.employee_ids[:limit]
        people = {e.pk: str(e) for e in Employee.objects.filter(pk__in=ids)}
        return cls(changes=changes, people=people)

    def names(self, ids: list[int]) -> list[str]:
        return [self.people[pk] for pk in ids if pk in self.people]

    def _named(self, ids: list[int]) -> str:
        names = self.names(ids)
        more = len(ids) - len(names)
        return ", ".join(names) + (_(" and %(count)s more") % {"count": more} if more > 0 else "")

    @property
    def changed_names(self) -> str:
        changed = self.changes.changed
        if len(changed) > 1 and len(changed) == self.changes.paid:
            return _("everyone in this run (%(count)s people)") % {"count": len(changed)}
        return self._named(changed)

    @property
    def added_names(self) -> str:
        return self._named(self.changes.added)

    @property
    def removed_names(self) -> str:
        return self._named(self.changes.removed)

    def as_dict(self) -> dict:
        c = self.changes
        return {
            "inputs": [{"kind": kind, "label": label} for kind, label in zip(c.kinds, c.kind_labels, strict=True)],
            "changed_employees": [{"id": pk, "name": self.people.get(pk, "")} for pk in c.changed],
            "added_employees": [{"id": pk, "name": self.people.get(pk, "")} for pk in c.added],
            "removed_employees": [{"id": pk, "name": self.people.get(pk, "")} for pk in c.removed],
            "error": c.error,
            "not_recorded": c.not_recorded,
        }

    def summary(self) -> str:
        """One sentence naming what changed, for messages and the API's error detail."""
        c = self.changes
        if c.not_recorded:
            return _("It was computed before ShopOps recorded what a run reads; run it again.")
        parts = []
        if c.error:
            parts.append(_("Its inputs can no longer be computed: %(error)s.") % {"error": c.error})
        if c.kinds:
            parts.append(_("Changed inputs: %(kinds)s.") % {"kinds": ", ".join(c.kind_labels)})
        for label, names in (
            (_("Changed for: %(names)s."), self.changed_names),
            (_("Now paid this month: %(names)s."), self.added_names),
            (_("No longer paid this month: %(names)s."), self.removed_names),
        ):
            if names:
                parts.append(label % {"names": names})
        return " ".join(parts)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def unapproved_earlier_month(month: datetime.date) -> datetime.date | None:
    """The first month before `month` in its tax year, from the shop's first payroll on, that is not approved (a
    month with no run at all counts); None when every one is. Income tax is cumulative over the year, so a month
    is computed and approved only after all of these."""
    first = PayrollRun.objects.order_by("month").values_list("month", flat=True).first()
    if first is None:
        return None
    current = max(month.replace(month=1), first)
    approved = set(
        PayrollRun.objects.filter(month__gte=current, month__lt=month, status__in=LOCKED_STATUSES).values_list(
            "month", flat=True
        )
    )
    while current < month:
        if current not in approved:
            return current
        current = next_month(current)
    return None


def due_month(today_month: datetime.date) -> datetime.date:
    """The month whose payroll is due: the one after the last approved month, else the shop's first payroll, else
    this month (`today_month`) for a shop with no payroll yet."""
    last = PayrollRun.objects.filter(status__in=LOCKED_STATUSES).order_by("-month").values_list("month", flat=True)
    if last.first() is not None:
        return next_month(last.first())
    first = PayrollRun.objects.order_by("month").values_list("month", flat=True).first()
    return first or today_month


# --- Finance's start page ----------------------------------------------------------------------------------------


def finance_waiting(*, user, today: datetime.date) -> list[WaitingRow]:
    """What waits for finance in the payroll: the month due to be computed once it has ended (or a draft or failed
    run), runs ready to approve, ready runs whose inputs changed since (compute again first), and workbooks of
    current computations this user asked for, ready to download. Rows with nothing waiting are left out."""
    rows: list[WaitingRow] = []
    # The month after the last approved one; for a shop with no payroll yet, the month that ended last.
    month = due_month((today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1))
    run = run_for_month(month)
    month_over = next_month(month) <= today
    if (run is None and month_over) or (run is not None and run.status in (RunStatus.DRAFT, RunStatus.FAILED)):
        url = run.get_absolute_url() if run else reverse("payroll:run-list")
        detail = run.get_status_display() if run else _("Not started")
        rows.append(
            WaitingRow(
                "month-due",
                _("Payroll of %(month)s to compute") % {"month": month_label(month)},
                1,
                url,
                next_month(month),
                detail,
            )
        )
    ready = list(PayrollRun.objects.filter(status=RunStatus.READY).order_by("month"))
    stale = [r for r in ready if run_input_changes(run=r)]
    fresh = [r for r in ready if r not in stale]
    for key, label, runs in (
        ("runs-ready", _("Payroll runs ready to approve"), fresh),
        ("runs-stale", _("Runs whose inputs changed since they were computed: compute again"), stale),
    ):
        if runs:
            url = runs[0].get_absolute_url() if len(runs) == 1 else reverse("payroll:run-list")
            since = min((r.finished_at or r.created_at) for r in runs)
            rows.append(WaitingRow(key, label, len(runs), url, since, ", ".join(r.label for r in runs)))
    exports = list(
        PayrollExport.objects.filter(
            status=ExportStatus.DONE,
            attempt=F("run__attempt"),
            run__status__in=VISIBLE_RUN_STATUSES,
            requested_by=user,
        )
        .exclude(run__in=stale)  # a stale run's workbook waits for the recomputation
        .select_related("run")
        .order_by("-finished_at", "-pk")
    )
    if exports:
        newest = exports[0]
        url = newest.run.get_absolute_url() if len({e.run_id for e in exports}) == 1 else reverse("payroll:run-list")
        rows.append(
            WaitingRow(
                "exports-ready",
                _("Workbooks ready to download"),
                len(exports),
                url,
                min(e.finished_at or e.created_at for e in exports),
                ", ".join(sorted({e.run.label for e in exports})),
            )
        )
    return rows
