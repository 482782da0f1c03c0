from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from roles.models import Department, Employee
from shop_ops import jobs
from shop_ops.api import PersonNameField, QueueWaitFields

from ..choices import AdjustmentKind, ComponentKind, DeductionCategory, ExportStatus, RunStatus
from ..models import (
    Adjustment,
    Attendance,
    Component,
    InsurancePolicy,
    PayProfile,
    PayrollExport,
    PayrollRun,
    Payslip,
    PayslipLine,
    ProfitPoolRule,
    SalaryStructure,
    SalesFigure,
    SpecialDeduction,
    StructureVersion,
    TaxOpeningBalance,
)
from ..selectors import (
    InputChangesView,
    explain_line,
    exports_waiting_for_queue,
    line_in_words,
    names_in_words,
    run_input_changes,
    run_waiting_for_queue,
)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-05"})
class MonthField(serializers.Field):
    """A month as 'YYYY-MM'."""

    default_error_messages = {"invalid": "Write the month as YYYY-MM, e.g. 2026-05."}

    def to_representation(self, value):
        return value.strftime("%Y-%m")

    def to_internal_value(self, data):
        from ..exceptions import PayrollError
        from ..services import parse_month

        try:
            return parse_month(data)
        except PayrollError:
            self.fail("invalid")


class ComponentSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ComponentKind.choices)
    formula = serializers.CharField(max_length=500)

    class Meta:
        model = Component
        fields = ["id", "order", "code", "name", "kind", "formula"]
        read_only_fields = ["id", "order"]


class VersionSerializer(serializers.ModelSerializer):
    effective_from = MonthField()
    components = ComponentSerializer(many=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None, allow_null=True)
    created_by_name = PersonNameField(source="created_by")

    class Meta:
        model = StructureVersion
        fields = ["id", "effective_from", "note", "components", "created_by", "created_by_name", "created_at"]
        read_only_fields = ["id", "created_by", "created_by_name", "created_at"]


class StructureSerializer(serializers.ModelSerializer):
    versions = VersionSerializer(many=True, read_only=True)
    role_code = serializers.CharField(source="role.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = SalaryStructure
        fields = ["id", "code", "name", "role", "role_code", "employee", "versions", "created_at"]
        read_only_fields = ["id", "created_at"]


class PreviewSerializer(serializers.Serializer):
    month = MonthField()
    components = ComponentSerializer(many=True)


class SalesFigureSerializer(serializers.ModelSerializer):
    month = MonthField()
    department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())
    entered_by = serializers.CharField(source="entered_by.username", read_only=True, default=None, allow_null=True)
    entered_by_name = PersonNameField(source="entered_by")

    class Meta:
        model = SalesFigure
        fields = ["id", "month", "department", "sales", "gross_profit", "entered_by", "entered_by_name", "updated_at"]
        read_only_fields = ["id", "entered_by", "entered_by_name", "updated_at"]
        validators = []  # the service replaces the month's figure of a department


class AdjustmentSerializer(serializers.ModelSerializer):
    month = MonthField()
    corrects_month = MonthField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=AdjustmentKind.choices)
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    employee_number = serializers.CharField(source="employee.employee_number", read_only=True)
    entered_by = serializers.CharField(source="entered_by.username", read_only=True, default=None, allow_null=True)
    entered_by_name = PersonNameField(source="entered_by")

    class Meta:
        model = Adjustment
        fields = [
            "id",
            "month",
            "employee",
            "employee_number",
            "kind",
            "amount",
            "reason",
            "corrects_month",
            "entered_by",
            "entered_by_name",
            "created_at",
        ]
        read_only_fields = ["id", "entered_by", "entered_by_name", "created_at"]


