"""Warehouse API. Each viewset names its access rule (inventory/permissions.py); the services do the writing."""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from roles.selectors import with_names
from shop_ops import jobs

from .. import selectors, services
from ..choices import JobKind, JobStatus
from ..exceptions import ImportRejected
from ..imports import import_movements, import_orders
from ..models import InventoryJob, Location, LossReport, Order, PurchaseRequest, Sku, StockLevel, Warehouse
from ..permissions import (
    AnswerFlaggedOrders,
    HandleFlaggedOrders,
    OperateStock,
    ReviewLossReports,
    StockReadOperateWrite,
    ViewStock,
)
from ..views import parse_month
from . import serializers as s
from .filters import (
    OrderFilterSet,
    PurchaseRequestFilterSet,
    SkuFilterSet,
    StockLevelFilterSet,
    StockMovementFilterSet,
)


class CatalogueViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Catalogue records: read by Warehouse, Manager, Finance; created and edited (never deleted: the ledger points
    at them) by Warehouse and Manager through the app's save service."""

    permission_classes = [StockReadOperateWrite]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    save_service = None

    def _save(self, serializer, instance):
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        saved = type(self).save_service(**{instance._meta.model_name: instance, "user": self.request.user})
        serializer.instance = saved

    def perform_create(self, serializer):
        self._save(serializer, serializer.Meta.model())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


class SkuViewSet(CatalogueViewSet):
    """SKUs and auxiliary materials (kind=material). Read: Warehouse, Manager, Finance. Create/edit: Warehouse,
    Manager."""

    queryset = Sku.objects.all()
    serializer_class = s.SkuSerializer
    save_service = staticmethod(services.save_sku)
    filterset_class = SkuFilterSet
    search_fields = ["code", "style_code", "name", "barcode"]
    ordering_fields = ["code", "unit_cost", "sale_price", "warning_level"]
    ordering = ["code"]


class WarehouseViewSet(CatalogueViewSet):
    """Warehouses. Read: Warehouse, Manager, Finance. Create/edit: Warehouse, Manager."""

    queryset = Warehouse.objects.all()
    serializer_class = s.WarehouseSerializer
    save_service = staticmethod(services.save_warehouse)
    search_fields = ["code", "name"]
    ordering = ["code"]


class LocationViewSet(CatalogueViewSet):
    """Bin locations (`warehouse` by its code). Read: Warehouse, Manager, Finance. Create/edit: Warehouse, Manager."""

    queryset = Location.objects.select_related("warehouse")
    serializer_class = s.LocationSerializer
    save_service = staticmethod(services.save_location)
    search_fields = ["code", "name"]
    ordering = ["warehouse__code", "code"]


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """Stock per SKU and location. Read: Warehouse, Manager, Finance."""

    queryset = StockLevel.objects.select_related("sku", "location")
    serializer_class = s.StockLevelSerializer
    permission_classes = [ViewStock]
    filterset_class = StockLevelFilterSet
    search_fields = ["sku__code", "sku__name"]
    ordering_fields = ["on_hand", "sku__code"]
    ordering = ["sku__code", "location__code"]

    def get_queryset(self):
        # A warehouse under a blind count is left out for counters (inventory/permissions.py): not only its figures
        # but its rows, so neither ordering nor filtering can reveal them.
        hidden = selectors.blind_warehouse_ids(user=self.request.user)
        return super().get_queryset().exclude(location__warehouse_id__in=hidden)


class StockMovementViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The ledger. Read: Warehouse, Manager, Finance. POST a batch (all-or-nothing): Warehouse, Manager;
    `allow_negative` only for managers. Quantities are units; the kind gives the sign."""

    queryset = selectors.movements()
    serializer_class = s.StockMovementSerializer
    permission_classes = [StockReadOperateWrite]
    filterset_class = StockMovementFilterSet
    search_fields = ["sku__code", "reference", "reason"]
    ordering_fields = ["occurred_at", "quantity", "value"]
    ordering = ["-occurred_at", "-id"]

    def get_queryset(self):
        hidden = selectors.blind_warehouse_ids(user=self.request.user)
        return super().get_queryset().exclude(location__warehouse_id__in=hidden)

    @extend_schema(request=s.MovementBatchSerializer, responses={201: s.StockMovementSerializer(many=True)})
    def create(self, request, *args, **kwargs):
        batch = s.MovementBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        created = services.post_movements(
            movements=[
                services.MovementInput(
                    line["sku"].pk,
                    line["location"].pk,
                    line["kind"],
                    services.signed_quantity(kind=line["kind"], quantity=line["quantity"]),
                    line["reason"],
                    line["reference"],
                )
                for line in batch.validated_data["movements"]
            ],
            user=request.user,
            allow_negative=batch.validated_data["allow_negative"],
        )
        rows = self.get_queryset().filter(pk__in=[m.pk for m in created]).order_by("pk")
        return Response(s.StockMovementSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class TransferView(APIView):
    """Move units between locations (two ledger rows). Warehouse, Manager."""

    permission_classes = [OperateStock]

    @extend_schema(request=s.TransferSerializer, responses={201: s.StockMovementSerializer(many=True)})
    def post(self, request):
        serializer = s.TransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.transfer_stock(user=request.user, **serializer.validated_data)
        return Response(s.StockMovementSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class StockCountViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Counts. Read: Warehouse, Manager, Finance. Open, record, close, cancel: Warehouse, Manager."""

    serializer_class = s.StockCountSerializer
    permission_classes = [StockReadOperateWrite]
    ordering = ["-period"]

    def get_queryset(self):
        return selectors.counts_with_progress()

    def perform_create(self, serializer):
        count = services.open_stock_count(user=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=count.pk)

    @extend_schema(responses=s.StockCountLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        """The lines, paginated; system figures are hidden while a blind count is open."""
        count = self.get_object()
        page = self.paginate_queryset(count.lines.select_related("sku", "location"))
        data = s.StockCountLineSerializer(page, many=True, context={"count": count, "request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(request=s.RecordCountSerializer, responses=s.StockCountLineSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        count = self.get_object()
        serializer = s.RecordCountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line = get_object_or_404(count.lines, pk=serializer.validated_data["line"])
        line = services.record_count(
            line=line, counted_quantity=serializer.validated_data["counted_quantity"], user=request.user
        )
        return Response(s.StockCountLineSerializer(line, context={"count": count, "request": request}).data)

    @extend_schema(request=None, responses={200: s.StockCountSerializer, 202: s.StockCountSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close now (200), or as a background job for big counts (202, with `job` to poll)."""
        job = services.close_stock_count(count=self.get_object(), user=request.user)
        data = self.get_serializer(self.get_queryset().get(pk=pk)).data
        if job is None:
            return Response(data)
        waiting = bool(selectors.jobs_waiting_for_queue([job]))
        job_data = {"id": job.pk, "status": job.status, "total": job.total, "waiting_for_queue": waiting}
        job_data["queue_message"] = str(jobs.QUEUE_UNAVAILABLE) if waiting else None
        return Response(data | {"job": job_data}, status=202)

    @extend_schema(request=None, responses=s.StockCountSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        services.cancel_stock_count(count=self.get_object(), user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)


class LossReportViewSet(viewsets.ReadOnlyModelViewSet):
    """报损单. Read: Warehouse, Manager, Finance. Approve/reject: Finance."""

    queryset = with_names(
        LossReport.objects.prefetch_related("lines__sku", "lines__location"), "reviewed_by", "rechecked_by"
    )
    serializer_class = s.LossReportSerializer
    permission_classes = [ReviewLossReports]
    ordering = ["-created_at"]

    def _review(self, request, approve: bool):
        serializer = s.ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.review_loss_report(
            report=self.get_object(), approve=approve, note=serializer.validated_data["note"], user=request.user
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=self.kwargs["pk"])).data)

    @extend_schema(request=s.ReviewSerializer, responses=s.LossReportSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._review(request, True)

    @extend_schema(request=s.ReviewSerializer, responses=s.LossReportSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._review(request, False)


MONTH_PARAM = OpenApiParameter("month", str, description="YYYY-MM (default: this month)")
Q_PARAM = OpenApiParameter("q", str, description="SKU code or name contains")


def _summary_data(summary) -> dict:
    return {
        "month": f"{summary.month:%Y-%m}",
        "rows": [
            {"sku": r.sku.pk, "sku_code": r.sku.code, "name": r.sku.name, "qty": r.qty, "value": r.value}
            for r in summary.rows
        ],
        "total_qty": summary.total_qty,
        "total_value": summary.total_value,
    }


class SummaryView(APIView):
    """进销存 for a month from the ledger. Warehouse, Manager, Finance."""

    permission_classes = [ViewStock]
    extra_query_params = ("month", "q")

    @extend_schema(parameters=[MONTH_PARAM, Q_PARAM], responses={200: dict})
    def get(self, request):
        _check_params(request, self.extra_query_params)
        summary = selectors.monthly_summary(
            month=parse_month(request.query_params.get("month")),
            text=request.query_params.get("q", ""),
            hidden_warehouses=selectors.blind_warehouse_ids(user=request.user),
        )
        return Response(_summary_data(summary))


class SummaryExportView(APIView):
    """Queue the month's 进销存 as .xlsx (a Celery job): 202 with the job; poll `jobs/{id}/` until `status` is
    `done`, then GET `jobs/{id}/download/`. Warehouse, Manager, Finance."""

    permission_classes = [ViewStock]

    @extend_schema(request=s.SummaryExportSerializer, responses={202: s.InventoryJobSerializer})
    def post(self, request):
        serializer = s.SummaryExportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.request_summary_export(
            month=serializer.validated_data["month"], text=serializer.validated_data["q"], user=request.user
        )
        job.refresh_from_db()
        return Response(s.InventoryJobSerializer(job, context={"request": request}).data, status=202)


class InventoryJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Long jobs (count closes, Excel exports) with status and progress; `download/` gives a finished export's file.
    Warehouse, Manager, Finance."""

    queryset = InventoryJob.objects.all()
    serializer_class = s.InventoryJobSerializer
    permission_classes = [ViewStock]
    ordering = ["-created_at"]

    @extend_schema(
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        if job.kind != JobKind.SUMMARY_EXPORT or job.status != JobStatus.DONE or not job.file:
            raise NotFound(_("This job has no finished file (yet)."))
        if not selectors.export_visible_to(job=job, user=request.user):
            raise NotFound(_("This file may hold the figures of a warehouse under a blind count; ask for a new one."))
        return FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=f"stock-summary-{job.month:%Y-%m}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


def _check_params(request, allowed) -> None:
    from rest_framework.exceptions import ValidationError

    unknown = sorted(set(request.query_params) - set(allowed) - {"format"})
    if unknown:
        message = _("Unknown query parameter. Allowed: %(allowed)s.") % {"allowed": ", ".join(allowed)}
        raise ValidationError({name: [message] for name in unknown})


class PurchaseRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """进货单. Read: Warehouse, Manager, Finance. Create and change status: Warehouse, Manager."""

    queryset = PurchaseRequest.objects.select_related("sku")
    serializer_class = s.PurchaseRequestSerializer
    permission_classes = [StockReadOperateWrite]
    filterset_class = PurchaseRequestFilterSet
    ordering = ["-created_at", "-id"]

    def perform_create(self, serializer):
        serializer.instance = services.create_purchase_request(user=self.request.user, **serializer.validated_data)

    @extend_schema(request=s.PurchaseStatusSerializer, responses=s.PurchaseRequestSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        serializer = s.PurchaseStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.change_purchase_request_status(
            request=self.get_object(), user=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(updated).data)


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders. Warehouse, Manager: all orders and every step, and `flagged/`. Customer service: `flagged/` and
    `resolve` (not an order they handed over themselves)."""

    queryset = Order.objects.prefetch_related("lines__sku")
    serializer_class = s.OrderSerializer
    permission_classes = [OperateStock]
    filterset_class = OrderFilterSet
    search_fields = ["number", "recipient"]
    ordering = ["-created_at", "-id"]

    def get_permissions(self):
        if self.action == "flagged":
            return [HandleFlaggedOrders()]
        if self.action == "resolve":
            return [AnswerFlaggedOrders()]
        return super().get_permissions()

    @extend_schema(request=s.AdvanceSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        """Move to `printed` or `picked`, or `cancelled`; packing and shipping have their own endpoints."""
        serializer = s.AdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.advance_order(
            order=self.get_object(), to_status=serializer.validated_data["status"], user=request.user
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(request=s.PackSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def pack(self, request, pk=None):
        """The packing check: the scanned items must match the order (SKU, colour, size, quantity). A match packs the
        order; a mismatch answers 409 with the differences and hands the order to customer service. A code that
        is no SKU or barcode answers 400 ("scan it again") and leaves the order as it was."""
        serializer = s.PackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.pack_order(
            order=self.get_object(),
            items=[services.PackedItem(i["code"], i["quantity"]) for i in serializer.validated_data["items"]],
            user=request.user,
        )
        data = self.get_serializer(self.get_queryset().get(pk=order.pk)).data
        if order.needs_customer_service:
            return Response({"detail": order.flag_reason, "order": data}, status=status.HTTP_409_CONFLICT)
        return Response(data)

    @extend_schema(request=s.ShipSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        """Ship a packed order with courier (default: the order's) and tracking number; posts the shipments."""
        serializer = s.ShipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.ship_order(order=self.get_object(), user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(responses=s.OrderSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="picking-list", pagination_class=None, filter_backends=[])
    def picking_list(self, request):
        """Orders checked and printed, waiting to be picked (oldest first)."""
        orders, _bins = selectors.picking_list()
        return Response(self.get_serializer(orders, many=True).data)

    @extend_schema(request=s.FlagSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def flag(self, request, pk=None):
        serializer = s.FlagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.flag_order(order=self.get_object(), user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(responses=s.OrderSerializer(many=True))
    @action(detail=False, methods=["get"])
    def flagged(self, request):
        """Orders waiting for customer service."""
        page = self.paginate_queryset(self.filter_queryset(selectors.flagged_orders()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=s.ResolveSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Customer service only, never the person who handed the order over: answer a flagged order."""
        order = get_object_or_404(Order, pk=pk, needs_customer_service=True)
        serializer = s.ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.resolve_order_flag(order=order, user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data)


class ImportView(APIView):
    """Upload receipts, shipments, returns or orders (.xlsx/.csv, at most 5 MB). All rows or none: a bad file
    answers 400 with `errors.rows` = [{row, column, message}]. Warehouse, Manager."""

    permission_classes = [OperateStock]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": s.ImportSerializer}, responses={201: dict})
    def post(self, request):
        serializer = s.ImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind, upload = serializer.validated_data["kind"], serializer.validated_data["file"]
        try:
            if kind == "orders":
                result = import_orders(upload=upload, user=request.user)
            else:
                result = import_movements(upload=upload, kind=kind, user=request.user)
        except ImportRejected as exc:
            return Response({"detail": exc.message, "errors": {"rows": exc.errors}}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"rows": result.rows, "created": result.created}, status=status.HTTP_201_CREATED)
