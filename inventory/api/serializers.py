import datetime

from django.urls import reverse
from rest_framework import serializers

from shop_ops.api import PersonNameField, QueueWaitFields

from ..choices import MANUAL_KINDS
from ..models import (
    InventoryJob,
    Location,
    LossReport,
    LossReportLine,
    Order,
    OrderLine,
    PurchaseRequest,
    Sku,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    Warehouse,
)
from ..selectors import hides_count_figures, jobs_waiting_for_queue


class SkuSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sku
        fields = [
            "id",
            "code",
            "style_code",
            "name",
            "colour",
            "size",
            "kind",
            "barcode",
            "unit_cost",
            "sale_price",
            "warning_level",
            "reorder_quantity",
            "is_listed",
        ]


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name"]


class LocationSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())

    class Meta:
        model = Location
        fields = ["id", "warehouse", "code", "name"]


class StockLevelSerializer(serializers.ModelSerializer):
    sku_code = serializers.CharField(source="sku.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = StockLevel
        fields = ["id", "sku", "sku_code", "location", "location_code", "on_hand", "allow_negative", "updated_at"]


class StockMovementSerializer(serializers.ModelSerializer):
    sku_code = serializers.CharField(source="sku.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    created_by_name = PersonNameField(source="created_by")

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "sku",
            "sku_code",
            "location",
            "location_code",
            "kind",
            "quantity",
            "unit_cost",
            "value",
            "reason",
            "reference",
            "negative_override",
            "created_by",
            "created_by_name",
            "occurred_at",
            "posted_at",
        ]


class MovementLineSerializer(serializers.Serializer):
    sku = serializers.PrimaryKeyRelatedField(queryset=Sku.objects.all())
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    kind = serializers.ChoiceField(choices=[k.value for k in MANUAL_KINDS])
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, help_text="Units; the kind gives the sign.")
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    reference = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)


class MovementBatchSerializer(serializers.Serializer):
    movements = MovementLineSerializer(many=True, allow_empty=False, max_length=5000)
    allow_negative = serializers.BooleanField(default=False)


class TransferSerializer(serializers.Serializer):
    sku = serializers.PrimaryKeyRelatedField(queryset=Sku.objects.all())
    from_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    to_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class StockCountSerializer(serializers.ModelSerializer):
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    line_total = serializers.IntegerField(read_only=True)
    line_counted = serializers.IntegerField(read_only=True)
    loss_report = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = StockCount
        fields = [
            "id",
            "warehouse",
            "warehouse_code",
            "period",
            "status",
            "blind",
            "snapshot_at",
            "closed_at",
            "line_total",
            "line_counted",
            "loss_report",
        ]
        read_only_fields = ["status", "snapshot_at", "closed_at"]


class StockCountLineSerializer(serializers.ModelSerializer):
    """System figures are left out while a blind count is open."""

    sku_code = serializers.CharField(source="sku.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    expected_quantity = serializers.IntegerField(read_only=True)
    difference = serializers.IntegerField(read_only=True)

    class Meta:
        model = StockCountLine
        fields = [
            "id",
            "sku",
            "sku_code",
            "location",
            "location_code",
            "snapshot_quantity",
            "movements_since_snapshot",
            "expected_quantity",
            "counted_quantity",
            "difference",
            "counted_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        count = self.context.get("count")
        request = self.context.get("request")
        user = request.user if request is not None else None
        if count is not None and hides_count_figures(count=count, user=user):
            for name in ("snapshot_quantity", "movements_since_snapshot", "expected_quantity", "difference"):
                data.pop(name)
        return data


class RecordCountSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    counted_quantity = serializers.IntegerField(min_value=0, max_value=1_000_000)  # as a movement


class LossReportLineSerializer(serializers.ModelSerializer):
    sku_code = serializers.CharField(source="sku.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = LossReportLine
        fields = ["sku", "sku_code", "location", "location_code", "surplus", "quantity", "unit_cost", "value"]


class LossReportSerializer(serializers.ModelSerializer):
    lines = LossReportLineSerializer(many=True, read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, default=None, allow_null=True)
    reviewed_by_name = PersonNameField(source="reviewed_by")
    rechecked_by = serializers.CharField(source="rechecked_by.username", read_only=True, default=None, allow_null=True)
    rechecked_by_name = PersonNameField(source="rechecked_by")

    class Meta:
        model = LossReport
        fields = [
            "id",
            "count",
            "status",
            "total_quantity",
            "total_value",
            "surplus_quantity",
            "surplus_value",
            "created_at",
            "reviewed_by",
            "reviewed_by_name",
            "reviewed_at",
            "review_note",
            "rechecked_by",
            "rechecked_by_name",
            "rechecked_at",
            "recheck_note",
            "lines",
        ]


class ReviewSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class PurchaseRequestSerializer(serializers.ModelSerializer):
    sku_code = serializers.CharField(source="sku.code", read_only=True)

    class Meta:
        model = PurchaseRequest
        fields = ["id", "sku", "sku_code", "quantity", "status", "on_hand_when_raised", "reason", "created_at"]
        read_only_fields = ["status", "on_hand_when_raised", "created_at"]


class PurchaseStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ordered", "received", "cancelled"])
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), required=False, allow_null=True)
    received_quantity = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class OrderLineSerializer(serializers.ModelSerializer):
    sku_code = serializers.CharField(source="sku.code", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["sku", "sku_code", "quantity"]


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "recipient",
            "phone",
            "address",
            "courier",
            "tracking_number",
            "status",
            "needs_customer_service",
            "flag_reason",
            "resolution_note",
            "created_at",
            "shipped_at",
            "lines",
        ]


class AdvanceSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=20)


class FlagSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200)


class ImportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["receipt", "shipment", "return", "orders"])
    file = serializers.FileField()


class SummaryExportSerializer(serializers.Serializer):
    month = serializers.DateField(input_formats=["%Y-%m"], help_text="YYYY-MM")
    q = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)

    def validate_month(self, value: datetime.date) -> datetime.date:
        return value.replace(day=1)


class InventoryJobSerializer(QueueWaitFields, serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = InventoryJob
        fields = [
            "id",
            "kind",
            "status",
            "done",
            "total",
            "percent",
            "error",
            "count",
            "month",
            "search",
            "created_at",
            "finished_at",
            "download_url",
            "waiting_for_queue",
            "queue_message",
        ]

    waiting_ids = staticmethod(jobs_waiting_for_queue)

    def get_download_url(self, job) -> str | None:
        if job.kind != "summary_export" or job.status != "done" or not job.file:
            return None
        return reverse("inventory-job-download", kwargs={"pk": job.pk})


class PackedItemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="SKU code or barcode as scanned")
    quantity = serializers.IntegerField(min_value=1, max_value=10_000, default=1)


class PackSerializer(serializers.Serializer):
    items = PackedItemSerializer(many=True, allow_empty=False, max_length=500)


class ShipSerializer(serializers.Serializer):
    courier = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)
    tracking_number = serializers.CharField(max_length=40)
