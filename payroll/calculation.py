"""Loading a month's inputs in bulk and turning them into payroll.engine inputs, a batch at a time.

Queries do not grow with employees: the month-wide data (structures, policies, sales, pools) is read once, and
each batch of employees costs a fixed handful of queries (employees, attendance, adjustments, year to date,
checklist completion).
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from roles.models import Employee
from roles.workdays import WorkCalendar

from . import tax
from .choices import LOCKED_STATUSES, AdjustmentKind, WithholdingOption
from .engine import (
    CompiledComponent,
    ComponentSpec,
    ComputationError,
    EmployeeMonth,
    PolicyFormulas,
    compile_components,
    policy_formulas,
)
from .models import (
    Adjustment,
    Attendance,
    InsurancePolicy,
    Payslip,
    ProfitPoolRule,
    SalesFigure,
    StructureVersion,
    TaxOpeningBalance,
)
from .money import ZERO, round_money

ONE = Decimal("1")


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def working_days(month: datetime.date, calendar_: WorkCalendar | None = None) -> int:
    """Working days of the month by the shop's calendar (Monday to Friday, public holidays and 调休 applied)."""
    calendar_ = calendar_ or WorkCalendar.load(start=month, end=month_end(month))
    return calendar_.working_days_between(month, month_end(month))


def eligible_employees(month: datetime.date):
    """Everyone employed for at least one day of the month, including those who left during it."""
    return Employee.objects.filter(hire_date__lte=month_end(month)).filter(
        Q(leave_date__isnull=True) | Q(leave_date__gte=month)
    )


def completion_rates(*, month: datetime.date, employee_ids: Sequence[int]) -> dict[int, Decimal]:
    """Checklist completion per employee from the checklists module; absent employees had nothing due."""
    from roles.selectors import checklist_completion_rates

    return checklist_completion_rates(start=month, end=month_end(month), employee_ids=employee_ids)


@dataclass(frozen=True, slots=True)
class PayPerson:
    """What a payroll run needs of one employee, read as plain values: model instances with their role and pay
    profile cost more to build than the payslip does to compute."""

    pk: int
    role_id: int
    department_id: int
    role_title: str
    hire_date: datetime.date
    leave_date: datetime.date | None
    base: Decimal
    contribution_base: Decimal
    special_additional_deduction: Decimal
    insurance_policy_id: int | None
    # Not an input of the pay, but of the payment: approval copies the account to the payslip, so a change after the
    # computation makes the run stale like a change of pay (the keyed hash, never the number, is read here).
    bank_account_digest: str | None = None


PAY_PERSON_FIELDS = (
    "pk",
    "role_id",
    "role__department_id",
    "role__title_zh",
    "hire_date",
    "leave_date",
    "role__pay_grade_min",
    "pay_profile__id",
    "pay_profile__base_salary",
    "pay_profile__contribution_base",
    "pay_profile__special_additional_deduction",
    "pay_profile__insurance_policy",
    "bank_account_digest",
)


def _pay_person(row: tuple) -> PayPerson:
    pk, role_id, department_id, title, hired, left, grade_min = row[:7]
    profile_id, salary, contribution, additional, policy, bank = row[7:]
    # Without a pay profile: the role's pay grade minimum, no deductions, the default policy.
    base = salary if profile_id is not None else grade_min
    return PayPerson(
        pk=pk,
        role_id=role_id,
        department_id=department_id,
        role_title=title,
        hire_date=hired,
        leave_date=left,
        base=base,
        contribution_base=contribution if contribution is not None else base,
        special_additional_deduction=additional if profile_id is not None else ZERO,
        insurance_policy_id=policy,
        bank_account_digest=bank,
    )


def _id_filter(field: str, ids: Sequence[int]) -> Q:
    """Rows whose `field` is one of `ids`, or a few more. A batch of a run is every eligible employee in an id
    range, so the range itself selects them, cheaper than an IN list of thousands of ids; rows of others in the
    range are simply not looked up. Sparse ids (a preview's selection) fall back to the list."""
    if ids:
        low, high = min(ids), max(ids)
        if high - low < 2 * len(ids):
            return Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return Q(**{f"{field}__in": list(ids)})


def _uses(components: list[CompiledComponent], name: str) -> bool:
    return any(name in component.formula.names for component in components)


