"""The catalogue: SKUs, products and colours, auxiliary materials, warehouses, bin locations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from ..choices import SkuKind
from ..exceptions import InventoryConflict, InventoryError
from ..models import Location, Sku, Warehouse


@transaction.atomic
def set_sku_listed(*, sku: Sku, listed: bool, user=None) -> Sku:
    """Mark a SKU listed or delisted in the shop (缺货或过季产品及时通知店铺下架)."""
    sku = Sku.objects.select_for_update().get(pk=sku.pk)
    sku.is_listed = listed
    sku._history_user = user
    sku.save(update_fields=["is_listed"])  # save(), not update(): the audit history records who delisted it
    return sku


def _save_checked(instance, *, user):
    """full_clean (field rules, unique and check constraints, as field errors), then save with the editor named in
    the audit history; a race past the check still meets the database constraint."""
    instance.full_clean()
    instance._history_user = user
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise InventoryConflict(_("Someone saved a clashing record meanwhile; reload and try again.")) from None
    return instance


def check_sku_code_free(*, code: str, pk: int | None = None) -> None:
    """A SKU code is matched whatever its letter case (`selectors.sku_key`), so two codes may not differ only in
    case; raises naming the SKU that has the code already."""
    from ..selectors import sku_key

    taken = Sku.objects.annotate(code_key=Upper("code")).filter(code_key=sku_key(code)).exclude(pk=pk).first()
    if taken is not None:
        raise InventoryConflict(
            _("SKU %(existing)s already has this code (letter case does not matter): %(code)s.")
            % {"existing": taken, "code": code},
            field="code",
        )


def save_sku(*, sku: Sku, user) -> Sku:
    """Create or edit a SKU or an auxiliary material (吊牌, 包装袋, 礼品). Prices, warning level and listing are kept
    in the audit history. Stock is never edited here: it changes only through movements."""
    check_sku_code_free(code=sku.code, pk=sku.pk)
    if sku.kind == SkuKind.MATERIAL:
        sku.is_listed = False  # materials are never sold in the shop, so never on the delisting list
    return _save_checked(sku, user=user)


@dataclass(frozen=True)
class ColourInput:
    name: str  # 白
    code: str  # WHT, part of the SKU code


@transaction.atomic
def create_product(
    *,
    style_code: str,
    name: str,
    colours: Sequence[ColourInput],
    sizes: Sequence[str],
    unit_cost: Decimal,
    sale_price: Decimal,
    user,
    warning_level: int = 0,
    reorder_quantity: int = 0,
) -> list[Sku]:
    """A new product (款) as its grid of SKUs, one per colour and size, coded STYLE-COLOUR-SIZE; all or none."""
    style_code = style_code.strip()
    if not colours or not sizes:
        raise InventoryError(_("Give at least one colour and one size."), field="colours" if not colours else "sizes")
    codes = [f"{style_code}-{colour.code}-{size}" for colour in colours for size in sizes]
    if len(set(codes)) != len(codes):
        raise InventoryError(_("A colour or size is listed twice."), field="colours")
    from ..selectors import skus_by_code

    taken = sorted(sku.code for sku in skus_by_code(codes).values())  # TS001-wht-M would be TS001-WHT-M typed again
    if taken:
        raise InventoryConflict(
            _("These SKUs exist already: %(list)s.") % {"list": ", ".join(taken)}, field="style_code"
        )
    created = []
    for colour in colours:
        for size in sizes:
            sku = Sku(
                code=f"{style_code}-{colour.code}-{size}",
                style_code=style_code,
                name=name,
                colour=colour.name,
                size=size,
                unit_cost=unit_cost,
                sale_price=sale_price,
                warning_level=warning_level,
                reorder_quantity=reorder_quantity,
            )
            try:
                created.append(_save_checked(sku, user=user))
            except ValidationError as exc:
                raise InventoryError(
                    _("%(code)s: %(problem)s") % {"code": sku.code, "problem": " ".join(exc.messages)},
                    field="style_code",
                ) from None
    return created


def save_warehouse(*, warehouse: Warehouse, user) -> Warehouse:
    """Create or rename a warehouse (仓库)."""
    return _save_checked(warehouse, user=user)


def save_location(*, location: Location, user) -> Location:
    """Create or edit a bin location (库位). A location holding stock cannot move to another warehouse: its levels
    and ledger rows would silently change warehouse."""
    if location.pk:
        before = Location.objects.only("warehouse_id").get(pk=location.pk)
        if before.warehouse_id != location.warehouse_id and location.levels.exclude(on_hand=0).exists():
            raise InventoryConflict(
                _("Location %(code)s holds stock; transfer it out before moving the location to another warehouse.")
                % {"code": location.code},
                field="warehouse",
            )
    return _save_checked(location, user=user)
