"""Reads of the duty checklists: a person's checklist, completion figures, overdue lists.

Completion rate = items due in the period (up to today) that were done by their due date ÷ items due in the
period. It is the figure other modules read (payroll's KPI bonus) through `checklist_completion_rates`.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet

from ..choices import ItemKind, ItemStatus, Period
from ..models import ChecklistItem, Employee

RATE_PLACES = Decimal("0.0001")


def period_range(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar days of 'today', 'this week' (Monday to Sunday) or 'this month' around `today`."""
    if period == Period.WEEK:
        start = today - datetime.timedelta(days=today.isoweekday() - 1)
        return start, start + datetime.timedelta(days=6)
    if period == Period.MONTH:
        return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return today, today


def rate(done: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(done) / Decimal(total)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _items_due(start: datetime.date, end: datetime.date, today: datetime.date) -> QuerySet[ChecklistItem]:
    # Items not yet due do not count against anyone.
    return ChecklistItem.objects.filter(due_date__gte=start, due_date__lte=min(end, today))


_FIGURES = {
    "total": Count("id"),
    "done": Count("id", filter=Q(status=ItemStatus.DONE)),
    "on_time": Count("id", filter=Q(status=ItemStatus.DONE, done_on__lte=F("due_date"))),
}


def checklist_completion_rates(
    *, start: datetime.date, end: datetime.date, employee_ids: Iterable[int] | None = None, today=None
) -> dict[int, Decimal]:
    """Per employee id: the share of items due in [start, end] done by their due date, a Decimal in [0, 1] to
    4 places (half up). Employees with nothing due in the period are absent. One query."""
    from django.utils import timezone

    items = _items_due(start, end, today or timezone.localdate())
    if employee_ids is not None:
        items = items.filter(employee_id__in=list(employee_ids))
    rows = items.values("employee_id").annotate(**_FIGURES).order_by()
    return {row["employee_id"]: rate(row["on_time"], row["total"]) for row in rows if row["total"]}


@dataclass
class CompletionRow:
    key: object
    label: str
    total: int
    done: int
    on_time: int
    overdue: int

    @property
    def rate(self) -> Decimal | None:
        return rate(self.done, self.total)

    @property
    def on_time_rate(self) -> Decimal | None:
        return rate(self.on_time, self.total)

    @property
    def percent(self) -> int:
        return int((self.rate or 0) * 100)


GROUPINGS = {
    "department": (
        "employee__role__department_id",
        "employee__role__department__name_zh",
        "employee__role__department__name_en",
    ),
    "role": ("employee__role_id", "employee__role__title_zh", "employee__role__title_en"),
    "employee": ("employee_id", "employee__full_name", "employee__employee_number"),
}


def completion_by(
    *, group_by: str, start: datetime.date, end: datetime.date, today: datetime.date, department_id=None
) -> list[CompletionRow]:
    """Completion figures grouped by department, role or employee; one query whatever the number of rows."""
    from django.utils.translation import get_language

    key, zh, en = GROUPINGS[group_by]
    items = _items_due(start, end, today)
    if department_id:
        items = items.filter(employee__role__department_id=department_id)
    rows = (
        items.values(key, zh, en)
        .annotate(**_FIGURES, overdue=Count("id", filter=Q(status=ItemStatus.OPEN, due_date__lt=today)))
        .order_by(zh)
    )
    chinese = (get_language() or "zh").startswith("zh")
    result = []
    for row in rows:
        if group_by == "employee":
            label = f"{row[zh]} ({row[en]})"
        else:
            label = (row[zh] if chinese else row[en]) or row[zh]
        result.append(CompletionRow(row[key], label, row["total"], row["done"], row["on_time"], row["overdue"]))
    return result


def overall(*, start: datetime.date, end: datetime.date, today: datetime.date) -> CompletionRow:
    figures = _items_due(start, end, today).aggregate(
        **_FIGURES, overdue=Count("id", filter=Q(status=ItemStatus.OPEN, due_date__lt=today))
    )
    return CompletionRow(None, "", **figures)


def overdue_items(*, today: datetime.date, department_id=None) -> QuerySet[ChecklistItem]:
    items = ChecklistItem.objects.overdue(today).select_related("employee", "employee__role__department")
    if department_id:
        items = items.filter(employee__role__department_id=department_id)
    return items.order_by("due_date", "employee__full_name", "id")


def my_checklist(*, employee: Employee, today: datetime.date) -> QuerySet[ChecklistItem]:
    """Today's items, everything still open from before (overdue), open one-off tasks, and what was done today."""
    return (
        ChecklistItem.objects.filter(employee=employee)
        .filter(
            Q(due_date=today)
            | Q(status=ItemStatus.OPEN, due_date__lt=today)
            | Q(status=ItemStatus.OPEN, kind__in=[ItemKind.AD_HOC, ItemKind.ON_DEMAND], period_start__lte=today)
            | Q(done_on=today)
        )
        .select_related("duty", "done_by")
        .order_by("due_date", "duty__sort_order", "id")
    )


def person_history(*, employee: Employee, start: datetime.date, end: datetime.date) -> QuerySet[ChecklistItem]:
    return (
        ChecklistItem.objects.filter(employee=employee, due_date__gte=start, due_date__lte=end)
        .select_related("done_by")
        .order_by("-due_date", "id")
    )


def daily_completion(*, employee: Employee, start: datetime.date, end: datetime.date, today: datetime.date):
    """Per due day: total and done, for a person's history chart; one query."""
    rows = (
        _items_due(start, end, today)
        .filter(employee=employee)
        .values("due_date")
        .annotate(**_FIGURES)
        .order_by("due_date")
    )
    return [
        CompletionRow(row["due_date"], str(row["due_date"]), row["total"], row["done"], row["on_time"], 0)
        for row in rows
    ]


def items_visible_to(*, user) -> QuerySet[ChecklistItem]:
    """Managers see every item; everyone else only their own."""
    from ..permissions import can_manage_org

    items = ChecklistItem.objects.select_related("employee", "employee__role", "done_by")
    if can_manage_org(user):
        return items
    return items.filter(employee__user_id=user.pk)
