"""Computing one payslip: pure functions over already-loaded inputs, no database access.

Order of a payslip: the structure's components in their order (each formula sees the variables and the rounded
amounts of the components above it), then the system lines: corrections of earlier months, social insurance and
housing fund (employee and employer parts, from the city's policy), and income tax by the cumulative method.

Social insurance is one line per type (pension, medical, unemployment; the employer's also work injury), as the
withholding return declares it, each rounded on its own by the policy's rule (to the cent or to the yuan, half up);
the payslip's totals (`social_insurance`, `employer_social_insurance`) are the sums of those rounded lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shop_ops.exceptions import ShopOpsError

from . import tax
from .choices import ComponentKind, InsuranceRounding, SystemLine
from .deductions import AdditionalDeductions
from .formula import Formula, FormulaError, format_value, is_identifier, parse
from .money import CENT, MAX_INPUT_AMOUNT, YUAN, ZERO, round_money, round_to

# The names a formula may use besides earlier components. Values come from payroll.calculation.
VARIABLES: dict[str, str] = {
    "base": _("monthly base salary (pay profile; the role's pay grade minimum without one)"),
    "working_days": _("working days in the month"),
    "days_worked": _("days worked (attendance; all working days while employed without an entry)"),
    "unpaid_leave_days": _("unpaid leave days"),
    "bonus": _("sum of the month's bonuses"),
    "penalty": _("sum of the month's penalties"),
    "completion_rate": _("checklist completion rate, 0 to 1 (1 when nothing was due)"),
    "sales": _("company sales of the month"),
    "gross_profit": _("company gross profit of the month"),
    "team_sales": _("sales of the employee's department"),
    "team_gross_profit": _("gross profit of the employee's department"),
    "profit_pool": _("the sales profit pool: the pool rules' share of company gross profit (0 when it is negative)"),
    "pool_headcount": _("people this month whose structure shares the profit pool, to split it equally"),
}

KINDS = tuple(ComponentKind.values)

# What a payslip calls each name a formula may read, in a few words ("出勤天数"): the formulas read to the person paid
# in their language, never days_worked. Components are called by their own names.
_WORDS = "a name in a payslip's formula"
NAMES_IN_WORDS: dict[str, str] = {
    "base": pgettext_lazy(_WORDS, "Monthly base salary"),
    "working_days": pgettext_lazy(_WORDS, "Working days"),
    "days_worked": pgettext_lazy(_WORDS, "Days worked"),
    "unpaid_leave_days": pgettext_lazy(_WORDS, "Unpaid leave days"),
    "bonus": pgettext_lazy(_WORDS, "Bonuses"),
    "penalty": pgettext_lazy(_WORDS, "Penalties"),
    "completion_rate": pgettext_lazy(_WORDS, "Checklist completion rate"),
    "sales": pgettext_lazy(_WORDS, "Company sales"),
    "gross_profit": pgettext_lazy(_WORDS, "Company gross profit"),
    "team_sales": pgettext_lazy(_WORDS, "Department sales"),
    "team_gross_profit": pgettext_lazy(_WORDS, "Department gross profit"),
    "profit_pool": pgettext_lazy(_WORDS, "Profit pool"),
    "pool_headcount": pgettext_lazy(_WORDS, "People sharing the pool"),
    # The payroll rules' own lines read these.
    "corrections": pgettext_lazy(_WORDS, "Corrections of earlier months"),
    "contribution_base": pgettext_lazy(_WORDS, "Contribution base"),
    "ytd_tax": pgettext_lazy(_WORDS, "Cumulative tax"),
    "tax_withheld_before": pgettext_lazy(_WORDS, "Tax withheld in earlier months"),
}

# The name stored with a system line (a page shows the line's label in its own language, see PayslipLine.label).
SYSTEM_NAMES = {
    SystemLine.CORRECTION: "补发/补扣",
    SystemLine.SOCIAL_INSURANCE: "社保个人",
    SystemLine.PENSION: "养老保险个人",
    SystemLine.MEDICAL: "医疗保险个人",
    SystemLine.UNEMPLOYMENT: "失业保险个人",
    SystemLine.HOUSING_FUND: "公积金个人",
    SystemLine.INCOME_TAX: "个人所得税",
    SystemLine.EMPLOYER_SOCIAL_INSURANCE: "社保单位",
    SystemLine.EMPLOYER_PENSION: "养老保险单位",
    SystemLine.EMPLOYER_MEDICAL: "医疗保险单位",
    SystemLine.EMPLOYER_UNEMPLOYMENT: "失业保险单位",
    SystemLine.EMPLOYER_INJURY: "工伤保险单位",
    SystemLine.EMPLOYER_HOUSING_FUND: "公积金单位",
}

# The insurance and fund lines of a payslip in their order: (line code, the policy's rate, the base it applies to
# ("si" social insurance, "hf" housing fund), the payslip total it adds to).
CONTRIBUTIONS = (
    (SystemLine.PENSION, "pension_employee", "si", "social_insurance"),
    (SystemLine.MEDICAL, "medical_employee", "si", "social_insurance"),
    (SystemLine.UNEMPLOYMENT, "unemployment_employee", "si", "social_insurance"),
    (SystemLine.HOUSING_FUND, "housing_fund_employee", "hf", "housing_fund"),
    (SystemLine.EMPLOYER_PENSION, "pension_employer", "si", "employer_social_insurance"),
    (SystemLine.EMPLOYER_MEDICAL, "medical_employer", "si", "employer_social_insurance"),
    (SystemLine.EMPLOYER_UNEMPLOYMENT, "unemployment_employer", "si", "employer_social_insurance"),
    (SystemLine.EMPLOYER_INJURY, "injury_employer", "si", "employer_social_insurance"),
    (SystemLine.EMPLOYER_HOUSING_FUND, "housing_fund_employer", "hf", "employer_housing_fund"),
)
CONTRIBUTION_TOTALS = ("social_insurance", "housing_fund", "employer_social_insurance", "employer_housing_fund")
ROUNDING_UNITS = {InsuranceRounding.CENT: CENT, InsuranceRounding.YUAN: YUAN}


class ComponentError(ShopOpsError):
    """A component of a structure that cannot be saved: a bad code or formula. `row` is its 0-based position."""

    def __init__(self, message: str, *, row: int, field: str):
        super().__init__(message, field=field)
        self.row = row


class ComputationError(ShopOpsError):
    """One employee's payslip could not be computed; names the employee and the component."""

    def __init__(self, message: str, *, employee_id: int, component: str = ""):
        super().__init__(message)
        self.employee_id = employee_id
        self.component = component


