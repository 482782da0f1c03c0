"""Checklist API: duties, assignments, checklist items with tick/untick, the holiday calendar and statistics."""

from __future__ import annotations

import datetime

from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shop_ops.exceptions import ConflictError
from shop_ops.numbers import parse_whole_number

from .. import selectors, services
from ..choices import Period
from ..exceptions import NotYourItem
from ..models import DutyAssignment, DutyTemplate, Holiday
from ..permissions import ManageChecklists, ManageChecklistsOrReadOnly, can_manage_checklists
from ..selectors import with_names
from .filters import ChecklistItemFilterSet, DutyAssignmentFilterSet, DutyFilterSet, HolidayFilterSet
from .serializers import (
    AdHocTaskSerializer,
    ChecklistItemSerializer,
    CompletionRowSerializer,
    DutyAssignmentSerializer,
    DutySerializer,
    HolidaySerializer,
    StartDutySerializer,
    TickSerializer,
)
from .views import ServiceWriteMixin


class DutyViewSet(ServiceWriteMixin, viewsets.ModelViewSet):
    """Duties of roles. Read: any signed-in user. Write: Manager. A duty with history cannot be deleted:
    deactivate it (PATCH is_active=false)."""

    queryset = DutyTemplate.objects.select_related("role")
    serializer_class = DutySerializer
    permission_classes = [ManageChecklistsOrReadOnly]
    filterset_class = DutyFilterSet
    search_fields = ["text_zh", "text_en"]
    ordering_fields = ["sort_order", "id", "cadence"]
    ordering = ["role_id", "sort_order", "id"]

    def create_with_service(self, data):
        return services.save_duty(**data)

    def update_with_service(self, instance, data):
        return services.save_duty(duty=instance, **data)

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError:
            raise ConflictError(_("This duty has checklist history; deactivate it instead of deleting it.")) from None

    @extend_schema(request=StartDutySerializer, responses={201: ChecklistItemSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def start(self, request, pk=None):
        """Start an on-demand duty for yourself (or, as a manager, for `employee`)."""
        duty = self.get_object()
        payload = StartDutySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        employee = payload.validated_data.get("employee") or getattr(request.user, "employee", None)
        if employee is None:
            raise serializers.ValidationError({"employee": [_("Your login is not linked to an employee record.")]})
        item = services.trigger_on_demand_duty(
            duty=duty, employee=employee, by=request.user, note=payload.validated_data["note"]
        )
        return Response(ChecklistItemSerializer(item).data, status=status.HTTP_201_CREATED)


class DutyAssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Who holds a duty from when (chosen holders, or cover). Manager only. DELETE ends the assignment today
    (one that has not started is removed); history is never rewritten."""

    queryset = with_names(DutyAssignment.objects.select_related("employee"), "created_by")
    serializer_class = DutyAssignmentSerializer
    permission_classes = [ManageChecklists]
    filterset_class = DutyAssignmentFilterSet
    ordering_fields = ["valid_from", "id"]
    ordering = ["-valid_from", "id"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.assign_duty(by=self.request.user, **data)

    def destroy(self, request, *args, **kwargs):
        services.end_assignment(assignment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChecklistItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Checklist items. Managers see and tick everyone's; everyone else only their own (others' are 404 on read,
    403 on tick). POST creates a one-off task (Manager)."""

    serializer_class = ChecklistItemSerializer
    filterset_class = ChecklistItemFilterSet
    search_fields = ["title_zh", "title_en", "note"]
    ordering_fields = ["due_date", "period_start", "id", "status"]
    ordering = ["due_date", "id"]

    def get_queryset(self):
        return selectors.items_visible_to(user=self.request.user)

    @extend_schema(request=AdHocTaskSerializer, responses={201: ChecklistItemSerializer})
    def create(self, request):
        """Give one person a one-off task with a deadline (Manager)."""
        if not can_manage_checklists(request.user):
            raise NotYourItem(_("Only managers give one-off tasks."))
        payload = AdHocTaskSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        item = services.add_ad_hoc_task(by=request.user, **payload.validated_data)
        return Response(ChecklistItemSerializer(item).data, status=status.HTTP_201_CREATED)

    def _tick(self, request, pk, *, done: bool):
        # Existence is checked among all items so that someone else's item answers 403, not 404.
        if done:
            payload = TickSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            item = services.tick_item(item_id=int(pk), user=request.user, note=payload.validated_data.get("note"))
        else:
            item = services.untick_item(item_id=int(pk), user=request.user)
        return Response(ChecklistItemSerializer(item).data)

    @extend_schema(request=TickSerializer, responses=ChecklistItemSerializer)
    @action(detail=True, methods=["post"])
    def tick(self, request, pk=None):
        """Mark done (with an optional note); records who and when."""
        return self._tick(request, pk, done=True)

    @extend_schema(request=None, responses=ChecklistItemSerializer)
    @action(detail=True, methods=["post"])
    def untick(self, request, pk=None):
        """Mark not done again; the note is kept."""
        return self._tick(request, pk, done=False)


class HolidayViewSet(viewsets.ModelViewSet):
    """The working-day calendar: public holidays and make-up working days. Read: signed-in users. Write: Manager."""

    queryset = Holiday.objects.all()
    serializer_class = HolidaySerializer
    permission_classes = [ManageChecklistsOrReadOnly]
    filterset_class = HolidayFilterSet
    ordering = ["date"]

    def perform_create(self, serializer):
        serializer.instance = services.save_holiday(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.save_holiday(holiday=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_holiday(holiday=instance)


class CompletionStatsView(APIView):
    """Completion figures grouped by department, role or employee. Managers see everyone; others get only their
    own figures (group_by=employee)."""

    extra_query_params = ("group_by", "period", "start", "end", "department")

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=["department", "role", "employee"]),
            OpenApiParameter("period", OpenApiTypes.STR, enum=Period.values),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
            OpenApiParameter("department", OpenApiTypes.INT),
        ],
        responses=CompletionRowSerializer(many=True),
    )
    def get(self, request):
        params = request.query_params
        unknown = set(params) - set(self.extra_query_params) - {"format"}
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown query parameter.")] for name in sorted(unknown)})
        today = timezone.localdate()
        group_by = params.get("group_by", "department")
        if group_by not in selectors.checklists.GROUPINGS:
            raise serializers.ValidationError({"group_by": [_("Use department, role or employee.")]})
        period = params.get("period", Period.MONTH)
        if period not in Period.values:
            message = _("Use one of: %(values)s.") % {"values": ", ".join(Period.values)}
            raise serializers.ValidationError({"period": [message]})
        start, end = selectors.period_range(period, today)
        try:
            start = datetime.date.fromisoformat(params["start"]) if "start" in params else start
            end = datetime.date.fromisoformat(params["end"]) if "end" in params else end
        except ValueError:
            raise serializers.ValidationError({"start": [_("Dates look like 2026-03-31.")]}) from None
        if start > end:
            raise serializers.ValidationError({"end": [_("The end date cannot be before the start date.")]})
        department = params.get("department")
        if department and parse_whole_number(department) is None:
            raise serializers.ValidationError({"department": [_("A department id is a number.")]})
        if can_manage_checklists(request.user):
            rows = selectors.completion_by(
                group_by=group_by, start=start, end=end, today=today, department_id=parse_whole_number(department)
            )
        else:
            employee = getattr(request.user, "employee", None)
            rows = [
                row
                for row in selectors.completion_by(group_by="employee", start=start, end=end, today=today)
                if employee is not None and row.key == employee.pk
            ]
        return Response(CompletionRowSerializer(rows, many=True).data)
