from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from shop_ops.i18n import StoredSentences


class SkuKind(models.TextChoices):
    GOODS = "goods", _("Goods (成品)")
    MATERIAL = "material", _("Auxiliary material (辅料)")


class MovementKind(models.TextChoices):
    """What moved stock. The ledger stores a signed quantity: inbound kinds are positive, outbound negative."""

    RECEIPT = "receipt", _("Receipt (入库)")
    SHIPMENT = "shipment", _("Shipment (发货出库)")
    RETURN = "return", _("Customer return (退货入库)")
    TRANSFER_IN = "transfer_in", _("Transfer in (调拨入)")
    TRANSFER_OUT = "transfer_out", _("Transfer out (调拨出)")
    COUNT_CORRECTION = "count_correction", _("Count correction (盘点调整)")
    LOSS = "loss", _("Loss / damage (报损)")


INBOUND_KINDS = frozenset({MovementKind.RECEIPT, MovementKind.RETURN, MovementKind.TRANSFER_IN})
OUTBOUND_KINDS = frozenset({MovementKind.SHIPMENT, MovementKind.TRANSFER_OUT, MovementKind.LOSS})
# Kinds a person may post directly from the movement form, the API or an import (transfers come in pairs through
# their own service, count corrections only from closing a count).
MANUAL_KINDS = (MovementKind.RECEIPT, MovementKind.SHIPMENT, MovementKind.RETURN, MovementKind.LOSS)


class CountStatus(models.TextChoices):
    OPEN = "open", _("Open (盘点中)")
    CLOSING = "closing", pgettext_lazy("stock count status", "Closing")
    CLOSED = "closed", _("Closed (已完成)")
    CANCELLED = "cancelled", _("Cancelled")


class LossReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for finance (待财务核查)")
    APPROVED = "approved", _("Approved (已批准)")
    REJECTED = "rejected", _("Rejected (已驳回)")


class PurchaseRequestStatus(models.TextChoices):
    OPEN = "open", _("Open (待处理)")
    ORDERED = "ordered", _("Ordered (已下单)")
    RECEIVED = "received", _("Received (已入库)")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_PURCHASE_STATUSES = (PurchaseRequestStatus.OPEN, PurchaseRequestStatus.ORDERED)


class OrderStatus(models.TextChoices):
    """The warehouse's order pipeline from the seed: 审核打印 → 配货 → 打包 → 发货."""

    NEW = "new", _("New (待审核)")
    PRINTED = "printed", _("Checked and printed (已打单)")
    PICKED = "picked", _("Picked (已配货)")
    PACKED = "packed", _("Packed (已打包)")
    SHIPPED = "shipped", _("Shipped (已发货)")
    CANCELLED = "cancelled", _("Cancelled")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobKind(models.TextChoices):
    COUNT_CLOSE = "count_close", _("Close a stock count")
    SUMMARY_EXPORT = "summary_export", _("Export the stock summary to Excel")


# The sentences the warehouse writes into records itself (a movement's reason, an order's flag, a purchase request's
# reason), stored in the language of whoever caused them; pages show them in the reader's (`|in_reader_language`).
SYSTEM_SENTENCES = StoredSentences(
    [
        gettext_noop("Order shipped"),
        gettext_noop("Stock count %(month)s"),
        gettext_noop("Purchase request received"),
        gettext_noop("At or below the warning level (%(level)s)"),
        gettext_noop("Out of stock: %(list)s"),
        gettext_noop("Packing check failed: %(list)s"),
    ]
)
