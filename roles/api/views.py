"""Org chart API. Each viewset names its access rule; the services do the writing."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import selectors, services
from ..choices import EmployeeStatus
from ..models import Department, Role
from ..permissions import EmployeeAccess, ManageOrgOrReadOnly
from .filters import DepartmentFilterSet, EmployeeFilterSet, RoleFilterSet
from .serializers import (
    DepartmentSerializer,
    EmployeeCreateSerializer,
    EmployeeSerializer,
    IdNumberLookupSerializer,
    RoleSerializer,
)


class ServiceWriteMixin:
    """Create and update through a service function instead of serializer.save()."""

    def perform_create(self, serializer):
        serializer.instance = self.create_with_service(serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.update_with_service(serializer.instance, serializer.validated_data)


class DepartmentViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    """Departments. Read: any signed-in user. Write: Manager."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    permission_classes = [ManageOrgOrReadOnly]
    filterset_class = DepartmentFilterSet
    search_fields = ["code", "name_zh", "name_en"]
    ordering_fields = ["code", "sort_order", "name_zh", "name_en"]
    ordering = ["sort_order", "code"]

    def create_with_service(self, data):
        return services.save_department(**data)

    def update_with_service(self, instance, data):
        return services.save_department(department=instance, **data)

    def perform_destroy(self, instance):
        services.delete_department(department=instance)


class RoleViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    """Roles with planned and filled headcount. Read: any signed-in user. Write: Manager."""

    queryset = Role.objects.select_related("department").annotate(
        filled=Count("employees", filter=~Q(employees__status=EmployeeStatus.LEFT))
    )
    serializer_class = RoleSerializer
    permission_classes = [ManageOrgOrReadOnly]
    filterset_class = RoleFilterSet
    search_fields = ["code", "title_zh", "title_en"]
    ordering_fields = ["code", "sort_order", "headcount", "pay_grade_min", "pay_grade_max"]
    ordering = ["department__sort_order", "sort_order", "code"]

    def create_with_service(self, data):
        role = services.save_role(by=self.request.user, **data)
        return self.get_queryset().get(pk=role.pk)

    def update_with_service(self, instance, data):
        role = services.save_role(role=instance, by=self.request.user, **data)
        return self.get_queryset().get(pk=role.pk)

    def perform_destroy(self, instance):
        services.delete_role(role=instance)


class EmployeeViewSet(
    ServiceWriteMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Employees. Manager: read and write all. Finance: read all. Everyone else: read only their own record.

    Employees are never deleted (their payroll and checklist history points at them); record a leave date.
    """

    serializer_class = EmployeeSerializer
    permission_classes = [EmployeeAccess]
    filterset_class = EmployeeFilterSet
    search_fields = ["employee_number", "full_name", "user__username"]
    ordering_fields = ["employee_number", "full_name", "hire_date", "status"]
    ordering = ["employee_number"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "id_number" in request.query_params:
            # Refused before anything is read: the number is already in the access log, but nobody is looked up.
            raise ValidationError(
                {
                    "id_number": [
                        _(
                            "An ID number is never looked up from the address (it is kept in access logs): "
                            'POST {"id_number": "..."} to /api/employees/find-by-id-number/.'
                        )
                    ]
                }
            )

    def get_queryset(self):
        return selectors.employees_visible_to(user=self.request.user)

    def get_serializer_class(self):
        return EmployeeCreateSerializer if self.action == "create" else EmployeeSerializer

    @extend_schema(request=IdNumberLookupSerializer, responses=EmployeeSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="find-by-id-number", permission_classes=[IsAuthenticated])
    def find_by_id_number(self, request):
        """Employees with exactly this ID number, as the list answers (paginated), among those the caller may read;
        the number travels in the body, so it stays out of access logs. A part of a number finds nobody."""
        lookup = IdNumberLookupSerializer(data=request.data)
        lookup.is_valid(raise_exception=True)
        employees = selectors.with_id_number(
            queryset=self.filter_queryset(self.get_queryset()), id_number=lookup.validated_data["id_number"]
        )
        page = self.paginate_queryset(employees)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create_with_service(self, data):
        username = data.pop("new_username")
        password = data.pop("password")
        return services.create_employee(username=username, password=password, by=self.request.user, **data)

    def update_with_service(self, instance, data):
        return services.update_employee(employee=instance, by=self.request.user, **data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(
            EmployeeSerializer(serializer.instance, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=EmployeeSerializer)
    @action(detail=False, methods=["get"], permission_classes=[EmployeeAccess])
    def me(self, request):
        """The signed-in user's own employee record."""
        employee = self.get_queryset().filter(user=request.user).first()
        if employee is None:
            return Response({"detail": _("Your login is not linked to an employee record.")}, status=404)
        return Response(self.get_serializer(employee).data)
