"""A month's inputs: sales figures, adjustments and attendance."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from roles.models import Department, Employee
from roles.services import check_not_own_pay
from shop_ops.numbers import format_money

from ..choices import AdjustmentKind
from ..exceptions import PayrollError
from ..models import Adjustment, Attendance, SalesFigure
from ..money import MAX_INPUT_AMOUNT
from .months import ensure_month_open, ensure_not_future

logger = logging.getLogger(__name__)


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
    from ..calculation import working_days as month_working_days

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
