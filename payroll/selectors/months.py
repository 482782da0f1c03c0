"""The order of payroll months: the next one, an earlier unapproved one, the one due."""

from __future__ import annotations

import datetime

from ..choices import LOCKED_STATUSES
from ..models import PayrollRun


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
