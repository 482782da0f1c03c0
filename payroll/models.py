"""Payroll: salary structures and their formulas, the month's inputs, runs, payslips and their explained lines."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from roles.models import Department, Employee, Role
from shop_ops.encryption import EncryptedCharField
from shop_ops.i18n import in_language_text

from .choices import (
    LOCKED_STATUSES,
    AdjustmentKind,
    ComponentKind,
    DeductionCategory,
    ExportStatus,
    InsuranceRounding,
    RunStatus,
    SystemLine,
    WithholdingOption,
)
from .money import MAX_INPUT_AMOUNT, MONEY

RATE = {"max_digits": 6, "decimal_places": 4, "validators": [MinValueValidator(0), MaxValueValidator(1)]}
USER = settings.AUTH_USER_MODEL


def _by(name: str, related: str):
    return models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name=related, verbose_name=name
    )


def _first_of_month(field: str) -> Q:
    return Q(**{f"{field}__day": 1})


def month_label(month) -> str:
    return month.strftime("%Y-%m") if month else ""


INSURANCE_RATE_FIELDS = (
    "pension_employee",
    "pension_employer",
    "medical_employee",
    "medical_employer",
    "unemployment_employee",
    "unemployment_employer",
    "injury_employer",
    "housing_fund_employee",
    "housing_fund_employer",
)


class InsurancePolicy(models.Model):
    """Social insurance (社保) and housing fund (公积金) of one city: rates and contribution base bounds."""

    city = models.CharField(_("city"), max_length=50, unique=True)
    is_default = models.BooleanField(_("default policy"), default=False)
    si_base_floor = models.DecimalField(_("social insurance base floor"), **MONEY)
    si_base_ceiling = models.DecimalField(_("social insurance base ceiling"), **MONEY)
    hf_base_floor = models.DecimalField(_("housing fund base floor"), **MONEY)
    hf_base_ceiling = models.DecimalField(_("housing fund base ceiling"), **MONEY)
    pension_employee = models.DecimalField(_("pension, employee (养老)"), **RATE)
    pension_employer = models.DecimalField(_("pension, employer"), **RATE)
    medical_employee = models.DecimalField(_("medical, employee (医疗)"), **RATE)
    medical_employer = models.DecimalField(_("medical incl. maternity, employer"), **RATE)
    unemployment_employee = models.DecimalField(_("unemployment, employee (失业)"), **RATE)
    unemployment_employer = models.DecimalField(_("unemployment, employer"), **RATE)
    injury_employer = models.DecimalField(_("work injury, employer (工伤)"), **RATE)
    housing_fund_employee = models.DecimalField(_("housing fund, employee (公积金)"), **RATE)
    housing_fund_employer = models.DecimalField(_("housing fund, employer"), **RATE)
    rounding = models.CharField(
        _("rounding"),
        max_length=10,
        choices=InsuranceRounding.choices,
        default=InsuranceRounding.CENT,
        help_text=_("How each insurance and housing fund amount is rounded, each type on its own."),
    )
    updated_by = _by(_("updated by"), "+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["city"]
        verbose_name = _("insurance policy")
        verbose_name_plural = _("insurance policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="one_default_policy",
                violation_error_message=_("Another policy is already the default."),
            ),
            models.CheckConstraint(
                condition=Q(si_base_floor__gte=0, si_base_floor__lte=F("si_base_ceiling")),
                name="policy_si_floor_le_ceiling",
                violation_error_message=_("The social insurance floor must be between 0 and the ceiling."),
            ),
            models.CheckConstraint(
                condition=Q(hf_base_floor__gte=0, hf_base_floor__lte=F("hf_base_ceiling")),
                name="policy_hf_floor_le_ceiling",
                violation_error_message=_("The housing fund floor must be between 0 and the ceiling."),
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0, f"{name}__lte": Decimal("0.5")}),
                    name=f"policy_{name}_0_to_half",
                    violation_error_message=_("A rate must be between 0 and 0.5 (a half)."),
                )
                for name in INSURANCE_RATE_FIELDS
            ],
            models.CheckConstraint(
                condition=Q(rounding__in=InsuranceRounding.values),
                name="policy_rounding_valid",
                violation_error_message=_("Not a valid rounding rule."),
            ),
        ]

    def __str__(self) -> str:
        return self.city

    def get_absolute_url(self) -> str:
        return reverse("payroll:insurance-list") + f"#policy-{self.pk}"


# The bounds of a pay profile's amounts: the constraints below guarantee them, the form says them at the field.
PROFILE_LIMITS = {
    "base_salary": MAX_INPUT_AMOUNT,
    "contribution_base": MAX_INPUT_AMOUNT,
    "special_additional_deduction": Decimal("100000"),
}


class PayProfile(models.Model):
    """An employee's pay settings: base salary within the role's pay grade, contribution base, tax deductions."""

    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, related_name="pay_profile", verbose_name=_("employee")
    )
    base_salary = models.DecimalField(_("monthly base salary (底薪)"), **MONEY)
    contribution_base = models.DecimalField(
        _("social insurance base"),
        null=True,
        blank=True,
        help_text=_("Empty: the base salary, kept within the city's floor and ceiling."),
        **MONEY,
    )
    special_additional_deduction = models.DecimalField(
        _("special additional deductions per month (专项附加扣除)"), default=Decimal("0.00"), **MONEY
    )
    insurance_policy = models.ForeignKey(
        InsurancePolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("insurance policy"),
        help_text=_("Empty: the default policy."),
    )
    updated_by = _by(_("updated by"), "+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("pay profile")
        verbose_name_plural = _("pay profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(base_salary__gte=0, base_salary__lte=PROFILE_LIMITS["base_salary"]),
                name="profile_base_in_bounds",
                violation_error_message=_("The base salary must be between 0.00 and 10,000,000.00."),
            ),
            models.CheckConstraint(
                condition=Q(contribution_base__isnull=True)
                | Q(contribution_base__gte=0, contribution_base__lte=PROFILE_LIMITS["contribution_base"]),
                name="profile_contribution_base_in_bounds",
                violation_error_message=_("The contribution base must be empty or between 0.00 and 10,000,000.00."),
            ),
            models.CheckConstraint(
                condition=Q(
                    special_additional_deduction__gte=0,
                    special_additional_deduction__lte=PROFILE_LIMITS["special_additional_deduction"],
                ),
                name="profile_additional_deduction_in_bounds",
                violation_error_message=_("The special additional deductions must be between 0.00 and 100,000.00."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee}"

    def get_absolute_url(self) -> str:
        return reverse("payroll:profile-list") + "?" + urlencode({"q": self.employee.employee_number})


class SalaryStructure(models.Model):
    """The pay rule of a role, or of one employee (an override that wins over their role's structure)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    role = models.OneToOneField(
        Role,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="salary_structure",
        verbose_name=_("role"),
    )
    employee = models.OneToOneField(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="salary_structure",
        verbose_name=_("employee (override)"),
    )
    created_by = _by(_("created by"), "+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["code"]
        verbose_name = _("salary structure")
        verbose_name_plural = _("salary structures")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__isnull=False, employee__isnull=True) | Q(role__isnull=True, employee__isnull=False),
                name="structure_for_role_xor_employee",
                violation_error_message=_("A salary structure belongs to a role or to one employee, not both."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("payroll:structure-detail", kwargs={"pk": self.pk})


class StructureVersion(models.Model):
    """The ordered components of a structure from a month on. A version used by a locked run never changes."""

    structure = models.ForeignKey(
        SalaryStructure, on_delete=models.CASCADE, related_name="versions", verbose_name=_("structure")
    )
    effective_from = models.DateField(_("effective from (month)"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = _by(_("created by"), "+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["structure", "-effective_from"]
        verbose_name = _("structure version")
        verbose_name_plural = _("structure versions")
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "effective_from"],
                name="one_version_per_structure_month",
                violation_error_message=_("This structure already has a version from that month."),
            ),
            models.CheckConstraint(
                condition=_first_of_month("effective_from"),
                name="version_starts_on_first",
                violation_error_message=_("A version starts on the first day of a month."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.structure} {month_label(self.effective_from)}"


class Component(models.Model):
    """One line of a structure: an earning, deduction, employer cost or benefit, computed by its formula."""

    version = models.ForeignKey(
        StructureVersion, on_delete=models.CASCADE, related_name="components", verbose_name=_("version")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.CharField(_("code"), max_length=40, help_text=_("Lower-case name other formulas use."))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ComponentKind.choices)
    formula = models.CharField(_("formula"), max_length=500)

    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("component")
        verbose_name_plural = _("components")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"],
                name="component_code_unique_in_version",
                violation_error_message=_("Each component code may appear only once."),
            ),
            models.UniqueConstraint(
                fields=["version", "order"],
                name="component_order_unique_in_version",
                violation_error_message=_("Each component needs its own place in the order."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ComponentKind.values),
                name="component_kind_valid",
                violation_error_message=_("Choose a valid component kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} = {self.formula}"


class SalesFigure(models.Model):
    """A month's sales and gross profit of one department (shop), entered or imported by finance."""

    month = models.DateField(_("month"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department"))
    sales = models.DecimalField(_("sales (销售额)"), **MONEY)
    gross_profit = models.DecimalField(_("gross profit (毛利)"), **MONEY)
    entered_by = _by(_("entered by"), "+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-month", "department__sort_order"]
        verbose_name = _("sales figure")
        verbose_name_plural = _("sales figures")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "department"],
                name="one_sales_figure_per_department_month",
                violation_error_message=_("This department already has sales figures for that month."),
            ),
            models.CheckConstraint(
                condition=_first_of_month("month"),
                name="sales_month_is_first",
                violation_error_message=_("A month is stored as its first day."),
            ),
            models.CheckConstraint(
                condition=Q(sales__gte=0, sales__lte=Decimal("1000000000")),
                name="sales_in_bounds",
                violation_error_message=_("Sales must be between 0.00 and 1,000,000,000.00."),
            ),
            models.CheckConstraint(
                condition=Q(gross_profit__gte=Decimal("-1000000000"), gross_profit__lte=F("sales")),
                name="gross_profit_at_most_sales",
                violation_error_message=_("Gross profit cannot exceed sales."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} {month_label(self.month)}"


class ProfitPoolRule(models.Model):
    """A department's profit pool: a share of the company's gross profit (the seeds: about 40% to sales)."""

    department = models.OneToOneField(
        Department, on_delete=models.PROTECT, related_name="profit_pool_rule", verbose_name=_("department")
    )
    rate = models.DecimalField(_("share of company gross profit"), **RATE)
    updated_by = _by(_("updated by"), "+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("profit pool rule")
        verbose_name_plural = _("profit pool rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lte=1),
                name="pool_rate_0_to_1",
                violation_error_message=_("The share must be between 0 and 1."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.department}: {self.rate:.0%}"

    def get_absolute_url(self) -> str:
        return reverse("payroll:pool-rule-list")


class VarianceThreshold(models.Model):
    """The shop's rule for the changes from last month that finance must check before approving a month (one row):
    a change is flagged when it is at least `amount` in money and at least `percent` of last month's amount."""

    percent = models.DecimalField(
        _("change in per cent"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("20.0"),
        help_text=_("0 to 1000; 0 flags by the amount alone."),
    )
    amount = models.DecimalField(
        _("change in money"), default=Decimal("500.00"), help_text=_("0 flags by the per cent alone."), **MONEY
    )
    updated_by = _by(_("updated by"), "+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("change threshold")
        verbose_name_plural = _("change thresholds")
        constraints = [
            models.CheckConstraint(
                condition=Q(id=1), name="one_variance_threshold", violation_error_message=_("There is one threshold.")
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=1000),
                name="variance_percent_0_to_1000",
                violation_error_message=_("The per cent must be between 0 and 1000."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0, amount__lte=MAX_INPUT_AMOUNT),
                name="variance_amount_in_range",
                violation_error_message=_("The amount must be between 0 and 10,000,000.00."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} / {self.percent}%"

    def get_absolute_url(self) -> str:
        return reverse("payroll:variance-threshold")


class Attendance(models.Model):
    """Days worked in a month; without a row an employee counts as present every working day they were employed."""

    month = models.DateField(_("month"))
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+", verbose_name=_("employee"))
    working_days = models.DecimalField(_("working days in the month"), max_digits=4, decimal_places=1)
    days_worked = models.DecimalField(_("days worked"), max_digits=4, decimal_places=1)
    unpaid_leave_days = models.DecimalField(
        _("unpaid leave days"), max_digits=4, decimal_places=1, default=Decimal("0")
    )
    entered_by = _by(_("entered by"), "+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-month", "employee__employee_number"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "employee"],
                name="one_attendance_per_employee_month",
                violation_error_message=_("This employee already has attendance for that month."),
            ),
            models.CheckConstraint(
                condition=_first_of_month("month"),
                name="attendance_month_is_first",
                violation_error_message=_("A month is stored as its first day."),
            ),
            models.CheckConstraint(
                condition=Q(working_days__gt=0, working_days__lte=31),
                name="attendance_working_days_1_to_31",
                violation_error_message=_("The working days must be more than 0 and at most 31."),
            ),
            models.CheckConstraint(
                condition=Q(days_worked__gte=0, unpaid_leave_days__gte=0)
                & Q(days_worked__lte=F("working_days") - F("unpaid_leave_days")),
                name="attendance_days_fit_the_month",
                violation_error_message=_("Days worked plus unpaid leave cannot exceed the working days."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {month_label(self.month)}"


class Adjustment(models.Model):
    """A bonus or penalty for a month with its reason, or a correction of an earlier, locked month."""

    month = models.DateField(_("month"))
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+", verbose_name=_("employee"))
    kind = models.CharField(_("kind"), max_length=20, choices=AdjustmentKind.choices)
    amount = models.DecimalField(
        _("amount"), help_text=_("Bonuses and penalties are positive; a correction may be negative."), **MONEY
    )
    reason = models.CharField(_("reason"), max_length=200)
    corrects_month = models.DateField(_("corrects month"), null=True, blank=True)
    entered_by = _by(_("entered by"), "+")
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["-month", "employee__employee_number", "created_at"]
        verbose_name = _("bonus or penalty")
        verbose_name_plural = _("bonuses and penalties")
        constraints = [
            models.CheckConstraint(
                condition=_first_of_month("month"),
                name="adjustment_month_is_first",
                violation_error_message=_("A month is stored as its first day."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AdjustmentKind.values),
                name="adjustment_kind_valid",
                violation_error_message=_("Choose bonus, penalty or correction."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=[AdjustmentKind.BONUS, AdjustmentKind.PENALTY], amount__gt=0)
                    | Q(kind=AdjustmentKind.CORRECTION, corrects_month__lt=F("month"))
                )
                & Q(amount__lte=MAX_INPUT_AMOUNT, amount__gte=-MAX_INPUT_AMOUNT)
                & ~Q(amount=0),
                name="adjustment_amount_in_bounds",
                violation_error_message=_(
                    "Bonuses and penalties must be positive; a correction must name an earlier month."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="adjustment_has_reason", violation_error_message=_("Give a reason.")
            ),
        ]
        indexes = [models.Index(fields=["month", "employee"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.employee} {month_label(self.month)}"


class TaxOpeningBalance(models.Model):
    """An employee's tax year: figures from before ShopOps ran their payroll this year (adopting it mid-year), so the
    cumulative withholding starts from the right totals, and the withholding option finance chose for the year."""

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+", verbose_name=_("employee"))
    year = models.PositiveSmallIntegerField(_("tax year"))
    income = models.DecimalField(_("cumulative income"), **MONEY)
    special_deductions = models.DecimalField(_("cumulative special deductions (insurance, fund)"), **MONEY)
    additional_deductions = models.DecimalField(_("cumulative special additional deductions"), **MONEY)
    tax_withheld = models.DecimalField(_("tax withheld"), **MONEY)
    withholding_option = models.CharField(
        _("basic deduction"),
        max_length=20,
        choices=WithholdingOption.choices,
        default=WithholdingOption.STANDARD,
        help_text=_(
            "How the cumulative basic deduction counts this year: ask the employee, who confirms they qualify."
        ),
    )
    entered_by = _by(_("entered by"), "+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-year", "employee__employee_number"]
        verbose_name = _("tax opening balance")
        verbose_name_plural = _("tax opening balances")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "year"],
                name="one_tax_opening_per_employee_year",
                violation_error_message=_("This employee already has opening figures for that tax year."),
            ),
            models.CheckConstraint(
                condition=Q(special_deductions__gte=0, additional_deductions__gte=0, tax_withheld__gte=0),
                name="tax_opening_not_negative",
                violation_error_message=_("Deductions and tax withheld cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("payroll:tax-opening-list") + f"?year={self.year}"


class SpecialDeduction(models.Model):
    """One special additional deduction (专项附加扣除) an employee declared: a category from a start month, to an end
    month or open-ended, with the share or amount its rule needs (payroll.deductions: amounts, caps, the rules).
    Employees with entries are taxed by them; those without keep the pay profile's single monthly number."""

    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="special_deductions", verbose_name=_("employee")
    )
    category = models.CharField(_("deduction category"), max_length=30, choices=DeductionCategory.choices)
    start_month = models.DateField(_("start month"))
    end_month = models.DateField(_("end month"), null=True, blank=True, help_text=_("Empty: until further notice."))
    share = models.DecimalField(
        _("share (分摊比例)"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Children's education and infant care: 1 (100%) or 0.5 (50%, each parent)."),
    )
    monthly_amount = models.DecimalField(
        _("monthly amount (每月扣除金额)"),
        null=True,
        blank=True,
        help_text=_(
            "Housing rent: 1,500, 1,100 or 800 by the city. Elderly support: 3,000 for an only child, otherwise the "
            "agreed part, at most 1,500. Personal pension: the monthly contribution. Others: empty (the standard)."
        ),
        **MONEY,
    )
    note = models.CharField(_("note (备注)"), max_length=200, blank=True, help_text=_("E.g. the child's name."))
    entered_by = _by(_("entered by"), "+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["employee__employee_number", "category", "start_month"]
        verbose_name = _("special additional deduction")
        verbose_name_plural = _("special additional deductions")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=DeductionCategory.values),
                name="deduction_category_valid",
                violation_error_message=_("Choose one of the deduction categories."),
            ),
            models.CheckConstraint(
                condition=_first_of_month("start_month") & (Q(end_month__isnull=True) | _first_of_month("end_month")),
                name="deduction_months_are_first",
                violation_error_message=_("A month is stored as its first day."),
            ),
            models.CheckConstraint(
                condition=Q(end_month__isnull=True) | Q(end_month__gte=F("start_month")),
                name="deduction_ends_after_start",
                violation_error_message=_("The end month cannot be before the start month."),
            ),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gt=0, share__lte=1),
                name="deduction_share_0_to_1",
                violation_error_message=_("A share is more than 0 and at most 1."),
            ),
            models.CheckConstraint(
                condition=Q(monthly_amount__isnull=True)
                | Q(monthly_amount__gt=0, monthly_amount__lte=Decimal("12000")),
                name="deduction_amount_in_bounds",
                violation_error_message=_("A monthly amount is more than 0.00 and at most 12,000.00."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.get_category_display()} {month_label(self.start_month)}"

    def get_absolute_url(self) -> str:
        return reverse("payroll:deduction-list") + "?" + urlencode({"q": self.employee.employee_number})

    @property
    def start_label(self) -> str:
        return month_label(self.start_month)

    @property
    def end_label(self) -> str:
        return month_label(self.end_month)


class PayrollRun(models.Model):
    """The payroll of one month: computed by a Celery task (progress on this row), then approved and paid."""

    month = models.DateField(_("month"), unique=True)
    status = models.CharField(_("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.DRAFT)
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    total = models.PositiveIntegerField(_("employees"), default=0)
    done = models.PositiveIntegerField(_("computed"), default=0)
    error_message = models.TextField(_("error"), blank=True)
    error_employee = models.ForeignKey(
        Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("employee")
    )
    error_component = models.CharField(_("component"), max_length=40, blank=True)
    started_by = _by(_("started by"), "+")
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    approved_by = _by(_("approved by"), "+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_by = _by(_("marked paid by"), "+")
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # What the computation read (payroll.fingerprint): one digest, and one per kind of input over all employees;
    # approval recomputes them from today's inputs and refuses a run whose inputs changed since. NULL (not ""): runs
    # computed before fingerprints were kept, and SQLite adds a nullable column without rebuilding the table, which
    # would drop the read-only triggers of migration 0002.
    inputs_fingerprint = models.CharField(_("inputs fingerprint"), max_length=64, null=True, blank=True)  # noqa: DJ001
    inputs_by_kind = models.JSONField(_("inputs fingerprint by kind"), null=True, blank=True)

    history = HistoricalRecords(
        excluded_fields=["total", "done", "heartbeat_at", "created_at", "inputs_fingerprint", "inputs_by_kind"]
    )

    class Meta:
        ordering = ["-month"]
        verbose_name = _("payroll run")
        verbose_name_plural = _("payroll runs")
        constraints = [
            models.CheckConstraint(
                condition=_first_of_month("month"),
                name="run_month_is_first",
                violation_error_message=_("A month is stored as its first day."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values),
                name="run_status_valid",
                violation_error_message=_("Not a valid payroll status."),
            ),
            models.CheckConstraint(
                condition=Q(done__lte=F("total")),
                name="run_done_le_total",
                violation_error_message=_("Progress cannot exceed the total."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=LOCKED_STATUSES) | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="locked_run_was_approved",
                violation_error_message=_("An approved or paid payroll needs who approved it and when."),
            ),
            models.CheckConstraint(
                condition=~Q(status=RunStatus.PAID) | Q(paid_at__isnull=False, paid_by__isnull=False),
                name="paid_run_has_payment",
                violation_error_message=_("A paid payroll needs who paid it and when."),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Payroll')} {self.label}"

    def get_absolute_url(self) -> str:
        return reverse("payroll:run-detail", kwargs={"month": self.label})

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATUSES

    @property
    def progress_percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0


_NET_PAY = F("gross_pay") - F("deductions") - F("social_insurance") - F("housing_fund") - F("income_tax")


class Payslip(models.Model):
    """One employee's pay for a run; the totals are sums of its lines, kept for lists, exports and tax."""

    # No index of its own: the unique (run, employee) index serves every lookup by run.
    run = models.ForeignKey(
        PayrollRun, on_delete=models.PROTECT, related_name="payslips", verbose_name=_("run"), db_index=False
    )
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="payslips", verbose_name=_("employee")
    )
    structure_version = models.ForeignKey(
        StructureVersion, on_delete=models.PROTECT, related_name="payslips", verbose_name=_("structure version")
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+", verbose_name=_("role"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department"))
    working_days = models.DecimalField(_("working days"), max_digits=4, decimal_places=1)
    days_worked = models.DecimalField(_("days worked"), max_digits=4, decimal_places=1)
    gross_pay = models.DecimalField(_("gross pay (应发)"), **MONEY)
    deductions = models.DecimalField(_("deductions (扣款)"), **MONEY)
    social_insurance = models.DecimalField(_("social insurance, employee"), **MONEY)
    housing_fund = models.DecimalField(_("housing fund, employee"), **MONEY)
    special_additional_deduction = models.DecimalField(_("special additional deduction"), **MONEY)
    taxable_income = models.DecimalField(_("taxable income this month"), **MONEY)
    income_tax = models.DecimalField(_("income tax (个税)"), **MONEY)
    net_pay = models.DecimalField(_("net pay (实发)"), **MONEY)
    employer_social_insurance = models.DecimalField(_("social insurance, employer"), **MONEY)
    employer_housing_fund = models.DecimalField(_("housing fund, employer"), **MONEY)
    employer_other = models.DecimalField(_("other employer costs"), **MONEY)
    benefits = models.DecimalField(_("non-cash benefits"), **MONEY)
    employer_cost = models.DecimalField(_("total employer cost"), **MONEY)
    ytd_taxable = models.DecimalField(_("cumulative taxable income"), **MONEY)
    ytd_tax = models.DecimalField(_("cumulative tax withheld"), **MONEY)
    months_employed = models.PositiveSmallIntegerField(_("months employed this year"))
    # The digest of this employee's inputs as computed (payroll.fingerprint), compared again at approval; NULL as on
    # the run.
    inputs_fingerprint = models.CharField(_("inputs fingerprint"), max_length=32, null=True, blank=True)  # noqa: DJ001
    # The employee's bank account as it was when the run was approved (encrypted like Employee.bank_account): the
    # bank-transfer sheet pays this one, so an account changed after approval cannot divert the salary. NULL until
    # the run is approved ("" when the employee had no account then).
    bank_account = EncryptedCharField(_("bank account at approval"), max_length=30, null=True, blank=True)
    # The name the account is paid to (户名), copied with it at approval: a name changed afterwards does not change
    # an approved month's transfers. NULL until approved.
    account_name = models.CharField(  # noqa: DJ001
        _("account name at approval"), max_length=100, null=True, blank=True
    )

    class Meta:
        ordering = ["run", "employee__employee_number"]
        verbose_name = _("payslip")
        verbose_name_plural = _("payslips")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "employee"],
                name="one_payslip_per_employee_per_run",
                violation_error_message=_("This employee already has a payslip in this payroll."),
            ),
            models.CheckConstraint(
                condition=Q(income_tax__gte=0, social_insurance__gte=0, housing_fund__gte=0, net_pay__gte=0),
                name="payslip_amounts_not_negative",
                violation_error_message=_("Payslip amounts cannot be negative."),
            ),
            # Within half a cent: SQLite compares decimals as floating point.
            models.CheckConstraint(
                condition=Q(
                    net_pay__gte=_NET_PAY - Value(Decimal("0.005")), net_pay__lte=_NET_PAY + Value(Decimal("0.005"))
                ),
                name="payslip_net_pay_adds_up",
                violation_error_message=_("The net pay must equal gross pay minus the deductions."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.run.label}"

    def get_absolute_url(self) -> str:
        return reverse("payroll:payslip-detail", kwargs={"pk": self.pk})


class PayslipLine(models.Model):
    """One explained line: its formula, the values it used, the exact result and the rounded amount."""

    # DO_NOTHING keeps deleting a run's payslips one fast statement: services delete the lines first. No index of
    # its own: the unique (payslip, order) index serves every lookup by payslip, one index less to fill per line.
    payslip = models.ForeignKey(
        Payslip, on_delete=models.DO_NOTHING, related_name="lines", verbose_name=_("payslip"), db_index=False
    )
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ComponentKind.choices)
    is_system = models.BooleanField(_("computed by payroll rules"), default=False)
    formula = models.CharField(_("formula"), max_length=500)
    inputs = models.JSONField(_("inputs"), default=dict)
    exact = models.CharField(_("exact result"), max_length=80)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["payslip", "order"]
        verbose_name = _("payslip line")
        verbose_name_plural = _("payslip lines")
        constraints = [
            models.UniqueConstraint(
                fields=["payslip", "order"],
                name="payslip_line_order_unique",
                violation_error_message=_("Each payslip line needs its own place in the order."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} = {self.amount}"

    @property
    def label(self) -> str:
        """The name a page shows: a line the payroll rules add reads in the page's language (its stored name was
        written once, when the run was computed); a component's name in the page's language when it was written in
        both ("底薪 Base pay")."""
        if self.is_system and self.code in SystemLine.values:
            return str(SystemLine(self.code).label)
        return in_language_text(self.name)


class PayrollExport(models.Model):
    """The workbook of a run, written by a Celery task (or at once for a small run) while the page polls the
    progress; the file is downloadable by finance only. It belongs to the run's computation it was written from
    (`attempt`): a run computed again makes it stale, and it is no longer offered."""

    run = models.ForeignKey(PayrollRun, on_delete=models.CASCADE, related_name="exports", verbose_name=_("run"))
    attempt = models.PositiveIntegerField(_("computation"))
    status = models.CharField(_("status"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    done = models.PositiveIntegerField(_("payslips written"), default=0)
    total = models.PositiveIntegerField(_("payslips"), default=0)
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(_("file"), upload_to="payroll/exports/%Y/%m/", max_length=200, blank=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last progress"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # First downloaded (page or API): a workbook taken away no longer waits on the finance start page.
    downloaded_at = models.DateTimeField(_("first downloaded at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payroll export")
        verbose_name_plural = _("payroll exports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values),
                name="payroll_export_status_valid",
                violation_error_message=_("Not a valid export status."),
            ),
            models.CheckConstraint(
                condition=Q(done__lte=F("total")),
                name="payroll_export_done_le_total",
                violation_error_message=_("Progress cannot exceed the total."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.DONE) | ~Q(file=""),
                name="payroll_export_done_has_file",
                violation_error_message=_("A finished export needs its file."),
            ),
            # One export at a time per computation of a run: asking again while one is written returns that one.
            models.UniqueConstraint(
                fields=["run", "attempt"],
                condition=Q(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]),
                name="one_open_export_per_run_attempt",
                violation_error_message=_("This payroll already has an export under way."),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Export')} {self.run.label} {self.status} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def is_current(self) -> bool:
        """Written from the run's latest computation (a rerun makes older files stale)."""
        return self.attempt == self.run.attempt

    @property
    def filename(self) -> str:
        return f"payroll-{self.run.label}.xlsx"
