"""Loading a month's inputs in bulk and turning them into payroll.engine inputs, a batch at a time.

Queries do not grow with employees: the month-wide data (structures, policies, sales, pools) is read once, and
each batch of employees costs a fixed handful of queries (employees, attendance, adjustments, year to date,
special additional deductions, checklist completion).

Special additional deductions: an employee with entries by category (SpecialDeduction) is taxed by them — the
month's cumulative figure is the tax opening balance's plus what the entries entitle over the tax year's counted
months up to this one (payroll.deductions.year_to_date), so an entry entered late is caught up. The counted months
start at January, or the hire month for someone hired this year, or, when the year has a tax opening balance (whose
figure covers the months before ShopOps), the employee's first month paid by ShopOps this year. An employee without
entries keeps the pay profile's single monthly number, added to the earlier approved payslips' as before, so
payslips computed before the categories existed compute the same again.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Min, Q, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from roles.models import Employee
from roles.workdays import WorkCalendar

from . import deductions, tax
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
from .formula import format_value
from .models import (
    Adjustment,
    Attendance,
    InsurancePolicy,
    Payslip,
    ProfitPoolRule,
    SalesFigure,
    SpecialDeduction,
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
    full_name: str = ""  # the name the account is paid to (户名), copied with it at approval


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
    "full_name",
)


def _pay_person(row: tuple) -> PayPerson:
    pk, role_id, department_id, title, hired, left, grade_min = row[:7]
    profile_id, salary, contribution, additional, policy, bank, full_name = row[7:]
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
        full_name=full_name,
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
        """Engine inputs for these employees, in six queries whatever their number."""
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
        prior: dict[int, tax.YearToDate] = {}
        first_paid: dict[int, datetime.date] = {}  # the first month of the year ShopOps paid them (approved)
        for row in (
            Payslip.objects.filter(
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
                first=Min("run__month"),
            )
        ):
            prior[row["employee_id"]] = tax.YearToDate(
                income=row["income"] or ZERO,
                special=(row["si"] or ZERO) + (row["hf"] or ZERO),
                additional=row["additional"] or ZERO,
                tax=row["tax"] or ZERO,
            )
            first_paid[row["employee_id"]] = row["first"]
        openings = TaxOpeningBalance.objects.filter(mine, year=self.month.year).values_list(
            "employee_id", "income", "special_deductions", "additional_deductions", "tax_withheld", "withholding_option"
        )
        options = {}
        opening_additional: dict[int, Decimal] = {}
        for employee_id, income, special, additional, withheld, option in openings:
            options[employee_id] = option
            opening_additional[employee_id] = additional
            before = prior.get(employee_id, tax.YearToDate())
            prior[employee_id] = tax.YearToDate(
                income=before.income + income,
                special=before.special + special,
                additional=before.additional + additional,
                tax=before.tax + withheld,
            )
        entries: dict[int, list[deductions.Entry]] = defaultdict(list)
        for employee_id, *values in (
            SpecialDeduction.objects.filter(mine, start_month__lte=self.month)
            .filter(Q(end_month__isnull=True) | Q(end_month__gte=self.month.replace(month=1)))
            .order_by("employee_id", "pk")
            .values_list("employee_id", "category", "start_month", "end_month", "share", "monthly_amount", "pk")
        ):
            entries[employee_id].append(deductions.Entry(*values))
        additional = {
            e.pk: self._additional_deductions(e, entries[e.pk], first_paid, opening_additional)
            for e in employees
            if e.pk in entries
        }
        rates = completion_rates(month=self.month, employee_ids=ids)
        self._check_low_income_options(employees, options)
        return [self._employee_month(e, attendance, adjustments, prior, rates, options, additional) for e in employees]

    def _check_low_income_options(self, employees: list[PayPerson], options: dict[int, str]) -> None:
        """The 60,000 option (2020 No. 19) is checked when it is set, and again here: a hire date or last year's
        income entered since may contradict it (found by a tester: 150.00 a month too little withheld). The run stops
        for that employee with what to change, rather than withhold on a rule that no longer holds."""
        low = {e.pk: e.hire_date for e in employees if options.get(e.pk) == WithholdingOption.LOW_INCOME}
        if not low:
            return
        from .selectors import low_income_bars

        for employee_id, bar in low_income_bars(hire_dates=low, year=self.month.year).items():
            if bar.hired is not None:
                why = format_lazy(_("hired on {date}, so not employed here all of last year"), date=bar.hired)
            else:
                why = format_lazy(
                    _("last year's recorded wages are {income}, above 60,000"), income=format_value(bar.income)
                )
            raise ComputationError(
                format_lazy(
                    _(
                        "the 60,000 basic deduction option (2020 No. 19) no longer applies: {why}; change the option "
                        "on the tax opening balances page"
                    ),
                    why=why,
                ),
                employee_id=employee_id,
                component="withholding_option",
            )

    def _additional_deductions(
        self, employee: PayPerson, entries, first_paid, opening_additional
    ) -> deductions.AdditionalDeductions:
        """The employee's special additional deductions by category this month and over the counted months of the
        year (see the module's docstring)."""
        first = self.month.replace(month=1)
        if employee.hire_date > first:
            first = employee.hire_date.replace(day=1)
        if employee.pk in opening_additional:
            first = max(first, first_paid.get(employee.pk, self.month))
        first = min(first, self.month)
        try:
            categories = deductions.year_to_date(entries, first_month=first, month=self.month)
        except deductions.DeductionConflict as error:
            raise ComputationError(error.message, employee_id=employee.pk, component="special_deductions") from None
        return deductions.AdditionalDeductions(
            first_month=first.month, opening=opening_additional.get(employee.pk, ZERO), categories=categories
        )

    def _employee_month(
        self, employee: PayPerson, attendance, adjustments, prior, rates, options, additional
    ) -> EmployeeMonth:
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
        year = prior.get(employee.pk, tax.YearToDate())
        by_category = additional.get(employee.pk)
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
            # With entries by category: this month's part of their cumulative figure (what the earlier approved
            # payslips did not yet deduct, so a late entry is caught up); without: the pay profile's number.
            special_additional_deduction=(
                by_category.cumulative - year.additional
                if by_category is not None
                else employee.special_additional_deduction
            ),
            additional_deductions=by_category,
            prior=year,
            months_employed=tax.months_employed(hire_date=employee.hire_date, month=self.month),
            tax_month=self.month.month,
            withholding_option=options.get(employee.pk, WithholdingOption.STANDARD.value),
        )
