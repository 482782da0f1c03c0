import django_filters
from django.utils import timezone

from ..choices import AccessGroup, Cadence, EmployeeStatus, ItemKind, ItemStatus
from ..models import ChecklistItem, Department, DutyAssignment, DutyTemplate, Employee, Holiday, Role


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
    # No id_number here: a query string ends up in access logs; POST /api/employees/find-by-id-number/ looks it up.

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


class DutyFilterSet(django_filters.FilterSet):
    role = django_filters.ModelChoiceFilter(queryset=Role.objects.all())
    role_code = django_filters.CharFilter(field_name="role__code")
    department = django_filters.ModelChoiceFilter(field_name="role__department", queryset=Department.objects.all())
    cadence = django_filters.ChoiceFilter(choices=Cadence.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = DutyTemplate
        fields = ["role", "role_code", "department", "cadence", "is_active"]


class DutyAssignmentFilterSet(django_filters.FilterSet):
    class Meta:
        model = DutyAssignment
        fields = ["duty", "employee"]


class ChecklistItemFilterSet(django_filters.FilterSet):
    employee = django_filters.ModelChoiceFilter(queryset=Employee.objects.all())
    department = django_filters.ModelChoiceFilter(
        field_name="employee__role__department", queryset=Department.objects.all()
    )
    role = django_filters.ModelChoiceFilter(field_name="employee__role", queryset=Role.objects.all())
    due_date = django_filters.DateFromToRangeFilter()
    status = django_filters.ChoiceFilter(choices=[*ItemStatus.choices, ("overdue", "Overdue")], method="filter_status")
    kind = django_filters.ChoiceFilter(choices=ItemKind.choices)
    duty = django_filters.ModelChoiceFilter(queryset=DutyTemplate.objects.all())

    class Meta:
        model = ChecklistItem
        fields = ["employee", "department", "role", "due_date", "status", "kind", "duty"]

    def filter_status(self, queryset, name, value):
        if value == "overdue":
            return queryset.overdue(timezone.localdate())
        return queryset.filter(status=value)


class HolidayFilterSet(django_filters.FilterSet):
    date = django_filters.DateFromToRangeFilter()
    year = django_filters.NumberFilter(field_name="date", lookup_expr="year", min_value=1, max_value=9999)

    class Meta:
        model = Holiday
        fields = ["date", "year", "kind"]