class MonthData:
    """The month-wide inputs of a payroll, read once; `batch()` builds engine inputs for a batch of employees."""

    def __init__(self, month: datetime.date, *, overrides: dict[int, list[CompiledComponent]] | None = None):
        self.month = month
        self.end = month_end(month)
        self.calendar = WorkCalendar.load(start=month, end=self.end)
        self.working_days = Decimal(working_days(month, self.calendar))
        self._spans: dict[tuple[datetime.date, datetime.date], Decimal] = {}
        self._load_policies()
        self._load_structures(overrides or {})
        self._load_sales()

    # --- month-wide ---------------------------------------------------------------------------------------------

    def _load_policies(self) -> None:
        self.policies: dict[int, PolicyFormulas] = {}
        self.default_policy_id = None
        for policy in InsurancePolicy.objects.all():
            self.policies[policy.pk] = policy_formulas(policy)
            if policy.is_default:
                self.default_policy_id = policy.pk

    def _load_structures(self, overrides: dict[int, list[CompiledComponent]]) -> None:
        """The version in force this month for every structure, each compiled once for the whole run."""
        versions = (
            StructureVersion.objects.filter(effective_from__lte=self.month)
            .select_related("structure")
            .prefetch_related("components")
            .order_by("structure_id", "-effective_from")
        )
        self.version_by_role: dict[int, StructureVersion] = {}
        self.version_by_employee: dict[int, StructureVersion] = {}
        self.compiled: dict[int, list[CompiledComponent]] = {}
        seen = set()
        for version in versions:
            if version.structure_id in seen:
                continue
            seen.add(version.structure_id)
            if version.pk in overrides:
                self.compiled[version.pk] = overrides[version.pk]
            else:
                self.compiled[version.pk] = compile_components(
                    ComponentSpec(c.code, c.name, c.kind, c.formula) for c in version.components.all()
                )
            structure = version.structure
            if structure.employee_id:
                self.version_by_employee[structure.employee_id] = version
            else:
                self.version_by_role[structure.role_id] = version

    def _load_sales(self) -> None:
        figures = list(SalesFigure.objects.filter(month=self.month))
        self.sales = sum((f.sales for f in figures), ZERO)
        self.gross_profit = sum((f.gross_profit for f in figures), ZERO)
        self.team = {f.department_id: (f.sales, f.gross_profit) for f in figures}
        pool_base = max(self.gross_profit, ZERO)
        self.profit_pool = round_money(sum((pool_base * rule.rate for rule in ProfitPoolRule.objects.all()), ZERO))
        # Who shares the pool is up to the structures: those whose formulas use it.
        sharing = {pk for pk, components in self.compiled.items() if _uses(components, "profit_pool")}
        self.pool_headcount = 0
        if sharing:
            for pk, role_id in eligible_employees(self.month).values_list("pk", "role_id"):
                version = self.version_by_employee.get(pk) or self.version_by_role.get(role_id)
                self.pool_headcount += version is not None and version.pk in sharing

    def _working_days_between(self, start: datetime.date, end: datetime.date) -> Decimal:
        """Working days of [start, end], counted once per distinct span: most people share the whole month."""
        span = (start, end)
        if span not in self._spans:
            self._spans[span] = Decimal(self.calendar.working_days_between(start, end))
        return self._spans[span]

    def employee_ids(self) -> list[int]:
        return list(eligible_employees(self.month).order_by("pk").values_list("pk", flat=True))

    def version_for(self, employee: Employee | PayPerson) -> StructureVersion | None:
        return self.version_by_employee.get(employee.pk) or self.version_by_role.get(employee.role_id)

    # --- per batch ----------------------------------------------------------------------------------------------

    def load_people(self, ids: Iterable[int]) -> list[PayPerson]:
        """The employees with their role and pay profile, in one query, in id order."""
        wanted = set(ids)
        rows = Employee.objects.filter(_id_filter("pk", list(wanted))).order_by("pk").values_list(*PAY_PERSON_FIELDS)
        return [_pay_person(row) for row in rows if row[0] in wanted]

    def batch(self, employees: list[PayPerson]) -> list[EmployeeMonth]:
        """Engine inputs for these employees, in five queries whatever their number."""
        ids = [e.pk for e in employees]
        mine = _id_filter("employee_id", ids)
        attendance = {
            row[0]: row[1:]
            for row in Attendance.objects.filter(mine, month=self.month).values_list(
                "employee_id", "working_days", "days_worked", "unpaid_leave_days"
            )
        }
        adjustments: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for employee_id, kind, total in (
            Adjustment.objects.filter(mine, month=self.month)
            .values("employee_id", "kind")
            .annotate(total=Sum("amount"))
            .values_list("employee_id", "kind", "total")
        ):
            adjustments[employee_id][kind] = total
        prior = {
            row["employee_id"]: tax.YearToDate(
                income=row["income"] or ZERO,
                special=(row["si"] or ZERO) + (row["hf"] or ZERO),
                additional=row["additional"] or ZERO,
                tax=row["tax"] or ZERO,
            )
            for row in Payslip.objects.filter(
                mine,
                run__month__gte=self.month.replace(month=1),
                run__month__lt=self.month,
                run__status__in=LOCKED_STATUSES,
            )
            .values("employee_id")
            .annotate(
                income=Sum("taxable_income"),
                si=Sum("social_insurance"),
                hf=Sum("housing_fund"),
                additional=Sum("special_additional_deduction"),
                tax=Sum("income_tax"),
            )
        }
        openings = TaxOpeningBalance.objects.filter(mine, year=self.month.year).values_list(
            "employee_id", "income", "special_deductions", "additional_deductions", "tax_withheld", "withholding_option"
        )
        options = {}
        for employee_id, income, special, additional, withheld, option in openings:
            options[employee_id] = option
            before = prior.get(employee_id, tax.YearToDate())
            prior[employee_id] = tax.YearToDate(
                income=before.income + income,
                special=before.special + special,
                additional=before.additional + additional,
                tax=before.tax + withheld,
            )
        rates = completion_rates(month=self.month, employee_ids=ids)
        return [self._employee_month(e, attendance, adjustments, prior, rates, options) for e in employees]

    def _employee_month(self, employee: PayPerson, attendance, adjustments, prior, rates, options) -> EmployeeMonth:
        version = self.version_for(employee)
        if version is None:
            raise ComputationError(
                format_lazy(
                    _("no salary structure for the role '{role}' or for the employee"), role=employee.role_title
                ),
                employee_id=employee.pk,
                component="structure",
            )
        base = employee.base
        policy_id = employee.insurance_policy_id or self.default_policy_id
        if policy_id is None:
            raise ComputationError(
                _("no insurance policy: mark one city's policy as the default"),
                employee_id=employee.pk,
                component="policy",
            )
        entry = attendance.get(employee.pk)
        if entry is not None:
            month_days, worked, unpaid = entry
        else:
            start = max(employee.hire_date, self.month)
            end = min(employee.leave_date or self.end, self.end)
            month_days, worked, unpaid = self.working_days, self._working_days_between(start, end), ZERO
        own = adjustments.get(employee.pk, {})
        team_sales, team_profit = self.team.get(employee.department_id, (ZERO, ZERO))
        variables = {
            "base": base,
            "working_days": month_days,
            "days_worked": worked,
            "unpaid_leave_days": unpaid,
            "bonus": own.get(AdjustmentKind.BONUS, ZERO),
            "penalty": own.get(AdjustmentKind.PENALTY, ZERO),
            "completion_rate": rates.get(employee.pk, ONE),
            "sales": self.sales,
            "gross_profit": self.gross_profit,
            "team_sales": team_sales,
            "team_gross_profit": team_profit,
            "profit_pool": self.profit_pool,
            "pool_headcount": Decimal(self.pool_headcount),
        }
        return EmployeeMonth(
            employee_id=employee.pk,
            components=self.compiled[version.pk],
            policy=self.policies[policy_id],
            variables=variables,
            contribution_base=employee.contribution_base,
            corrections=own.get(AdjustmentKind.CORRECTION, ZERO),
            special_additional_deduction=employee.special_additional_deduction,
            prior=prior.get(employee.pk, tax.YearToDate()),
            months_employed=tax.months_employed(hire_date=employee.hire_date, month=self.month),
            tax_month=self.month.month,
            withholding_option=options.get(employee.pk, WithholdingOption.STANDARD.value),
        )
