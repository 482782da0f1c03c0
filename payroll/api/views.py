"""Payroll API. Each viewset names its access rule (payroll/permissions.py); the services do the writing."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from roles.selectors import with_names

from .. import selectors, services
from ..engine import ComponentError, ComponentSpec
from ..exceptions import FlaggedChangesUnconfirmed
from ..exports import XLSX_CONTENT_TYPE
from ..models import (
    Adjustment,
    Attendance,
    Component,
    InsurancePolicy,
    PayProfile,
    PayrollExport,
    PayrollRun,
    ProfitPoolRule,
    SalaryStructure,
    SalesFigure,
    SpecialDeduction,
    StructureVersion,
    TaxOpeningBalance,
)
from ..permissions import (
    can_edit_structures,
    can_enter_adjustments,
    can_enter_attendance,
    can_run_payroll,
    can_view_own_payslips,
    can_view_payroll_inputs,
    rule,
)
from .filters import (
    AdjustmentFilterSet,
    AttendanceFilterSet,
    ComponentFilterSet,
    ExportFilterSet,
    PayslipFilterSet,
    RunFilterSet,
    SalesFigureFilterSet,
    TaxOpeningBalanceFilterSet,
)
from .serializers import (
    AdjustmentSerializer,
    ApproveRunSerializer,
    AttendanceSerializer,
    ComponentSerializer,
    ExportSerializer,
    FlaggedChangeSerializer,
    FlaggedChangesErrorSerializer,
    InsurancePolicySerializer,
    PayProfileSerializer,
    PayslipDetailSerializer,
    PayslipSerializer,
    PoolRuleSerializer,
    PreviewSerializer,
    RunDetailSerializer,
    RunSerializer,
    SalesFigureSerializer,
    SpecialDeductionSerializer,
    StartRunSerializer,
    StructureSerializer,
    TaxOpeningBalanceSerializer,
    VersionSerializer,
)


def _specs(components) -> list[ComponentSpec]:
    return [ComponentSpec(c["code"], c["name"], c["kind"], c["formula"]) for c in components]


def _component_error(error: ComponentError) -> Response:
    return Response(
        {"detail": error.message, "errors": {"components": {str(error.row): {error.field: [error.message]}}}},
        status=status.HTTP_400_BAD_REQUEST,
    )


class StructureViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Salary structures with their versions. Read: Manager, Finance. Write: Manager."""

    queryset = SalaryStructure.objects.select_related("role").prefetch_related(
        Prefetch("versions", queryset=with_names(StructureVersion.objects.all(), "created_by")), "versions__components"
    )
    serializer_class = StructureSerializer
    permission_classes = [rule(can_view_payroll_inputs, can_edit_structures)]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.create_structure(
            code=data["code"],
            name=data["name"],
            role=data.get("role"),
            employee=data.get("employee"),
            user=self.request.user,
        )

    @extend_schema(request=VersionSerializer, responses={201: VersionSerializer})
    @action(detail=True, methods=["post"])
    def versions(self, request, pk=None):
        """Save the components from a month on (a new version); every formula is checked first."""
        structure = self.get_object()
        serializer = VersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            version = services.save_structure_version(
                structure=structure,
                effective_from=data["effective_from"],
                components=_specs(data["components"]),
                note=data.get("note", ""),
                user=request.user,
            )
        except ComponentError as error:
            return _component_error(error)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PreviewSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        """What-if: recompute a month with edited components for the people on this structure; saves nothing."""
        structure = self.get_object()
        serializer = PreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        month = serializer.validated_data["month"]
        version = structure.versions.filter(effective_from__lte=month).order_by("-effective_from").first()
        if version is None:
            return Response({"detail": _("This structure has no version in force that month.")}, status=400)
        try:
            rows = services.preview_structure_change(
                version=version, components=_specs(serializer.validated_data["components"]), month=month
            )
        except ComponentError as error:
            return _component_error(error)
        return Response(
            {
                "month": month.strftime("%Y-%m"),
                "employees": [
                    {
                        "employee": row.employee.pk,
                        "employee_number": row.employee.employee_number,
                        "net_pay_before": row.before.net_pay if row.before else None,
                        "net_pay_after": row.after.net_pay if row.after else None,
                        "net_difference": row.net_difference,
                        "error": row.error,
                    }
                    for row in rows
                ],
            }
        )


class ComponentViewSet(viewsets.ReadOnlyModelViewSet):
    """Components of structure versions. Read: Manager, Finance."""

    queryset = Component.objects.select_related("version")
    serializer_class = ComponentSerializer
    permission_classes = [rule(can_view_payroll_inputs, can_edit_structures)]
    filterset_class = ComponentFilterSet
    ordering = ["version", "order"]


class SalesFigureViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Sales and gross profit per department and month. Read: Manager, Finance. Write: Finance (replaces)."""

    queryset = with_names(SalesFigure.objects.select_related("department"), "entered_by")
    serializer_class = SalesFigureSerializer
    permission_classes = [rule(can_view_payroll_inputs, can_run_payroll)]
    filterset_class = SalesFigureFilterSet
    ordering = ["-month", "department__sort_order"]

    def perform_create(self, serializer):
        serializer.instance = services.save_sales_figure(user=self.request.user, **serializer.validated_data)


class AdjustmentViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Bonuses, penalties and corrections. Read: Manager, Finance. Write: Manager."""

    queryset = with_names(Adjustment.objects.select_related("employee"), "entered_by")
    serializer_class = AdjustmentSerializer
    permission_classes = [rule(can_view_payroll_inputs, can_enter_adjustments)]
    filterset_class = AdjustmentFilterSet
    search_fields = ["employee__full_name", "employee__employee_number", "reason"]
    ordering = ["-month", "employee__employee_number"]

    def perform_create(self, serializer):
        serializer.instance = services.add_adjustment(user=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_adjustment(adjustment=instance, user=self.request.user)


class AttendanceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Days worked per employee and month. Read: Manager, Finance. Write: Manager, Finance (replaces)."""

    queryset = Attendance.objects.select_related("employee")
    serializer_class = AttendanceSerializer
    permission_classes = [rule(can_view_payroll_inputs, can_enter_attendance)]
    filterset_class = AttendanceFilterSet
    ordering = ["-month", "employee__employee_number"]

    def perform_create(self, serializer):
        serializer.instance = services.save_attendance(user=self.request.user, **serializer.validated_data)


class RunViewSet(viewsets.ReadOnlyModelViewSet):
    """Payroll runs. Read: Manager, Finance. Start, approve, mark paid, export: Finance."""

    queryset = with_names(PayrollRun.objects.all(), "started_by", "approved_by", "paid_by")
    serializer_class = RunSerializer
    permission_classes = [rule(can_view_payroll_inputs, can_run_payroll)]
    filterset_class = RunFilterSet
    ordering = ["-month"]

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    @extend_schema(request=StartRunSerializer, responses={202: RunSerializer})
    @action(detail=False, methods=["post"])
    def start(self, request):
        """Start (or restart) the month's run; 409 while one is running or when the month is locked."""
        serializer = StartRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.start_run(month=serializer.validated_data["month"], user=request.user)
        run.refresh_from_db()
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=ApproveRunSerializer,
        responses={
            200: RunSerializer,
            409: OpenApiResponse(
                FlaggedChangesErrorSerializer,
                description="An earlier month is not approved, the inputs changed (`errors.inputs`), or changes from "
                "last month beyond the threshold were not confirmed (`errors.confirm_flagged`, `flagged` lists them).",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a computed run; afterwards it is read-only. 409 while an earlier month of its tax year is not
        approved, or when the month's inputs changed since it was computed (`errors.inputs` says what changed;
        run it again). When changes from last month are beyond the shop's threshold, send
        `{"confirm_flagged": true}` once they are checked; without it 409 lists them in `flagged`. A run with
        nothing flagged is approved with an empty body, as before."""
        run = self.get_object()
        serializer = ApproveRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run = services.approve_run(
                run=run, user=request.user, confirm_flagged=serializer.validated_data["confirm_flagged"]
            )
        except FlaggedChangesUnconfirmed as error:
            body = {
                "detail": error.message,
                "errors": {error.field: [error.message]},
                "flagged": FlaggedChangeSerializer(error.flagged, many=True).data,
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(RunSerializer(run).data)

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        """Record that an approved run has been paid."""
        return Response(RunSerializer(services.mark_paid(run=self.get_object(), user=request.user)).data)

    @extend_schema(request=None, responses={202: ExportSerializer})
    @action(detail=True, methods=["post"], permission_classes=[rule(can_run_payroll, can_run_payroll)])
    def export(self, request, pk=None):
        """Ask for the run's workbook (summary, payslips, bank transfer, employer cost, 工资条): 202 with the export
        job; poll `exports/{id}/` until `status` is `done`, then GET its `download_url`. A small run comes back
        done at once. Finance only (the workbook carries full bank account numbers)."""
        job = services.request_export(run=self.get_object(), user=request.user)
        return Response(ExportSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ExportViewSet(viewsets.ReadOnlyModelViewSet):
    """Excel exports of payroll runs with status and progress; `download/` gives a finished one's file. Finance."""

    queryset = with_names(PayrollExport.objects.select_related("run"), "requested_by")
    serializer_class = ExportSerializer
    permission_classes = [rule(can_run_payroll, can_run_payroll)]
    filterset_class = ExportFilterSet
    ordering = ["-created_at", "-pk"]

    @extend_schema(
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
            409: OpenApiResponse(description="not finished, failed, or the run was computed again"),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The workbook of a finished export of the run's current computation."""
        return export_file_response(selectors.downloadable_export(job=self.get_object()))


def export_file_response(job: PayrollExport) -> FileResponse:
    """The workbook as a download (the file is opened first, so a missing file is not counted as downloaded)."""
    response = FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.filename, content_type=XLSX_CONTENT_TYPE
    )
    services.mark_export_downloaded(job=job)
    return response


class PayslipViewSet(viewsets.ReadOnlyModelViewSet):
    """Payslips with their explained lines. Manager, Finance: all. Everyone else: only their own, once approved."""

    serializer_class = PayslipSerializer
    permission_classes = [rule(can_view_own_payslips, can_run_payroll)]
    filterset_class = PayslipFilterSet
    search_fields = ["employee__full_name", "employee__employee_number"]
    ordering_fields = ["net_pay", "gross_pay", "employee__employee_number"]
    ordering = ["-run__month", "employee__employee_number"]

    def get_queryset(self):
        slips = selectors.payslips_visible_to(user=self.request.user)
        if self.action == "retrieve":
            slips = slips.prefetch_related("lines")
        return slips

    def get_serializer_class(self):
        return PayslipDetailSerializer if self.action == "retrieve" else PayslipSerializer


def run_by_month(month: str) -> PayrollRun:
    return get_object_or_404(PayrollRun, month=services.parse_month(month))


class InsurancePolicyViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Social insurance and housing fund per city. Read: Manager, Finance. Write: Finance."""

    queryset = InsurancePolicy.objects.all()
    serializer_class = InsurancePolicySerializer
    permission_classes = [rule(can_view_payroll_inputs, can_run_payroll)]
    ordering = ["city"]

    def perform_create(self, serializer):
        serializer.instance = services.save_insurance_policy(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.save_insurance_policy(
            policy=serializer.instance, user=self.request.user, **serializer.validated_data
        )


class PayProfileViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Base salary and tax settings per employee. Read: Manager, Finance. Write (create or replace): Manager."""

    queryset = PayProfile.objects.select_related("employee")
    serializer_class = PayProfileSerializer
    permission_classes = [rule(can_view_payroll_inputs, can_edit_structures)]
    filterset_fields = ["employee"]
    ordering = ["employee__employee_number"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.save_pay_profile(employee=data.pop("employee"), user=self.request.user, **data)


class PoolRuleViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Profit pool rules (share of company gross profit). Read: Manager, Finance. Write (create or replace): Finance."""

    queryset = ProfitPoolRule.objects.select_related("department")
    serializer_class = PoolRuleSerializer
    permission_classes = [rule(can_view_payroll_inputs, can_run_payroll)]
    ordering = ["department__sort_order"]

    def perform_create(self, serializer):
        serializer.instance = services.save_pool_rule(user=self.request.user, **serializer.validated_data)


class TaxOpeningBalanceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Year-to-date tax figures from before ShopOps (adopting it mid-year). Read: Manager, Finance. Write (create
    or replace an employee's year): Finance; refused (409) once a month of that year was approved for them."""

    queryset = with_names(TaxOpeningBalance.objects.select_related("employee"), "entered_by")
    serializer_class = TaxOpeningBalanceSerializer
    permission_classes = [rule(can_view_payroll_inputs, can_run_payroll)]
    filterset_class = TaxOpeningBalanceFilterSet
    ordering = ["-year", "employee__employee_number"]

    def perform_create(self, serializer):
        serializer.instance = services.save_tax_opening_balance(user=self.request.user, **serializer.validated_data)


class SpecialDeductionViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Special additional deductions by category (专项附加扣除). Read: Manager and Finance all, everyone else their
    own. Write (enter, change, end with `end_month`): Finance; amounts, caps and clashes are refused with the field
    at fault (400), one's own deductions (403)."""

    serializer_class = SpecialDeductionSerializer
    permission_classes = [rule(can_view_own_payslips, can_run_payroll)]
    filterset_fields = ["employee", "category"]
    ordering = ["employee__employee_number", "category", "start_month", "pk"]

    def get_queryset(self):
        entries = SpecialDeduction.objects.select_related("employee", "entered_by")
        if can_view_payroll_inputs(self.request.user):
            return entries
        return entries.filter(employee__user_id=self.request.user.pk)

    def perform_create(self, serializer):
        serializer.instance = services.save_special_deduction(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        entry = serializer.instance
        current = {
            name: getattr(entry, name)
            for name in ("category", "start_month", "end_month", "share", "monthly_amount", "note")
        }
        data = {**current, **serializer.validated_data, "employee": entry.employee}  # an entry keeps its employee
        serializer.instance = services.save_special_deduction(deduction=entry, user=self.request.user, **data)
