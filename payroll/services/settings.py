"""Pay settings: profit pool rules, pay profiles, insurance policies, tax opening balances, the change threshold."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from roles.models import Department, Employee
from roles.services import check_not_own_pay
from shop_ops.numbers import format_money

from .. import selectors
from ..choices import LOCKED_STATUSES, WithholdingOption
from ..exceptions import PayrollConflict, PayrollError
from ..models import (
    INSURANCE_RATE_FIELDS,
    InsurancePolicy,
    PayProfile,
    PayrollRun,
    ProfitPoolRule,
    TaxOpeningBalance,
    VarianceThreshold,
)
from ..money import MAX_INPUT_AMOUNT, ZERO
from .inputs import _bounded

logger = logging.getLogger(__name__)


# Year-to-date figures (a tax opening balance) are bounded like inputs, by a year's worth of them.
MAX_YEAR_AMOUNT = MAX_INPUT_AMOUNT * 12


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
def save_variance_threshold(*, percent: Decimal, amount: Decimal, user) -> VarianceThreshold:
    """The shop's threshold for the changes from last month that finance checks before approving a month."""
    if not isinstance(percent, Decimal) or not percent.is_finite() or not Decimal(0) <= percent <= Decimal(1000):
        raise PayrollError(_("The per cent is between 0 and 1000."), field="percent")
    if percent.as_tuple().exponent < -1:
        raise PayrollError(_("The per cent has at most one decimal."), field="percent")
    if not isinstance(amount, Decimal) or not amount.is_finite() or not ZERO <= amount <= MAX_INPUT_AMOUNT:
        raise PayrollError(
            _("The amount is between 0 and %(maximum)s.") % {"maximum": format_money(MAX_INPUT_AMOUNT, sign=False)},
            field="amount",
        )
    if amount.as_tuple().exponent < -2:
        raise PayrollError(_("The amount has at most two decimals."), field="amount")
    threshold = VarianceThreshold.objects.select_for_update().filter(pk=1).first() or VarianceThreshold(pk=1)
    threshold.percent, threshold.amount, threshold.updated_by = percent, amount, user
    threshold.full_clean()
    threshold.save()
    return threshold


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


def _check_withholding_option(*, employee: Employee, year: int, option: str, income: Decimal) -> None:
    """Refuse an option the shop's own records contradict (the employee confirms the rest to finance)."""
    if option not in WithholdingOption.values:
        raise PayrollError(_("Choose one of the basic deduction options."), field="withholding_option")
    if option == WithholdingOption.FIRST_INCOME and income > 0:
        raise PayrollError(
            _(
                "The first-wage-income option (2020 No. 13) is for a person with no wage income earlier this year, "
                "but an income of %(income)s is entered for before ShopOps."
            )
            % {"income": format_money(income)},
            field="withholding_option",
        )
    if option != WithholdingOption.LOW_INCOME:
        return
    bar = selectors.low_income_bars(hire_dates={employee.pk: employee.hire_date}, year=year).get(employee.pk)
    if bar is not None and bar.hired is not None:
        raise PayrollError(
            _(
                "The 60,000 option (2020 No. 19) is for a person employed here every month of last year; "
                "%(employee)s was hired on %(date)s."
            )
            % {"employee": employee, "date": employee.hire_date.isoformat()},
            field="withholding_option",
        )
    if bar is not None:
        raise PayrollError(
            _(
                "The 60,000 option (2020 No. 19) is for a person whose wages last year were at most 60,000; "
                "%(employee)s's wages recorded for %(year)s come to %(income)s."
            )
            % {"employee": employee, "year": year - 1, "income": format_money(bar.income)},
            field="withholding_option",
        )


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
    withholding_option: str = WithholdingOption.STANDARD,
) -> TaxOpeningBalance:
    """An employee's tax year: the year-to-date income, deductions and tax from before ShopOps ran their payroll this
    year (adopting it mid-year), so the cumulative withholding continues from the right totals, and the withholding
    option for the year (payroll.tax.basic_deduction), refused where the shop's own records show the employee does
    not qualify. Replaces an earlier entry; refused once a month of that year was approved with ShopOps for them, and
    for one's own."""
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
    _check_withholding_option(employee=employee, year=year, option=withholding_option, income=income)
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
    balance.withholding_option = withholding_option
    balance.entered_by = user if getattr(user, "is_authenticated", False) else None
    balance.full_clean()
    balance.save()
    return balance
