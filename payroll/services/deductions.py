"""Special additional deductions (专项附加扣除): an employee's entries by category, checked by payroll.deductions."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from roles.models import Employee
from roles.services import check_not_own_pay

from .. import deductions
from ..models import SpecialDeduction


def _entry(deduction: SpecialDeduction) -> deductions.Entry:
    return deductions.Entry(
        category=deduction.category,
        start_month=deduction.start_month,
        end_month=deduction.end_month,
        share=deduction.share,
        monthly_amount=deduction.monthly_amount,
        pk=deduction.pk,
    )


@transaction.atomic
def save_special_deduction(
    *,
    employee: Employee,
    category: str,
    start_month: datetime.date,
    end_month: datetime.date | None = None,
    share: Decimal | None = None,
    monthly_amount: Decimal | None = None,
    note: str = "",
    user,
    deduction: SpecialDeduction | None = None,
) -> SpecialDeduction:
    """Enter (or, given `deduction`, change) one of an employee's special additional deductions, refused with the
    field at fault when it breaks its category's amount or cap or clashes with their other entries. Months already
    paid are caught up by the next payroll's cumulative figure; one's own deductions are refused."""
    check_not_own_pay(by=user, employee=employee, field="employee")
    if deduction is not None and deduction.employee_id != employee.pk:
        raise ValueError("a deduction stays with its employee")
    # Lock the employee's entries so two clerks cannot both add a housing loan and a rent for the same months.
    others = list(SpecialDeduction.objects.select_for_update().filter(employee=employee))
    checked = deductions.check_entry(
        deductions.Entry(
            category=category,
            start_month=start_month,
            end_month=end_month,
            share=share,
            monthly_amount=monthly_amount,
            pk=deduction.pk if deduction else None,
        )
    )
    deductions.check_against(checked, [_entry(other) for other in others])
    deduction = deduction or SpecialDeduction(employee=employee)
    deduction.category = checked.category
    deduction.start_month = checked.start_month
    deduction.end_month = checked.end_month
    deduction.share = checked.share
    deduction.monthly_amount = checked.monthly_amount
    deduction.note = (note or "").strip()[:200]
    deduction.entered_by = user if getattr(user, "is_authenticated", False) else None
    deduction.full_clean()
    deduction.save()
    return deduction


def end_special_deduction(*, deduction: SpecialDeduction, end_month: datetime.date, user) -> SpecialDeduction:
    """End an entry with `end_month` as its last month (checked like any change)."""
    return save_special_deduction(
        employee=deduction.employee,
        category=deduction.category,
        start_month=deduction.start_month,
        end_month=end_month,
        share=deduction.share,
        monthly_amount=deduction.monthly_amount,
        note=deduction.note,
        user=user,
        deduction=deduction,
    )
