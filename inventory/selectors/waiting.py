"""Start pages: what waits for the warehouse, and for finance."""

from __future__ import annotations

from django.db.models import Count, Min
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from shop_ops.waiting import WaitingRow

from ..choices import ACTIVE_PURCHASE_STATUSES, CountStatus, LossReportStatus, OrderStatus, PurchaseRequestStatus
from ..models import LossReport, Order, PurchaseRequest, StockCount


def _order_list(status: str) -> str:
    return f"{reverse('inventory:order-list')}?{urlencode({'status': status})}"


def warehouse_queue() -> list[WaitingRow]:
    """The warehouse's start page: orders at each step (check and print, pick, pack, ship) and those handed to
    customer service, open counts, purchase requests to order and ordered goods to receive; each with how many,
    since when the oldest waits, and the page to deal with them; loss reports finance rejected, to recheck. Rows
    with nothing waiting are left out. Four queries."""
    steps = {
        OrderStatus.NEW: (_("Orders to check and print"), _order_list(OrderStatus.NEW)),
        OrderStatus.PRINTED: (_("Orders to pick"), reverse("inventory:picking-list")),
        OrderStatus.PICKED: (_("Orders to pack"), _order_list(OrderStatus.PICKED)),
        OrderStatus.PACKED: (_("Orders to ship"), _order_list(OrderStatus.PACKED)),
    }
    orders = {
        (row["status"], row["needs_customer_service"]): row
        for row in Order.objects.filter(status__in=list(steps))
        .values("status", "needs_customer_service")
        .annotate(n=Count("id"), since=Min("updated_at"))
        .order_by()
    }
    rows = []
    for status, (label, url) in steps.items():
        found = orders.get((status, False))
        if found:
            rows.append(WaitingRow(f"orders-{status}", label, found["n"], url, found["since"]))
    flagged = [row for (_status, cs), row in orders.items() if cs]
    if flagged:
        rows.append(
            WaitingRow(
                "orders-customer-service",
                _("Orders handed to customer service"),
                sum(row["n"] for row in flagged),
                reverse("inventory:flagged-orders"),
                min(row["since"] for row in flagged),
                _("Customer service answers them; they come back to your list."),
            )
        )
    counts = StockCount.objects.filter(status=CountStatus.OPEN).aggregate(n=Count("id"), since=Min("snapshot_at"))
    if counts["n"]:
        rows.append(
            WaitingRow(
                "counts-open", _("Stock counts open"), counts["n"], reverse("inventory:count-list"), counts["since"]
            )
        )
    rejected = LossReport.objects.filter(status=LossReportStatus.REJECTED).aggregate(
        n=Count("id"), since=Min("reviewed_at")
    )
    if rejected["n"]:
        rows.append(
            WaitingRow(
                "loss-reports-rejected",
                _("Loss reports finance rejected"),
                rejected["n"],
                f"{reverse('inventory:loss-report-list')}?{urlencode({'status': LossReportStatus.REJECTED})}",
                rejected["since"],
                _("Read finance's reason, recount the goods and send each report back."),
            )
        )
    requests = {
        row["status"]: row
        for row in PurchaseRequest.objects.filter(status__in=ACTIVE_PURCHASE_STATUSES)
        .values("status")
        .annotate(n=Count("id"), since=Min("updated_at"))
        .order_by()
    }
    purchase_list = reverse("inventory:purchase-request-list")
    for status, key, label in (
        (PurchaseRequestStatus.OPEN, "purchase-open", _("Purchase requests to order")),
        (PurchaseRequestStatus.ORDERED, "purchase-ordered", _("Ordered goods to receive")),
    ):
        if status in requests:
            url = f"{purchase_list}?{urlencode({'status': status})}"
            rows.append(WaitingRow(key, label, requests[status]["n"], url, requests[status]["since"]))
    return rows


def loss_reports_waiting() -> WaitingRow | None:
    """Finance's line for loss reports (报损单) waiting for approval, or None when there are none. One query."""
    found = LossReport.objects.filter(status=LossReportStatus.PENDING).aggregate(n=Count("id"), since=Min("created_at"))
    if not found["n"]:
        return None
    url = f"{reverse('inventory:loss-report-list')}?{urlencode({'status': LossReportStatus.PENDING})}"
    return WaitingRow("loss-reports", _("Loss reports to approve"), found["n"], url, found["since"])
