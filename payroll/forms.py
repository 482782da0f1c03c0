from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from roles.models import Department, Employee
from shop_ops.widgets import MonthSelect

from .choices import AdjustmentKind, ComponentKind, DeductionCategory, WithholdingOption
from .models import PROFILE_LIMITS, InsurancePolicy, PayProfile, ProfitPoolRule, VarianceThreshold
from .money import MAX_INPUT_AMOUNT


class MonthField(forms.CharField):
    widget = MonthSelect

    def to_python(self, value):
        from .exceptions import PayrollError
        from .services import parse_month

        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except PayrollError as error:
            raise forms.ValidationError(error.message) from None


def money_field(label, minimum=Decimal("0"), **kwargs):
    return forms.DecimalField(
        label=label, max_digits=14, decimal_places=2, min_value=minimum, max_value=MAX_INPUT_AMOUNT * 100, **kwargs
    )


class StartRunForm(forms.Form):
    month = MonthField(label=_("Month"))


class PayslipFilterForm(forms.Form):
    month = MonthField(
        label=_("Month"),
        required=False,
        widget=MonthSelect(attrs={"aria-label": _("Month")}, empty_label=_("All months")),
    )


class SalesFigureForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.all(), label=_("Department"))
    sales = money_field(_("Sales (销售额)"))
    gross_profit = money_field(_("Gross profit (毛利)"), minimum=Decimal("-1000000000"))


class AdjustmentForm(forms.Form):
    employee = forms.ModelChoiceField(queryset=Employee.objects.current(), label=_("Employee"))
    kind = forms.ChoiceField(choices=AdjustmentKind.choices, label=_("Kind"))
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    corrects_month = MonthField(
        label=_("Corrects month (corrections only)"), required=False, widget=MonthSelect(months_ahead=-1)
    )


class AttendanceForm(forms.Form):
    employee = forms.ModelChoiceField(queryset=Employee.objects.current(), label=_("Employee"))
    days_worked = forms.DecimalField(label=_("Days worked"), max_digits=4, decimal_places=1, min_value=0)
    unpaid_leave_days = forms.DecimalField(
        label=_("Unpaid leave days"), max_digits=4, decimal_places=1, min_value=0, initial=0
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx) from the template"))


class ComponentForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(choices=ComponentKind.choices, label=_("Kind"))
    formula = forms.CharField(
        label=_("Formula"), max_length=500, widget=forms.Textarea(attrs={"class": "formula", "rows": 2, "cols": 40})
    )

    def has_changed(self):
        # The kind select always posts a value, so the blank extra row would look typed in and fail three
        # "required" checks; a row counts as filled in once a code, name or formula is typed.
        return bool(set(self.changed_data) - {"kind"})


ComponentFormSet = forms.formset_factory(ComponentForm, extra=1, can_delete=True, max_num=40, validate_max=True)


