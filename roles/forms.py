from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shop_ops.typed import plain_number
from shop_ops.widgets import DateInput, UnechoedTextInput

from .cadence import validate_cadence
from .models import Department, DutyTemplate, Employee, Holiday, Role
from .models.org import PERSONAL_NUMBER_FIELDS
from .services import DEPARTMENT_FIELDS, EMPLOYEE_FIELDS, ROLE_FIELDS

CODE_HELP = _("Latin letters, digits, - or _ (e.g. warehouse): the code is part of the page's web address.")
CODE_INVALID = _("Use only Latin letters, digits, - or _ in the code (e.g. warehouse), not Chinese characters.")


class _CodeAndEnglishName:
    """A department's or role's code says what it takes before it is refused, and the English name may be left
    empty by a Chinese-only shop: it then takes the Chinese one (the pages show the page language's name)."""

    english_field = ""
    chinese_field = ""

    def _adjust_fields(self):
        self.fields["code"].help_text = CODE_HELP
        self.fields["code"].error_messages["invalid"] = CODE_INVALID
        self.fields[self.english_field].required = False
        self.fields[self.english_field].help_text = _("Empty: the Chinese name is used.")

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get(self.english_field) or "").strip() and cleaned.get(self.chinese_field):
            cleaned[self.english_field] = cleaned[self.chinese_field]
        return cleaned


class DepartmentForm(_CodeAndEnglishName, forms.ModelForm):
    english_field, chinese_field = "name_en", "name_zh"

    class Meta:
        model = Department
        fields = ["code", "name_zh", "name_en", "description_zh", "description_en", "sort_order"]
        assert set(fields) == DEPARTMENT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._adjust_fields()


class RoleForm(_CodeAndEnglishName, forms.ModelForm):
    english_field, chinese_field = "title_en", "title_zh"

    class Meta:
        model = Role
        fields = [
            "department",
            "code",
            "title_zh",
            "title_en",
            "headcount",
            "reports_to",
            "pay_grade_min",
            "pay_grade_max",
            "access_group",
            "sort_order",
            "source",
        ]
        assert set(fields) == ROLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._adjust_fields()
        self.fields["department"].queryset = Department.objects.all()
        reports_to = Role.objects.select_related("department")
        if self.instance.pk:
            reports_to = reports_to.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = reports_to

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("pay_grade_min"), cleaned.get("pay_grade_max")
        if low is not None and high is not None and low > high:
            self.add_error("pay_grade_max", _("The maximum must not be below the minimum."))
        return cleaned


EMPLOYEE_FORM_FIELDS = [
    "employee_number",
    "full_name",
    "role",
    "hire_date",
    "leave_date",
    "status",
    "phone",
    "bank_account",
    "id_number",
]
assert set(EMPLOYEE_FORM_FIELDS) == EMPLOYEE_FIELDS


class EmployeeForm(forms.ModelForm):
    class Meta:
        model = Employee
        fields = EMPLOYEE_FORM_FIELDS
        widgets = {
            "hire_date": DateInput(),
            "leave_date": DateInput(),
            **{name: UnechoedTextInput(attrs={"autocomplete": "off"}) for name in PERSONAL_NUMBER_FIELDS},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.select_related("department")
        if self.instance.pk:
            # Personal numbers are never sent back to the browser; an empty box keeps the stored value.
            for name, masked in (
                ("bank_account", self.instance.bank_account_masked),
                ("id_number", self.instance.id_number_masked),
            ):
                self.initial[name] = ""
                self.fields[name].required = False
                self.fields[name].help_text = (
                    _("Stored: %(masked)s. Leave empty to keep it.") % {"masked": masked}
                    if masked
                    else _("None stored yet.")
                )

    def clean_bank_account(self):
        return plain_number(self.cleaned_data.get("bank_account"))

    def clean_id_number(self):
        return plain_number(self.cleaned_data.get("id_number"))

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for name in PERSONAL_NUMBER_FIELDS:
                if not cleaned.get(name):
                    cleaned[name] = getattr(self.instance, name)
        return cleaned

    def add_error(self, field, error):
        """Every error (the form's own or the service's) empties the personal-number boxes: say so beside the ones
        that were filled in, so nobody saves the form thinking the number was kept."""
        super().add_error(field, error)
        for name in PERSONAL_NUMBER_FIELDS:
            if self.data.get(self.add_prefix(name), "").strip():
                # The bound field copied the help text when the form was cleaned: set it there.
                self[name].help_text = _("Not shown again after an error, to keep it private: enter it again.")


class NewEmployeeForm(EmployeeForm):
    username = forms.CharField(label=_("login name"), max_length=150)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput, min_length=8)

    class Meta(EmployeeForm.Meta):
        fields = ["username", "password", *EMPLOYEE_FORM_FIELDS]


class DutyForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"),
        required=False,
        coerce=int,
        choices=[
            (1, _("Mon")),
            (2, _("Tue")),
            (3, _("Wed")),
            (4, _("Thu")),
            (5, _("Fri")),
            (6, _("Sat")),
            (7, _("Sun")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = DutyTemplate
        fields = [
            "text_zh",
            "text_en",
            "cadence",
            "weekdays",
            "interval_days",
            "anchor_date",
            "month_day",
            "last_day_of_month",
            "deadline_working_days",
            "assignment_mode",
            "is_active",
            "cadence_note",
        ]
        widgets = {
            "anchor_date": DateInput(),
            "text_zh": forms.Textarea(attrs={"rows": 2}),
            "text_en": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        # The cadence's own fields checked here, so a missing deadline (or weekday, N, day) is said at its field,
        # not by the database constraint at the top of the form (a field with an error skips the constraint).
        cleaned = super().clean()
        if cleaned.get("cadence"):
            try:
                validate_cadence(
                    cadence=cleaned["cadence"],
                    weekdays=cleaned.get("weekdays"),
                    interval_days=cleaned.get("interval_days"),
                    anchor_date=cleaned.get("anchor_date"),
                    month_day=cleaned.get("month_day"),
                    last_day_of_month=bool(cleaned.get("last_day_of_month")),
                    deadline_working_days=cleaned.get("deadline_working_days"),
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    if field not in self.errors:
                        self.add_error(field, messages)
        return cleaned


class AssignmentForm(forms.Form):
    employee = forms.ModelChoiceField(label=_("employee"), queryset=Employee.objects.none())
    valid_from = forms.DateField(
        label=_("from"), widget=DateInput(), required=False, help_text=_("Empty: from tomorrow.")
    )
    valid_to = forms.DateField(
        label=_("until"), widget=DateInput(), required=False, help_text=_("Empty: until further notice.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = Employee.objects.current().select_related("role").order_by("full_name")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end date cannot be before the start date."))
        return cleaned


class AdHocTaskForm(forms.Form):
    employee = forms.ModelChoiceField(label=_("employee"), queryset=Employee.objects.none())
    title_zh = forms.CharField(label=_("task (Chinese)"), max_length=500)
    title_en = forms.CharField(label=_("task (English)"), max_length=500, required=False)
    due_date = forms.DateField(label=_("deadline"), widget=DateInput())
    note = forms.CharField(label=_("note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = Employee.objects.current().select_related("role").order_by("full_name")


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "kind", "name_zh", "name_en"]
        widgets = {"date": DateInput()}