@dataclass(frozen=True)
class CompiledComponent:
    order: int
    code: str
    name: str
    kind: str
    formula: Formula


@dataclass(frozen=True)
class ComponentSpec:
    code: str
    name: str
    kind: str
    formula: str


def compile_components(specs: Iterable[ComponentSpec]) -> list[CompiledComponent]:
    """Check and parse a structure's components in order; a component may use the variables and those above it."""
    names = set(VARIABLES)
    compiled = []
    for row, spec in enumerate(specs):
        code = (spec.code or "").strip()
        if not is_identifier(code):
            raise ComponentError(
                format_lazy(
                    _(
                        "Component code {code} must be lower-case letters, digits and _ (starting with a letter), "
                        "and not a function or keyword."
                    ),
                    code=repr(code),
                ),
                row=row,
                field="code",
            )
        if code in VARIABLES:
            raise ComponentError(
                format_lazy(_("Component code '{code}' is the name of a variable; choose another."), code=code),
                row=row,
                field="code",
            )
        if code in names:
            raise ComponentError(
                format_lazy(_("Component code '{code}' is used twice."), code=code), row=row, field="code"
            )
        if spec.kind not in ComponentKind.values:
            raise ComponentError(
                format_lazy(_("Unknown component kind {kind}."), kind=repr(spec.kind)), row=row, field="kind"
            )
        try:
            formula = parse(spec.formula, names=names)
        except FormulaError as error:
            raise ComponentError(error.for_component(code).message, row=row, field="formula") from None
        compiled.append(CompiledComponent(order=row + 1, code=code, name=spec.name, kind=spec.kind, formula=formula))
        names.add(code)
    return compiled


@dataclass(frozen=True)
class ContributionLine:
    """One insurance or housing fund line of a payslip: base bounds × the policy's rate for that type."""

    code: str
    total: str  # the payslip total it adds to (one of CONTRIBUTION_TOTALS)
    formula: Formula

    @property
    def kind(self) -> str:
        return ComponentKind.EMPLOYER_COST if self.total.startswith("employer_") else ComponentKind.DEDUCTION


@dataclass(frozen=True)
class PolicyFormulas:
    """The insurance policy's rules written as formulas, so a payslip explains them like any component: one line per
    type whose rate is not 0, and the rule each line's amount is rounded by."""

    lines: tuple[ContributionLine, ...]
    rounding: str = InsuranceRounding.CENT