class AttendanceSerializer(serializers.ModelSerializer):
    month = MonthField()
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    working_days = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True)

    class Meta:
        model = Attendance
        fields = ["id", "month", "employee", "working_days", "days_worked", "unpaid_leave_days", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []


class InputKindSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The input's key, e.g. days_worked, bonus, placement, prior.")
    label = serializers.CharField(help_text="The input's name in the user's language.")


class NamedEmployeeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class InputChangesSerializer(serializers.Serializer):
    """How the month's inputs differ now from what the computed run read; all empty when they are unchanged."""

    inputs = InputKindSerializer(many=True, help_text="The kinds of input that changed.")
    changed_employees = NamedEmployeeSerializer(many=True, help_text="People whose inputs changed.")
    added_employees = NamedEmployeeSerializer(many=True, help_text="People paid this month now, not in the run.")
    removed_employees = NamedEmployeeSerializer(many=True, help_text="People in the run no longer paid this month.")
    error = serializers.CharField(help_text="Why the inputs can no longer be computed; empty otherwise.")
    not_recorded = serializers.BooleanField(help_text="Computed before ShopOps recorded what a run reads.")


class RunSerializer(serializers.ModelSerializer):
    month = MonthField()
    progress_percent = serializers.IntegerField(read_only=True)
    started_by = serializers.CharField(source="started_by.username", read_only=True, default=None, allow_null=True)
    started_by_name = PersonNameField(source="started_by")
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, default=None, allow_null=True)
    approved_by_name = PersonNameField(source="approved_by")
    paid_by = serializers.CharField(source="paid_by.username", read_only=True, default=None, allow_null=True)
    paid_by_name = PersonNameField(source="paid_by")
    waiting_for_queue = serializers.SerializerMethodField(
        help_text="True while the run's computation waits for the job queue (Redis was unreachable when it started)."
    )
    queue_message = serializers.SerializerMethodField(help_text="What to tell the user while waiting_for_queue.")

    class Meta:
        model = PayrollRun
        fields = [
            "id",
            "month",
            "status",
            "total",
            "done",
            "progress_percent",
            "error_message",
            "error_employee",
            "error_component",
            "started_by",
            "started_by_name",
            "started_at",
            "finished_at",
            "approved_by",
            "approved_by_name",
            "approved_at",
            "paid_by",
            "paid_by_name",
            "paid_at",
            "waiting_for_queue",
            "queue_message",
        ]
        read_only_fields = fields

    def get_waiting_for_queue(self, run) -> bool:
        return run_waiting_for_queue(run=run)  # no query unless the run is running

    def get_queue_message(self, run) -> str | None:
        return str(jobs.QUEUE_UNAVAILABLE) if self.get_waiting_for_queue(run) else None


class RunDetailSerializer(RunSerializer):
    """One run; a computed run awaiting approval also says whether (and what of) its inputs changed since."""

    input_changes = serializers.SerializerMethodField(
        help_text="For a ready run: how the month's inputs differ now from what it read (approval is refused "
        "until it is computed again when any list is not empty); null for other states."
    )

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "input_changes"]
        read_only_fields = fields

    @extend_schema_field(InputChangesSerializer(allow_null=True))
    def get_input_changes(self, run) -> dict | None:
        if run.status != RunStatus.READY:
            return None
        return InputChangesView.of(run_input_changes(run=run)).as_dict()


