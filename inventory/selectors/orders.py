"""Orders: the picking list and the flagged orders."""

from __future__ import annotations

from django.db.models import QuerySet

from ..choices import OrderStatus
from ..models import Order, StockLevel
from .visibility import Hidden


def picking_list(*, hidden_warehouses: Hidden = ()) -> tuple[list[Order], dict[int, list[str]]]:
    """Orders checked and printed, waiting to be picked (oldest first, at most 200 on one list), and for each SKU the
    bins holding it, fullest first: two queries however many orders."""
    orders = list(
        Order.objects.filter(status="printed", needs_customer_service=False)
        .prefetch_related("lines__sku")
        .order_by("created_at", "pk")[:200]
    )
    sku_ids = {line.sku_id for order in orders for line in order.lines.all()}
    bins: dict[int, list[str]] = {}
    for level in (
        StockLevel.objects.filter(sku_id__in=sku_ids, on_hand__gt=0)
        .exclude(location__warehouse_id__in=hidden_warehouses)
        .select_related("location")
        .order_by("-on_hand", "location__code")
    ):
        bins.setdefault(level.sku_id, []).append(f"{level.location.code} ({level.on_hand})")
    return orders, bins


def flagged_orders() -> QuerySet:
    """Orders waiting for customer service, oldest first; a cancelled or shipped order waits for nobody."""
    return (
        Order.objects.filter(needs_customer_service=True)
        .exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.SHIPPED])
        .prefetch_related("lines__sku")
        .order_by("updated_at", "pk")
    )
