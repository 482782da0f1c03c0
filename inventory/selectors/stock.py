"""Stock levels and the movement ledger."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from roles.selectors import with_names

from ..models import StockLevel, StockMovement
from .catalogue import skus_at_or_below_warning
from .visibility import Hidden


def search_levels(
    *, text: str = "", location_id: int | None = None, below_warning: bool = False, hidden_warehouses: Hidden = ()
) -> QuerySet:
    """Stock levels with SKU and location loaded, filtered by a search text (code, style number, name)."""
    levels = StockLevel.objects.select_related("sku", "location", "location__warehouse")
    if hidden_warehouses:
        levels = levels.exclude(location__warehouse_id__in=hidden_warehouses)
    if text:
        levels = levels.filter(
            Q(sku__code__icontains=text) | Q(sku__style_code__icontains=text) | Q(sku__name__icontains=text)
        )
    if location_id:
        levels = levels.filter(location_id=location_id)
    if below_warning:
        levels = levels.filter(sku__in=skus_at_or_below_warning(hidden_warehouses=hidden_warehouses))
    return levels.order_by("sku__code", "location__code")


def movements(
    *,
    sku_id=None,
    sku_code: str = "",
    location_id=None,
    kind: str = "",
    reference: str = "",
    hidden_warehouses: Hidden = (),
) -> QuerySet:
    """The ledger, newest first; `sku_code` matches any part of a code whatever the case ("wht" finds every white
    SKU), as `reference` does."""
    result = with_names(StockMovement.objects.select_related("sku", "location"), "created_by")
    if sku_code:
        result = result.filter(sku__code__icontains=sku_code.strip())
    if hidden_warehouses:
        result = result.exclude(location__warehouse_id__in=hidden_warehouses)
    if sku_id:
        result = result.filter(sku_id=sku_id)
    if location_id:
        result = result.filter(location_id=location_id)
    if kind:
        result = result.filter(kind=kind)
    if reference:
        result = result.filter(reference__icontains=reference)
    return result.order_by("-occurred_at", "-id")
