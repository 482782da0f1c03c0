from django.contrib.auth import get_user_model
from rest_framework import serializers

from ..models import Department, Employee, Role
from ..permissions import can_view_all_employees


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


class EmployeeSerializer(serializers.ModelSerializer):
    """Bank account and ID number are write-only; reads get them masked. Phone is masked for non-managers."""

    username = serializers.CharField(source="user.username", read_only=True)
    role_code = serializers.CharField(source="role.code", read_only=True)
    department_code = serializers.CharField(source="role.department.code", read_only=True)
    bank_account = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=30)
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=18)
    bank_account_masked = serializers.CharField(read_only=True)
    id_number_masked = serializers.CharField(read_only=True)

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

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        own = request is not None and instance.user_id == request.user.pk
        if request is None or not (own or can_view_all_employees(request.user)):
            data["phone"] = instance.phone_masked
        return data


class EmployeeCreateSerializer(EmployeeSerializer):
    new_username = serializers.CharField(write_only=True, max_length=150, help_text="Login name for the new employee.")
    password = serializers.CharField(write_only=True, min_length=8, style={"input_type": "password"})

    class Meta(EmployeeSerializer.Meta):
        fields = [*EmployeeSerializer.Meta.fields, "new_username", "password"]

    def validate_new_username(self, value):
        if get_user_model().objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("This username is taken.")
        return value
