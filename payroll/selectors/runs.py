"""Payroll runs: a month's run, its department totals and whether it waits for the queue."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from shop_ops import jobs
from shop_ops.i18n import in_language

from ..choices import LOCKED_STATUSES, RunStatus
from ..models import PayrollRun, Payslip

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


def run_for_month(month) -> PayrollRun | None:
    return (
        PayrollRun.objects.select_related("started_by", "approved_by", "paid_by", "error_employee")
        .filter(month=month)
        .first()
    )


def run_waiting_for_queue(*, run: PayrollRun) -> bool:
    """Whether the run's computation is held in the job outbox because the job queue (Redis) was unreachable."""
    return run.status == RunStatus.RUNNING and jobs.is_waiting("payroll.compute_run", args=[run.pk, run.attempt])
