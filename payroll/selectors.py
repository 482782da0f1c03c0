"""Reads of the payroll, shaped for pages, the API and exports with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from shop_ops import jobs
from shop_ops.prepared import PreparedQuery

from .choices import LOCKED_STATUSES, ExportStatus, RunStatus
from .exceptions import PayrollConflict
from .formula import FormulaError, format_value, parse
from .models import PayrollExport, PayrollRun, Payslip, PayslipLine
from .money import format_money
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
    return f"{rendered} = {format_money(line.amount)}"


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
            department=f"{row['department__name_zh']} {row['department__name_en']}",
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