class VersionForm(forms.Form):
    effective_from = MonthField(label=_("Effective from (month)"), widget=MonthSelect(months_ahead=12))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class InstanceForm(forms.Form):
    """A plain form filled in from the instance a ServiceFormView edits (the service, not the form, saves it)."""

    not_from_instance: tuple[str, ...] = ()

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None:
            filled = forms.model_to_dict(instance, exclude=self.not_from_instance)
            kwargs["initial"] = {**filled, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.instance = instance


class InsurancePolicyForm(InstanceForm):
    """The policy's fields as the model defines them; uniqueness, bounds and the one default are the service's
    to check (with a message on the field), and the database's to guarantee."""

    not_from_instance = ("updated_by",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(InsurancePolicy, exclude=self.not_from_instance))


class PayProfileForm(forms.ModelForm):
    class Meta:
        model = PayProfile
        fields = ["base_salary", "contribution_base", "special_additional_deduction", "insurance_policy"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, high in PROFILE_LIMITS.items():  # the database's bounds, said at the field in the page's language
            self.fields[name].validators += [MinValueValidator(Decimal("0")), MaxValueValidator(high)]
        self.fields["special_additional_deduction"].help_text = _(
            "Used only while the employee has no special additional deductions by category."
        )
        role = self.instance.employee.role
        self.fields["base_salary"].help_text = _("Pay grade of %(role)s: %(low)s to %(high)s.") % {
            "role": role.title,
            "low": f"{role.pay_grade_min:,.2f}",
            "high": f"{role.pay_grade_max:,.2f}",
        }


class PoolRuleForm(forms.ModelForm):
    class Meta:
        model = ProfitPoolRule
        fields = ["rate"]
        help_texts = {"rate": _("A share between 0 and 1: 0.40 means 40 per cent of the company's gross profit.")}


class VarianceThresholdForm(forms.ModelForm):
    class Meta:
        model = VarianceThreshold
        fields = ["amount", "percent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].validators += [MinValueValidator(Decimal("0")), MaxValueValidator(MAX_INPUT_AMOUNT)]
        self.fields["percent"].validators += [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))]


class ApproveRunForm(forms.Form):
    """The approval page: when changes from last month are beyond the threshold, the approver ticks that they
    checked them (the service refuses otherwise)."""

    confirm_flagged = forms.BooleanField(required=False)


class TaxOpeningBalanceForm(InstanceForm):
    employee = forms.ModelChoiceField(queryset=Employee.objects.current(), label=_("Employee"))
    year = forms.IntegerField(label=_("Tax year"), min_value=2000, max_value=2100)
    income = money_field(_("Cumulative income"))
    special_deductions = money_field(_("Cumulative special deductions (insurance, housing fund)"))
    additional_deductions = money_field(_("Cumulative special additional deductions"))
    tax_withheld = money_field(_("Tax withheld"))
    withholding_option = forms.ChoiceField(
        label=_("Basic deduction"),
        choices=WithholdingOption.choices,
        initial=WithholdingOption.STANDARD,
        help_text=_(
            "2020 No. 13: the first wage income of the year (e.g. a graduate's first job). 2020 No. 19: employed "
            "here every month of last year with wages of at most 60,000. The employee confirms they qualify."
        ),
    )

    not_from_instance = ("entered_by",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:  # an edit replaces this employee's year: who and which year stay
            for name in ("employee", "year"):
                self.fields[name].disabled = True
        else:  # most people have nothing from before ShopOps: only the option to choose
            for name in ("income", "special_deductions", "additional_deductions", "tax_withheld"):
                self.fields[name].initial = Decimal("0.00")


class SpecialDeductionForm(InstanceForm):
    """One special additional deduction; its amounts and caps are the service's to check (payroll.deductions)."""

    employee = forms.ModelChoiceField(queryset=Employee.objects.current(), label=_("Employee"))
    category = forms.ChoiceField(label=_("Deduction category"), choices=DeductionCategory.choices)
    start_month = MonthField(label=_("Start month"), widget=MonthSelect(months_ahead=12))
    end_month = MonthField(
        label=_("End month"),
        required=False,
        widget=MonthSelect(months_ahead=12 * 20),
        help_text=_("Empty: until further notice."),
    )
    share = forms.DecimalField(
        label=_("Share (分摊比例)"),
        required=False,
        max_digits=5,
        decimal_places=4,
        min_value=0,
        max_value=1,
        help_text=_("Children's education and infant care: 1 (100%) or 0.5 (50%, each parent)."),
    )
    monthly_amount = forms.DecimalField(
        label=_("Monthly amount (每月扣除金额)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        max_value=Decimal("12000"),
        help_text=_(
            "Housing rent: 1,500, 1,100 or 800 by the city. Elderly support: 3,000 for an only child, otherwise the "
            "agreed part, at most 1,500. Personal pension: the monthly contribution. Others: empty (the standard)."
        ),
    )
    note = forms.CharField(
        label=_("Note (备注)"), max_length=200, required=False, help_text=_("E.g. the child's name.")
    )

    not_from_instance = ("entered_by",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None and self.instance.pk:  # an entry stays with its employee
            self.fields["employee"].disabled = True


class EndDeductionForm(forms.Form):
    end_month = MonthField(label=_("Last month deducted"), widget=MonthSelect(months_ahead=12))


class DeductionImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx) from the template"))