def policy_formulas(policy) -> PolicyFormulas:
    def bounds(floor, ceiling):
        return f"min(max(contribution_base, {format(floor, 'f')}), {format(ceiling, 'f')})"

    bases = {
        "si": bounds(policy.si_base_floor, policy.si_base_ceiling),
        "hf": bounds(policy.hf_base_floor, policy.hf_base_ceiling),
    }
    lines = []
    for code, rate_field, base, total in CONTRIBUTIONS:
        rate = getattr(policy, rate_field)
        if not rate:
            continue  # a type the city does not levy (or not on this side): no line rather than a line of 0.00
        formula = parse(f"{bases[base]} * {format(rate.normalize(), 'f')}", names={"contribution_base"})
        lines.append(ContributionLine(code=str(code), total=total, formula=formula))  # plain text: fingerprinted
    return PolicyFormulas(lines=tuple(lines), rounding=policy.rounding)


@dataclass
class EmployeeMonth:
    """Everything one employee's payslip needs, loaded in bulk by payroll.calculation."""

    employee_id: int
    components: list[CompiledComponent]
    policy: PolicyFormulas
    variables: dict[str, Decimal]
    contribution_base: Decimal
    corrections: Decimal
    special_additional_deduction: Decimal  # this month's (the tax adds it to the earlier months')
    # By category (payroll.deductions), for employees who declared them; None: the pay profile's single number.
    additional_deductions: AdditionalDeductions | None
    prior: tax.YearToDate
    months_employed: int
    tax_month: int  # the month's number in its tax year (1-12)
    withholding_option: str  # payroll.choices.WithholdingOption: how the basic deduction counts


@dataclass
class ComputedLine:
    order: int
    code: str
    name: str
    kind: str
    is_system: bool
    formula: str
    inputs: dict[str, str]
    exact: str
    amount: Decimal


@dataclass
class ComputedPayslip:
    employee_id: int
    lines: list[ComputedLine] = field(default_factory=list)
    gross_pay: Decimal = ZERO
    deductions: Decimal = ZERO
    social_insurance: Decimal = ZERO
    housing_fund: Decimal = ZERO
    special_additional_deduction: Decimal = ZERO
    taxable_income: Decimal = ZERO
    income_tax: Decimal = ZERO
    net_pay: Decimal = ZERO
    employer_social_insurance: Decimal = ZERO
    employer_housing_fund: Decimal = ZERO
    employer_other: Decimal = ZERO
    benefits: Decimal = ZERO
    employer_cost: Decimal = ZERO
    ytd_taxable: Decimal = ZERO
    ytd_tax: Decimal = ZERO
    working_days: Decimal = ZERO
    days_worked: Decimal = ZERO
    months_employed: int = 0

    TOTALS = (
        "gross_pay",
        "deductions",
        "social_insurance",
        "housing_fund",
        "special_additional_deduction",
        "taxable_income",
        "income_tax",
        "net_pay",
        "employer_social_insurance",
        "employer_housing_fund",
        "employer_other",
        "benefits",
        "employer_cost",
        "ytd_taxable",
        "ytd_tax",
    )

    def totals(self) -> dict[str, Decimal]:
        return {name: getattr(self, name) for name in self.TOTALS}


def _evaluate(formula: Formula, env: dict[str, Decimal], *, employee_id: int, code: str) -> Decimal:
    try:
        value = formula.evaluate(env)
    except FormulaError as error:
        raise ComputationError(error.for_component(code).message, employee_id=employee_id, component=code) from None
    if abs(value) > MAX_INPUT_AMOUNT:
        raise ComputationError(
            format_lazy(
                _("{code}: the result {value} is beyond the allowed {limit}"),
                code=code,
                value=format_value(value),
                limit=format_value(MAX_INPUT_AMOUNT),
            ),
            employee_id=employee_id,
            component=code,
        )
    return value


def _line(order, code, name, kind, formula: Formula, env, exact: Decimal, amount: Decimal, system=False):
    return ComputedLine(
        order=order,
        code=code,
        name=name,
        kind=kind,
        is_system=system,
        formula=formula.source if isinstance(formula, Formula) else formula,
        inputs={name: str(env[name]) for name in formula.names} if isinstance(formula, Formula) else env,
        exact=str(exact),
        amount=amount,
    )


