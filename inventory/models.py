"""The warehouse: SKUs and bin locations, an append-only stock ledger with the levels it keeps, monthly counts with
their loss reports, purchase requests raised from warning levels, and the orders the warehouse fulfils."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    ACTIVE_PURCHASE_STATUSES,
    CountStatus,
    JobKind,
    JobStatus,
    LossReportStatus,
    MovementKind,
    OrderStatus,
    PurchaseRequestStatus,
    SkuKind,
)

MONEY = {"max_digits": 14, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("warehouse (仓库)")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """A bin location (库位) inside a warehouse, e.g. A-01-03."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="locations")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("description"), max_length=100, blank=True)

    class Meta:
        ordering = ["warehouse__code", "code"]
        verbose_name = _("location (库位)")
        verbose_name_plural = _("locations")
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "code"],
                name="location_code_unique_per_warehouse",
                violation_error_message=_("This warehouse already has a location with this code."),
            )
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        """How pickers show it: 杭州主仓 / A-01 (select the warehouse with it)."""
        return f"{self.warehouse.name} / {self.code}"


class Sku(models.Model):
    """One sellable variant (货号 + colour + size) or one auxiliary material (吊牌, 包装袋, 礼品)."""

    code = models.CharField(_("SKU code"), max_length=40, unique=True)
    style_code = models.CharField(_("style number (货号)"), max_length=30, blank=True)
    name = models.CharField(_("name"), max_length=100)
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    size = models.CharField(_("size"), max_length=10, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SkuKind.choices, default=SkuKind.GOODS)
    barcode = models.CharField(_("barcode (条码)"), max_length=40, blank=True)
    unit_cost = models.DecimalField(_("cost price (成本价)"), validators=[MinValueValidator(0)], **MONEY)
    sale_price = models.DecimalField(_("sale price (售价)"), default=0, validators=[MinValueValidator(0)], **MONEY)
    warning_level = models.PositiveIntegerField(_("warning stock level (警戒库存)"), default=0)
    reorder_quantity = models.PositiveIntegerField(
        _("reorder quantity"), default=0, help_text=_("0 = refill to twice the warning level.")
    )
    is_listed = models.BooleanField(_("listed in the shop (在售)"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Prices, warning levels and listing change stock value and purchasing: keep who changed what (audit trail).
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0),
                name="sku_unit_cost_not_negative",
                violation_error_message=_("The unit cost cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(sale_price__gte=0),
                name="sku_sale_price_not_negative",
                violation_error_message=_("The sale price cannot be negative."),
            ),
            models.UniqueConstraint(
                fields=["barcode"],
                condition=~Q(barcode=""),
                name="sku_barcode_unique",
                violation_error_message=_("Another SKU already has this barcode."),
            ),
            # Codes are matched whatever the letter case (selectors.sku_key): DR002-BLU-M and dr002-blu-m are one SKU.
            models.UniqueConstraint(
                Upper("code"),
                name="sku_code_unique_ignoring_case",
                violation_error_message=_("Another SKU already has this code (letter case does not matter)."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:sku-detail", kwargs={"pk": self.pk})


class StockLevel(models.Model):
    """On-hand quantity of one SKU at one location; changed only by `services.post_movements` with the ledger."""

    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    allow_negative = models.BooleanField(
        _("below zero by manager override"),
        default=False,
        help_text=_("Set while a manager-approved posting keeps this level below zero."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku__code", "location__code"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(
                fields=["sku", "location"],
                name="stock_level_unique_sku_location",
                violation_error_message=_("This SKU already has a stock level at this location."),
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0) | Q(allow_negative=True),
                name="stock_level_not_negative_without_override",
                violation_error_message=_("Stock cannot go below zero without a manager's override."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku.code} @ {self.location.code}: {self.on_hand}"


class StockMovement(models.Model):
    """One immutable ledger row. `quantity` is signed (+ in, - out); `value` is quantity x unit cost at posting."""

    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"))
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)
    value = models.DecimalField(_("value at cost"), **MONEY)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=60, blank=True, db_index=True)
    negative_override = models.BooleanField(_("manager override below zero"), default=False)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    posted_at = models.DateTimeField(_("posted at"))

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("stock movement (出入库记录)")
        verbose_name_plural = _("stock movements")
        indexes = [
            models.Index(fields=["sku", "occurred_at"], name="movement_sku_occurred"),
            models.Index(fields=["sku", "location", "posted_at"], name="movement_level_posted"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quantity=0),
                name="movement_quantity_not_zero",
                violation_error_message=_("The quantity cannot be zero."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["receipt", "return", "transfer_in"], quantity__gt=0)
                | Q(kind__in=["shipment", "transfer_out", "loss"], quantity__lt=0)
                | Q(kind="count_correction"),
                name="movement_sign_matches_kind",
                violation_error_message=_("Goods in are positive and goods out negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} {self.sku_id}@{self.location_id}"

    def save(self, *args, **kwargs):
        # The ledger is append-only: a mistake is corrected by a new movement, never by editing an old one.
        if self.pk is not None and not self._state.adding:
            raise ValueError("Stock movements are immutable; post a correcting movement instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Stock movements are immutable; post a correcting movement instead.")


class StockCount(models.Model):
    """A stock count (盘点) of one warehouse for one month; system quantities are snapshotted when it opens."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="counts")
    period = models.DateField(_("month"), help_text=_("First day of the month counted."))
    status = models.CharField(_("status"), max_length=20, choices=CountStatus.choices, default=CountStatus.OPEN)
    blind = models.BooleanField(_("blind count"), default=False, help_text=_("Counters do not see system figures."))
    snapshot_at = models.DateTimeField(_("snapshot taken at"))
    opened_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("opened by")
    )
    closed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("closed by")
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period", "warehouse__code"]
        verbose_name = _("stock count (盘点)")
        verbose_name_plural = _("stock counts")
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "period"],
                condition=~Q(status="cancelled"),
                name="one_stock_count_per_warehouse_month",
                violation_error_message=_("This warehouse already has a count for that month."),
            ),
            # Two open counts of one warehouse would each correct the same difference: stock counted twice.
            models.UniqueConstraint(
                fields=["warehouse"],
                condition=Q(status__in=["open", "closing"]),
                name="one_open_stock_count_per_warehouse",
                violation_error_message=_("This warehouse already has a count under way; close or cancel it first."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse} {self.period:%Y-%m}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:count-detail", kwargs={"pk": self.pk})

    @property
    def lines_uncounted(self) -> int:
        """Lines still without a counted quantity (from counts_with_progress' annotations when present): a count
        closes only when this is 0, so the pages offer closing only then."""
        if hasattr(self, "line_total") and hasattr(self, "line_counted"):
            return self.line_total - self.line_counted
        return self.lines.filter(counted_quantity__isnull=True).count()


class StockCountLine(models.Model):
    """One SKU at one location in a count. Expected = snapshot + movements posted after the snapshot, up to the
    moment the line was counted; difference = counted - expected."""

    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    snapshot_quantity = models.IntegerField(_("system quantity at snapshot"))
    movements_since_snapshot = models.IntegerField(_("moved since snapshot"), default=0)
    counted_quantity = models.PositiveIntegerField(_("counted"), null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    counted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("counted by")
    )
    adjusted = models.BooleanField(_("correction posted"), default=False)

    class Meta:
        ordering = ["location__code", "sku__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["count", "sku", "location"],
                name="count_line_unique",
                violation_error_message=_("This SKU is already on the count at this location."),
            ),
            models.CheckConstraint(
                condition=Q(counted_quantity__isnull=True) | Q(counted_at__isnull=False),
                name="count_line_counted_at",
                violation_error_message=_("A counted line needs the time it was counted."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.location_id}: {self.counted_quantity}"

    @property
    def expected_quantity(self) -> int:
        return self.snapshot_quantity + self.movements_since_snapshot

    @property
    def difference(self) -> int | None:
        return None if self.counted_quantity is None else self.counted_quantity - self.expected_quantity


class LossReport(models.Model):
    """报损单: the differences a closed count found, valued at cost, for finance to approve or reject: the shortages,
    and the surpluses (gains) beside them so a count cannot add stock unreviewed."""

    count = models.OneToOneField(StockCount, on_delete=models.PROTECT, related_name="loss_report")
    status = models.CharField(
        _("status"), max_length=20, choices=LossReportStatus.choices, default=LossReportStatus.PENDING
    )
    total_quantity = models.PositiveIntegerField(_("units short"), default=0)
    total_value = models.DecimalField(_("value at cost"), default=0, **MONEY)
    surplus_quantity = models.PositiveIntegerField(_("units over"), default=0)
    surplus_value = models.DecimalField(_("surplus value at cost"), default=0, **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("finance note"), max_length=500, blank=True)
    # A rejected report comes back to finance after the warehouse rechecked the goods (see resubmit_loss_report).
    rechecked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("rechecked by")
    )
    rechecked_at = models.DateTimeField(_("rechecked at"), null=True, blank=True)
    recheck_note = models.CharField(_("warehouse note"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("loss report (报损单)")
        verbose_name_plural = _("loss reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(reviewed_at__isnull=False),
                name="loss_report_reviewed_has_time",
                violation_error_message=_("A reviewed report needs the time it was reviewed."),
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(review_note=""),
                name="loss_report_rejection_has_note",
                violation_error_message=_("Say why the report is rejected."),
            ),
        ]

    def __str__(self) -> str:
        return f"报损单 {self.count}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:loss-report-detail", kwargs={"pk": self.pk})


class LossReportLine(models.Model):
    """One difference: `quantity` units short, or units over when `surplus` is set (the count found more)."""

    report = models.ForeignKey(LossReport, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    surplus = models.BooleanField(_("surplus (盘盈)"), default=False)
    quantity = models.PositiveIntegerField(_("units"))
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)
    value = models.DecimalField(_("value at cost"), **MONEY)

    class Meta:
        ordering = ["sku__code", "location__code"]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.location_id}: {'+' if self.surplus else '-'}{self.quantity}"


class InventoryJob(models.Model):
    """A long job (closing a big count, exporting a month to Excel) the page polls: the task updates status and
    progress, the view only reads. An export keeps its month, search text and the file it wrote."""

    kind = models.CharField(max_length=20, choices=JobKind.choices)
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="jobs", null=True, blank=True)
    month = models.DateField(_("month"), null=True, blank=True)
    search = models.CharField(_("search"), max_length=100, blank=True)
    file = models.FileField(_("file"), upload_to="inventory/exports/%Y/%m/", max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=F("total")),
                name="inventory_job_done_le_total",
                violation_error_message=_("Progress cannot exceed the total."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="summary_export") | Q(month__isnull=False),
                name="inventory_export_job_has_month",
                violation_error_message=_("A summary export needs its month."),
            ),
            models.UniqueConstraint(
                fields=["kind", "count"],
                condition=Q(status__in=["queued", "running"]),
                name="one_running_job_per_count",
                violation_error_message=_("This count already has a job under way."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


class PurchaseRequest(models.Model):
    """进货单 raised when a SKU falls to its warning level; at most one open request per SKU."""

    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="purchase_requests")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    status = models.CharField(
        _("status"), max_length=20, choices=PurchaseRequestStatus.choices, default=PurchaseRequestStatus.OPEN
    )
    on_hand_when_raised = models.IntegerField(_("on hand when raised"), default=0)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("purchase request (进货单)")
        verbose_name_plural = _("purchase requests")
        constraints = [
            models.UniqueConstraint(
                fields=["sku"],
                condition=Q(status__in=[s.value for s in ACTIVE_PURCHASE_STATUSES]),
                name="one_open_purchase_request_per_sku",
                violation_error_message=_("This SKU already has an open purchase request."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="purchase_request_quantity_positive",
                violation_error_message=_("The quantity must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku.code} x {self.quantity}"


class Order(models.Model):
    """A shop order as the warehouse handles it: checked and printed (打单), picked (配货), packed, shipped."""

    number = models.CharField(_("order number"), max_length=40, unique=True)
    recipient = models.CharField(_("recipient"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200)
    courier = models.CharField(_("courier"), max_length=30, blank=True)
    tracking_number = models.CharField(_("tracking number (运单号)"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW)
    needs_customer_service = models.BooleanField(_("needs customer service"), default=False, db_index=True)
    flag_reason = models.CharField(_("why it needs customer service"), max_length=200, blank=True)
    resolution_note = models.CharField(_("customer service note"), max_length=200, blank=True)
    # Who handed the order to customer service (flag, failed packing check, shortage at picking): they may not
    # answer it themselves.
    flagged_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed to customer service by"),
    )
    flagged_at = models.DateTimeField(_("handed to customer service at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    shipped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order (订单)")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(needs_customer_service=False) | ~Q(flag_reason=""),
                name="order_flag_has_reason",
                violation_error_message=_("Say what customer service should check."),
            ),
            models.CheckConstraint(
                condition=~Q(status="shipped") | Q(shipped_at__isnull=False),
                name="order_shipped_has_time",
                violation_error_message=_("A shipped order needs the time it was shipped."),
            ),
            models.CheckConstraint(
                condition=~Q(status="shipped") | (~Q(courier="") & ~Q(tracking_number="")),
                name="order_shipped_has_courier_and_tracking",
                violation_error_message=_("A shipped order needs a courier and a tracking number."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("inventory:order-detail", kwargs={"pk": self.pk})


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="order_line_quantity_positive",
                violation_error_message=_("The quantity must be at least 1."),
            ),
            models.UniqueConstraint(
                fields=["order", "sku"],
                name="order_line_unique_sku",
                violation_error_message=_("This SKU is already on the order."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.sku_id} x {self.quantity}"
