"""SKUs as people type their codes, and the catalogue's lists and searches."""

from __future__ import annotations

from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import Upper

from shop_ops.typed import plain_text

from ..models import Location, Sku, Warehouse
from .visibility import Hidden, _visible_levels


def sku_key(code: str | None) -> str:
    """The one rule for matching a typed SKU code: spaces around it, letter case and full-width characters from a
    Chinese keyboard do not matter (codes are stored as entered)."""
    return plain_text(code).upper()


def skus_by_code(codes) -> dict[str, Sku]:
    """The SKUs whose codes were typed, keyed by `sku_key`, in one query; where two codes differ only in case, the
    exactly typed one wins."""
    typed = {plain_text(code) for code in codes if plain_text(code)}
    found: dict[str, Sku] = {}
    if not typed:
        return found
    matches = Sku.objects.annotate(code_key=Upper("code")).filter(code_key__in={sku_key(code) for code in typed})
    for sku in matches.order_by("pk"):
        key = sku_key(sku.code)
        if key not in found or sku.code in typed:
            found[key] = sku
    return found


def sku_by_code(code: str | None) -> Sku | None:
    """The SKU a person typed the code of, whatever the letter case; None if there is none."""
    return skus_by_code([code or ""]).get(sku_key(code))


def skus_with_totals(*, hidden_warehouses: Hidden = ()) -> QuerySet:
    return Sku.objects.annotate(total=Sum("levels__on_hand", filter=_visible_levels(hidden_warehouses), default=0))


def skus_at_or_below_warning(*, hidden_warehouses: Hidden = ()) -> QuerySet:
    """SKUs whose stock is at or below their warning level. Nothing while warehouses are hidden by a blind count: a
    total without them would call goods short that are not, and a true answer would tell a hidden figure."""
    if hidden_warehouses:
        return Sku.objects.none().values("pk")
    return (
        skus_with_totals(hidden_warehouses=hidden_warehouses)
        .filter(warning_level__gt=0, total__lte=F("warning_level"))
        .values("pk")
    )


def skus_to_delist(*, hidden_warehouses: Hidden = ()) -> QuerySet:
    """Listed goods with nothing left in the warehouse: the shop should take them down (及时通知店铺下架). Nothing
    while warehouses are hidden by a blind count (as for skus_at_or_below_warning): every SKU kept only there would
    look sold out, and the list would invite delisting goods on the shelves."""
    if hidden_warehouses:
        return Sku.objects.none()
    return (
        skus_with_totals(hidden_warehouses=hidden_warehouses)
        .filter(is_listed=True, kind="goods", total__lte=0)
        .order_by("code")
    )


def search_skus(*, text: str = "", kind: str = "", hidden_warehouses: Hidden = ()) -> QuerySet:
    """The catalogue: SKUs (or auxiliary materials) with their total stock, by code, style number, name or barcode."""
    skus = skus_with_totals(hidden_warehouses=hidden_warehouses)
    if kind:
        skus = skus.filter(kind=kind)
    if text:
        skus = skus.filter(
            Q(code__icontains=text) | Q(style_code__icontains=text) | Q(name__icontains=text) | Q(barcode=text)
        )
    return skus.order_by("code")


def search_products(*, text: str = "", hidden_warehouses: Hidden = ()) -> QuerySet:
    """Products (款): the goods grouped by item number, with their SKU count and total stock; one grouped query."""
    goods = Sku.objects.filter(kind="goods")
    if text:
        goods = goods.filter(Q(style_code__icontains=text) | Q(name__icontains=text))
    return (
        goods.values("style_code")
        .annotate(
            name=Min("name"),
            sku_count=Count("pk", distinct=True),  # distinct: the join with the levels repeats each SKU
            colour_count=Count("colour", distinct=True),
            size_count=Count("size", distinct=True),
            total=Sum("levels__on_hand", filter=_visible_levels(hidden_warehouses), default=0),
        )
        .order_by("style_code")
    )


def search_warehouses(*, text: str = "") -> QuerySet:
    warehouses = Warehouse.objects.annotate(location_count=Count("locations"))
    if text:
        warehouses = warehouses.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return warehouses.order_by("code")


def search_locations(*, text: str = "") -> QuerySet:
    locations = Location.objects.select_related("warehouse")
    if text:
        locations = locations.filter(
            Q(code__icontains=text) | Q(name__icontains=text) | Q(warehouse__code__icontains=text)
        )
    return locations.order_by("warehouse__code", "code")