def additional_inputs(additional: AdditionalDeductions | None) -> dict:
    """The special additional deductions by category as the tax line keeps them for the payslip's explanation:
    each category this month and cumulatively, the opening balance's part and the first month counted."""
    if additional is None:
        return {}
    return {
        "additional_by_category": [
            {"category": c.category, "month": str(c.month), "cumulative": str(c.cumulative)}
            for c in additional.categories
        ],
        "additional_opening": str(additional.opening),
        "additional_first_month": str(additional.first_month),
    }


def compute_payslip(month: EmployeeMonth) -> ComputedPayslip:
    """The payslip of one employee for one month; raises ComputationError naming the component at fault."""
    slip = ComputedPayslip(
        employee_id=month.employee_id,
        working_days=month.variables["working_days"],
        days_worked=month.variables["days_worked"],
        months_employed=month.months_employed,
    )
    env = dict(month.variables)
    sums = dict.fromkeys(KINDS, ZERO)
    order = 0
    for component in month.components:
        exact = _evaluate(component.formula, env, employee_id=month.employee_id, code=component.code)
        amount = round_money(exact)
        order += 1
        slip.lines.append(
            _line(order, component.code, component.name, component.kind, component.formula, env, exact, amount)
        )
        env[component.code] = amount
        sums[component.kind] += amount

    if month.corrections:
        order += 1
        slip.lines.append(
            _line(
                order,
                SystemLine.CORRECTION,
                SYSTEM_NAMES[SystemLine.CORRECTION],
                ComponentKind.EARNING,
                "corrections",
                {"corrections": str(month.corrections)},
                month.corrections,
                month.corrections,
                system=True,
            )
        )
        sums[ComponentKind.EARNING] += month.corrections

    insurance_env = {"contribution_base": month.contribution_base}
    contributions = dict.fromkeys(CONTRIBUTION_TOTALS, ZERO)
    unit = ROUNDING_UNITS[month.policy.rounding]
    for contribution in month.policy.lines:
        exact = _evaluate(contribution.formula, insurance_env, employee_id=month.employee_id, code=contribution.code)
        amount = round_to(exact, unit)
        contributions[contribution.total] += amount
        order += 1
        slip.lines.append(
            _line(
                order,
                contribution.code,
                SYSTEM_NAMES[contribution.code],
                contribution.kind,
                contribution.formula,
                insurance_env,
                exact,
                amount,
                system=True,
            )
        )

    slip.gross_pay = sums[ComponentKind.EARNING]
    slip.deductions = sums[ComponentKind.DEDUCTION]
    slip.benefits = sums[ComponentKind.BENEFIT]
    slip.employer_other = sums[ComponentKind.EMPLOYER_COST]
    for total, amount in contributions.items():
        setattr(slip, total, amount)
    slip.special_additional_deduction = month.special_additional_deduction
    slip.taxable_income = slip.gross_pay - slip.deductions

    withholding = tax.withhold(
        prior=month.prior,
        income=slip.taxable_income,
        special=slip.social_insurance + slip.housing_fund,
        additional=month.special_additional_deduction,
        basic=tax.basic_deduction(
            option=month.withholding_option, months_employed=month.months_employed, tax_month=month.tax_month
        ),
    )
    slip.income_tax = withholding.tax
    slip.ytd_taxable = withholding.ytd_taxable
    slip.ytd_tax = withholding.withheld_before + withholding.tax
    order += 1
    slip.lines.append(
        _line(
            order,
            SystemLine.INCOME_TAX,
            SYSTEM_NAMES[SystemLine.INCOME_TAX],
            ComponentKind.DEDUCTION,
            tax.TAX_FORMULA,
            # The option is a word among the numbers: the payslip names the basic deduction's rule by it.
            {name: str(value) for name, value in withholding.as_inputs().items()}
            | {"withholding_option": month.withholding_option}
            | additional_inputs(month.additional_deductions),
            withholding.tax,
            withholding.tax,
            system=True,
        )
    )

    slip.net_pay = slip.gross_pay - slip.deductions - slip.social_insurance - slip.housing_fund - slip.income_tax
    if slip.net_pay < 0:
        raise ComputationError(
            format_lazy(
                _(
                    "net pay would be negative ({amount}): deductions exceed pay; "
                    "reduce the penalties or carry part of them to a later month"
                ),
                amount=format_value(round_money(slip.net_pay)),
            ),
            employee_id=month.employee_id,
            component="net_pay",
        )
    slip.employer_cost = (
        slip.gross_pay
        - slip.deductions
        + slip.employer_social_insurance
        + slip.employer_housing_fund
        + slip.employer_other
        + slip.benefits
    )
    return slip