class ExportSerializer(QueueWaitFields, serializers.ModelSerializer):
    """An Excel export job: poll it until `status` is `done`, then GET `download_url`."""

    month = MonthField(source="run.month", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    is_current = serializers.BooleanField(read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    requested_by_name = PersonNameField(source="requested_by")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = PayrollExport
        fields = [
            "id",
            "run",
            "month",
            "attempt",
            "is_current",
            "status",
            "done",
            "total",
            "percent",
            "error",
            "requested_by",
            "requested_by_name",
            "created_at",
            "finished_at",
            "download_url",
            "waiting_for_queue",
            "queue_message",
        ]
        read_only_fields = fields

    waiting_ids = staticmethod(exports_waiting_for_queue)

    def get_download_url(self, job) -> str | None:
        if job.status != ExportStatus.DONE or not job.file or not job.is_current:
            return None
        return reverse("payroll-export-download", kwargs={"pk": job.pk})


class StartRunSerializer(serializers.Serializer):
    month = MonthField()


class ApproveRunSerializer(serializers.Serializer):
    confirm_flagged = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: I have checked the changes from last month beyond the threshold (needed when there are any).",
    )

    def validate_confirm_flagged(self, value):
        if not isinstance(self.initial_data.get("confirm_flagged", False), bool):
            raise serializers.ValidationError(_("Send true or false (a JSON boolean)."))
        return value


class FlaggedChangeSerializer(serializers.Serializer):
    """A change from last month beyond the threshold (payroll.selectors.Change)."""

    employee = serializers.IntegerField(source="employee_id")
    employee_number = serializers.CharField(source="number")
    name = serializers.CharField()
    department = serializers.CharField()
    code = serializers.CharField(help_text="The payslip line's code; empty for the net pay.")
    item = serializers.CharField(source="label")
    last_month = serializers.DecimalField(source="before", max_digits=14, decimal_places=2)
    this_month = serializers.DecimalField(source="now", max_digits=14, decimal_places=2)
    change = serializers.DecimalField(max_digits=14, decimal_places=2)
    percent = serializers.DecimalField(
        max_digits=8,
        decimal_places=1,
        allow_null=True,
        help_text="To one decimal, half up; null when last month was 0.",
    )


class FlaggedChangesErrorSerializer(serializers.Serializer):
    """The approval's 409: the error shape of every refusal, with `flagged` when the flagged changes were not
    confirmed."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    flagged = FlaggedChangeSerializer(many=True, required=False)


class LineSerializer(serializers.ModelSerializer):
    """A payslip line: `formula` and `inputs` as the payroll read them; `label`, `in_words` and `explanation` for
    the person paid, in the request's language."""

    label = serializers.CharField(read_only=True, help_text="The line's name in the request's language.")
    in_words = serializers.SerializerMethodField(
        help_text="The formula with each name in words of the request's language (月基本工资 × 出勤天数 ÷ 应出勤天数)."
    )
    explanation = serializers.SerializerMethodField(
        help_text="The formula with its inputs' values, then the amount, e.g. 10,000.00 × 20 ÷ 22 = 9,090.91."
    )

    class Meta:
        model = PayslipLine
        fields = [
            "order",
            "code",
            "name",
            "label",
            "kind",
            "is_system",
            "formula",
            "inputs",
            "exact",
            "amount",
            "in_words",
            "explanation",
        ]
        read_only_fields = fields

    def get_in_words(self, line) -> str:
        names = self.context.get("names_in_words")
        return line_in_words(line, names if names is not None else names_in_words([line]))

    def get_explanation(self, line) -> str:
        return explain_line(line)


class PayslipSerializer(serializers.ModelSerializer):
    month = MonthField(source="run.month", read_only=True)
    employee_number = serializers.CharField(source="employee.employee_number", read_only=True)
    full_name = serializers.CharField(source="employee.full_name", read_only=True)
    department_code = serializers.CharField(source="department.code", read_only=True)

    class Meta:
        model = Payslip
        fields = [
            "id",
            "month",
            "employee",
            "employee_number",
            "full_name",
            "department_code",
            "working_days",
            "days_worked",
            "gross_pay",
            "deductions",
            "social_insurance",
            "housing_fund",
            "taxable_income",
            "income_tax",
            "net_pay",
            "employer_cost",
            "ytd_taxable",
            "ytd_tax",
        ]
        read_only_fields = fields


class PayslipDetailSerializer(PayslipSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(PayslipSerializer.Meta):
        fields = [*PayslipSerializer.Meta.fields, "lines"]
        read_only_fields = fields

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, slip) -> list:
        lines = list(slip.lines.all())
        context = {**self.context, "names_in_words": names_in_words(lines)}
        return LineSerializer(lines, many=True, context=context).data


class InsurancePolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = InsurancePolicy
        exclude = ["updated_by"]
        read_only_fields = ["id", "updated_at"]


class PayProfileSerializer(serializers.ModelSerializer):
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    employee_number = serializers.CharField(source="employee.employee_number", read_only=True)

    class Meta:
        model = PayProfile
        fields = [
            "id",
            "employee",
            "employee_number",
            "base_salary",
            "contribution_base",
            "special_additional_deduction",
            "insurance_policy",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        validators = []


class PoolRuleSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())

    class Meta:
        model = ProfitPoolRule
        fields = ["id", "department", "rate", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []


class TaxOpeningBalanceSerializer(serializers.ModelSerializer):
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    entered_by = serializers.CharField(source="entered_by.username", read_only=True, default=None, allow_null=True)
    entered_by_name = PersonNameField(source="entered_by")

    class Meta:
        model = TaxOpeningBalance
        fields = [
            "id",
            "employee",
            "year",
            "income",
            "special_deductions",
            "additional_deductions",
            "tax_withheld",
            "withholding_option",
            "entered_by",
            "entered_by_name",
            "updated_at",
        ]
        read_only_fields = ["id", "entered_by", "entered_by_name", "updated_at"]
        validators = []


class SpecialDeductionSerializer(serializers.ModelSerializer):
    """One special additional deduction; amounts and caps are checked by the service (payroll.deductions)."""

    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    employee_number = serializers.CharField(source="employee.employee_number", read_only=True)
    category = serializers.ChoiceField(choices=DeductionCategory.choices)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    start_month = MonthField()
    end_month = MonthField(required=False, allow_null=True)
    entered_by = serializers.CharField(source="entered_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = SpecialDeduction
        fields = [
            "id",
            "employee",
            "employee_number",
            "category",
            "category_label",
            "start_month",
            "end_month",
            "share",
            "monthly_amount",
            "note",
            "entered_by",
            "updated_at",
        ]
        read_only_fields = ["id", "entered_by", "updated_at"]
        validators = []
