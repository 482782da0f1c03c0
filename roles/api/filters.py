import django_filters

from ..choices import AccessGroup, EmployeeStatus
from ..models import Department, Employee, Role


class DepartmentFilterSet(django_filters.FilterSet):
    class Meta:
        model = Department
        fields = {"code": ["exact"]}


class RoleFilterSet(django_filters.FilterSet):
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all())
    department_code = django_filters.CharFilter(field_name="department__code")
    access_group = django_filters.ChoiceFilter(choices=AccessGroup.choices)
    reports_to = django_filters.ModelChoiceFilter(queryset=Role.objects.all())

    class Meta:
        model = Role
        fields = ["department", "department_code", "access_group", "reports_to", "code"]


class EmployeeFilterSet(django_filters.FilterSet):
    role = django_filters.ModelChoiceFilter(queryset=Role.objects.all())
    role_code = django_filters.CharFilter(field_name="role__code")
    department = django_filters.ModelChoiceFilter(field_name="role__department", queryset=Department.objects.all())
    department_code = django_filters.CharFilter(field_name="role__department__code")
    status = django_filters.MultipleChoiceFilter(choices=EmployeeStatus.choices)
    hire_date = django_filters.DateFromToRangeFilter()
    employee_number = django_filters.CharFilter()

    class Meta:
        model = Employee
        fields = [
            "role",
            "role_code",
            "department",
            "department_code",
            "status",
            "hire_date",
            "employee_number",
        ]
