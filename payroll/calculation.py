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
from decimal import Decimal

from django.db.models import Q, Sum

from roles.models import Employee
from roles.workdays import WorkCalendar

from . import tax
from .choices import LOCKED_STATUSES, AdjustmentKind
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


def _uses(components: list[CompiledComponent], name: str) -> bool:
    return any(name in component.formula.names for component in components)


class MonthData:
    """The month-wide inputs of a payroll, read once; `batch()` builds engine inputs for a batch of employees."""

    def __init__(self, month: datetime.date, *, overrides: dict[int, list[CompiledComponent]] | None = None):
        self.month = month
        self.end = month_end(month)
        self.calendar = WorkCalendar.load(start=month, end=self.end)
        self.working_days = Decimal(working_days(month, self.calendar))
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

    def employee_ids(self) -> list[int]:
        return list(eligible_employees(self.month).order_by("pk").values_list("pk", flat=True))

    def version_for(self, employee: Employee) -> StructureVersion | None:
        return self.version_by_employee.get(employee.pk) or self.version_by_role.get(employee.role_id)

    # --- per batch ----------------------------------------------------------------------------------------------

    def load_employees(self, ids: Iterable[int]) -> list[Employee]:
        return list(Employee.objects.filter(pk__in=list(ids)).select_related("role", "pay_profile").order_by("pk"))

    def batch(self, employees: list[Employee]) -> list[EmployeeMonth]:
        """Engine inputs for these employees, in four or five queries whatever their number."""
        ids = [e.pk for e in employees]
        attendance = {a.employee_id: a for a in Attendance.objects.filter(month=self.month, employee_id__in=ids)}
        adjustments: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for row in (
            Adjustment.objects.filter(month=self.month, employee_id__in=ids)
            .values("employee_id", "kind")
            .annotate(total=Sum("amount"))
        ):
            adjustments[row["employee_id"]][row["kind"]] = row["total"]
        prior = {
            row["employee_id"]: tax.YearToDate(
                income=row["income"] or ZERO,
                special=(row["si"] or ZERO) + (row["hf"] or ZERO),
                additional=row["additional"] or ZERO,
                tax=row["tax"] or ZERO,
            )
            for row in Payslip.objects.filter(
                employee_id__in=ids,
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
        for opening in TaxOpeningBalance.objects.filter(employee_id__in=ids, year=self.month.year):
            before = prior.get(opening.employee_id, tax.YearToDate())
            prior[opening.employee_id] = tax.YearToDate(
                income=before.income + opening.income,
                special=before.special + opening.special_deductions,
                additional=before.additional + opening.additional_deductions,
                tax=before.tax + opening.tax_withheld,
            )
        rates = completion_rates(month=self.month, employee_ids=ids)
        return [self._employee_month(e, attendance, adjustments, prior, rates) for e in employees]

    def _employee_month(self, employee, attendance, adjustments, prior, rates) -> EmployeeMonth:
        version = self.version_for(employee)
        if version is None:
            raise ComputationError(
                f"no salary structure for the role '{employee.role.title_zh}' or for the employee",
                employee_id=employee.pk,
                component="structure",
            )
        profile = getattr(employee, "pay_profile", None)
        base = profile.base_salary if profile else employee.role.pay_grade_min
        policy_id = (profile.insurance_policy_id if profile else None) or self.default_policy_id
        if policy_id is None:
            raise ComputationError(
                "no insurance policy: mark one city's policy as the default",
                employee_id=employee.pk,
                component="policy",
            )
        entry = attendance.get(employee.pk)
        if entry is not None:
            month_days, worked, unpaid = entry.working_days, entry.days_worked, entry.unpaid_leave_days
        else:
            start = max(employee.hire_date, self.month)
            end = min(employee.leave_date or self.end, self.end)
            month_days, worked, unpaid = (
                self.working_days,
                Decimal(self.calendar.working_days_between(start, end)),
                ZERO,
            )
        own = adjustments.get(employee.pk, {})
        department_id = employee.role.department_id
        team_sales, team_profit = self.team.get(department_id, (ZERO, ZERO))
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
            contribution_base=(
                profile.contribution_base if profile and profile.contribution_base is not None else base
            ),
            corrections=own.get(AdjustmentKind.CORRECTION, ZERO),
            special_additional_deduction=profile.special_additional_deduction if profile else ZERO,
            prior=prior.get(employee.pk, tax.YearToDate()),
            months_employed=tax.months_employed(hire_date=employee.hire_date, month=self.month),
        )
