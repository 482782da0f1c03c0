from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from shop_ops.api import PersonNameField
from shop_ops.typed import plain_number

from .. import cadence
from ..logins import clean_login_name
from ..models import ChecklistItem, Department, DutyAssignment, DutyTemplate, Employee, Holiday, Role
from ..permissions import can_view_all_employees
from ..validators import phone_validator


class DepartmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Department
        fields = [
            "id",
            "code",
            "name",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "sort_order",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class RoleSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    department_code = serializers.CharField(source="department.code", read_only=True)
    filled = serializers.IntegerField(read_only=True, help_text="Current employees holding the role.")

    class Meta:
        model = Role
        fields = [
            "id",
            "code",
            "department",
            "department_code",
            "title",
            "title_zh",
            "title_en",
            "headcount",
            "filled",
            "reports_to",
            "pay_grade_min",
            "pay_grade_max",
            "access_group",
            "sort_order",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class PhoneField(serializers.CharField):
    """An employee's phone: empty or digits (phone_validator) when written; read back masked (138****5678) for
    readers who may not see it in full, so the read side documents no pattern."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_blank=True, max_length=20, validators=[_check_phone], **kwargs)


def _check_phone(value: str) -> None:
    # A plain function, not the RegexValidator itself: drf-spectacular would copy its pattern onto the read side,
    # which shows masked numbers. PhoneFieldSchema documents the pattern for writes.
    phone_validator(value)


class PhoneFieldSchema(OpenApiSerializerFieldExtension):
    target_class = PhoneField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {
                "type": "string",
                "maxLength": 20,
                "description": "Empty when not recorded; masked (138****5678) unless you may read it in full.",
            }
        return {
            "type": "string",
            "maxLength": 20,
            # blank=True on the model: the empty string is a valid phone ("not recorded").
            "pattern": f"^(?:{phone_validator.regex.pattern.removeprefix('^').removesuffix('$')})?$",
            "description": "Empty, or digits (spaces and hyphens between them), e.g. 13812345678.",
        }


class EmployeeSerializer(serializers.ModelSerializer):
    """Bank account and ID number are write-only; reads get them masked. Phone is masked for non-managers."""

    username = serializers.CharField(source="user.username", read_only=True)
    role_code = serializers.CharField(source="role.code", read_only=True)
    department_code = serializers.CharField(source="role.department.code", read_only=True)
    bank_account = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=30)
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=18)
    bank_account_masked = serializers.CharField(read_only=True)
    id_number_masked = serializers.CharField(read_only=True)
    phone = PhoneField()

    class Meta:
        model = Employee
        fields = [
            "id",
            "employee_number",
            "full_name",
            "username",
            "role",
            "role_code",
            "department_code",
            "hire_date",
            "leave_date",
            "status",
            "phone",
            "bank_account",
            "bank_account_masked",
            "id_number",
            "id_number_masked",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_bank_account(self, value):
        return plain_number(value)

    def validate_id_number(self, value):
        return plain_number(value)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        own = request is not None and instance.user_id == request.user.pk
        if request is None or not (own or can_view_all_employees(request.user)):
            data["phone"] = instance.phone_masked
        return data


class EmployeeCreateSerializer(EmployeeSerializer):
    new_username = serializers.CharField(
        write_only=True,
        max_length=150,
        help_text="Login name for the new employee: 2 to 32 of a-z, 0-9, '.', '_', '-' (stored in lower case); a "
        "look-alike of an existing login is refused.",
    )
    password = serializers.CharField(write_only=True, min_length=8, style={"input_type": "password"})

    class Meta(EmployeeSerializer.Meta):
        fields = [*EmployeeSerializer.Meta.fields, "new_username", "password"]

    def validate_new_username(self, value):
        try:
            return clean_login_name(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class IdNumberLookupSerializer(serializers.Serializer):
    """The body of POST /api/employees/find-by-id-number/: the whole number (spaces and hyphens allowed)."""

    id_number = serializers.CharField(max_length=40, trim_whitespace=True)


class DutySerializer(serializers.ModelSerializer):
    text = serializers.CharField(read_only=True)
    role_code = serializers.CharField(source="role.code", read_only=True)
    cadence_description = serializers.SerializerMethodField()
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=7), required=False)

    class Meta:
        model = DutyTemplate
        fields = [
            "id",
            "role",
            "role_code",
            "text",
            "text_zh",
            "text_en",
            "cadence",
            "cadence_description",
            "weekdays",
            "interval_days",
            "anchor_date",
            "month_day",
            "last_day_of_month",
            "deadline_working_days",
            "assignment_mode",
            "is_active",
            "sort_order",
            "cadence_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_cadence_description(self, obj) -> str:
        return cadence.describe(obj)


class DutyAssignmentSerializer(serializers.ModelSerializer):
    employee_name = serializers.CharField(source="employee.full_name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)
    created_by_name = PersonNameField(source="created_by")

    class Meta:
        model = DutyAssignment
        fields = [
            "id",
            "duty",
            "employee",
            "employee_name",
            "valid_from",
            "valid_to",
            "created_by",
            "created_by_name",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"valid_from": {"required": False}}


class ChecklistItemSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    employee_name = serializers.CharField(source="employee.full_name", read_only=True)
    done_by = serializers.CharField(source="done_by.username", read_only=True, default=None, allow_null=True)
    done_by_name = PersonNameField(source="done_by")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "employee",
            "employee_name",
            "duty",
            "kind",
            "title",
            "title_zh",
            "title_en",
            "period_start",
            "due_date",
            "status",
            "overdue",
            "done_at",
            "done_by",
            "done_by_name",
            "note",
            "self_assigned",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        from django.utils import timezone

        return obj.is_overdue(timezone.localdate())


class AdHocTaskSerializer(serializers.Serializer):
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.all())
    title_zh = serializers.CharField(max_length=500)
    title_en = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    due_date = serializers.DateField()
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class TickSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class StartDutySerializer(serializers.Serializer):
    employee = serializers.PrimaryKeyRelatedField(
        queryset=Employee.objects.all(), required=False, help_text="Managers only; defaults to yourself."
    )
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "date", "kind", "name_zh", "name_en"]


class CompletionRowSerializer(serializers.Serializer):
    key = serializers.IntegerField()
    label = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    on_time = serializers.IntegerField()
    overdue = serializers.IntegerField()
    missed = serializers.IntegerField(help_text="Items missed: not done before the duty came round again.")
    rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    on_time_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
