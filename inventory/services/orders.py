"""Orders (打单 → 配货 → 打包 → 发货): the steps, packing checks, shipping and flags."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shop_ops.typed import plain_text

from ..choices import MovementKind, OrderStatus
from ..exceptions import InsufficientStock, InvalidTransition, InventoryConflict, InventoryError, NotForYou
from ..models import Order, OrderLine, Sku, StockLevel
from ..permissions import can_answer_flagged_orders, can_cancel_flagged_orders
from .movements import MovementInput, post_movements

ORDER_STEPS = {
    OrderStatus.NEW: OrderStatus.PRINTED,
    OrderStatus.PRINTED: OrderStatus.PICKED,
    OrderStatus.PICKED: OrderStatus.PACKED,
    OrderStatus.PACKED: OrderStatus.SHIPPED,
}


def _locked_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _shortages_for(order: Order) -> list[str]:
    lines = list(order.lines.select_related("sku"))
    totals = dict(
        StockLevel.objects.filter(sku_id__in=[line.sku_id for line in lines])
        .values_list("sku_id")
        .annotate(total=Sum("on_hand"))
    )
    return [
        f"{line.sku.code} ({totals.get(line.sku_id, 0)}/{line.quantity})"
        for line in lines
        if totals.get(line.sku_id, 0) < line.quantity
    ]


def advance_order(*, order: Order, to_status: str, user) -> Order:
    """Move an order one step on: checked and printed (审核打印), then picked (配货); or cancel it. Packing goes
    through `pack_order` (the packing check) and shipping through `ship_order` (courier and tracking number).
    Flagged orders wait for customer service. Picking an order the shelves cannot fill flags it for customer service
    instead (缺货订单第一时间移交客服)."""
    if to_status == OrderStatus.PACKED:
        raise InvalidTransition(_("Pack an order with the packing check: scan what goes into the parcel."))
    if to_status == OrderStatus.SHIPPED:
        raise InvalidTransition(_("Ship an order with its courier and tracking number."))
    with transaction.atomic():
        order = _locked_order(order)
        if to_status == OrderStatus.CANCELLED:
            if order.status == OrderStatus.SHIPPED:
                raise InvalidTransition(_("A shipped order cannot be cancelled; record a return instead."))
            if order.needs_customer_service and not can_cancel_flagged_orders(user):
                # Whether the customer still wants it is what customer service is asking.
                raise NotForYou(
                    _(
                        "Order %(number)s is with customer service (%(reason)s); customer service or a manager "
                        "decides whether it is cancelled."
                    )
                    % {"number": order.number, "reason": order.flag_reason}
                )
            order.status = OrderStatus.CANCELLED
            order.needs_customer_service = False  # the cancellation is customer service's answer
            order.save(update_fields=["status", "needs_customer_service", "updated_at"])
            return order
        if ORDER_STEPS.get(order.status) != to_status:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s; it cannot move to that step.")
                % {"number": order.number, "status": order.get_status_display()}
            )
        _refuse_while_with_customer_service(order)
        if to_status == OrderStatus.PICKED:
            short = _shortages_for(order)
            if short:
                order.needs_customer_service = True
                order.flag_reason = (_("Out of stock: %(list)s") % {"list": ", ".join(short)})[:200]
                order.flagged_by, order.flagged_at = user, timezone.now()
                order.save(
                    update_fields=["needs_customer_service", "flag_reason", "flagged_by", "flagged_at", "updated_at"]
                )
                return order
        order.status = to_status
        order.save(update_fields=["status", "updated_at"])
        return order


@dataclass(frozen=True)
class PackedItem:
    """What the packer scanned into the parcel: a SKU code or barcode and how many."""

    code: str
    quantity: int = 1


def _describe(sku: Sku) -> str:
    return " ".join(part for part in (sku.code, sku.colour, sku.size) if part)


def _packed_skus(items: Sequence[PackedItem]) -> dict[str, Sku]:
    """The SKU behind each scanned code (a SKU code in any letter case or width, or a barcode), keyed by the code
    as scanned (stripped); unknown codes are left out."""
    from ..selectors import sku_key, skus_by_code

    codes = {item.code.strip() for item in items}
    by_code = skus_by_code(codes)
    barcodes = {plain_text(code) for code in codes if sku_key(code) not in by_code}
    by_barcode = {sku.barcode: sku for sku in Sku.objects.filter(barcode__in=barcodes).exclude(barcode="")}
    found = {code: by_code[sku_key(code)] for code in codes if sku_key(code) in by_code}
    found |= {code: by_barcode[plain_text(code)] for code in codes if plain_text(code) in by_barcode}
    return found


def packing_mismatches(*, order: Order, items: Sequence[PackedItem]) -> list[str]:
    """Compare the parcel with the order line by line: SKU (so item number, colour and size) and quantity. Returns a
    readable list of every difference; empty when the parcel is right."""
    expected: dict[int, int] = defaultdict(int)
    skus: dict[int, Sku] = {}
    for line in order.lines.select_related("sku"):
        expected[line.sku_id] += line.quantity
        skus[line.sku_id] = line.sku
    found = _packed_skus(items)
    problems, packed = [], defaultdict(int)
    for item in items:
        if item.quantity < 1:
            problems.append(_("%(code)s: the quantity must be at least 1.") % {"code": item.code})
            continue
        sku = found.get(item.code.strip())
        if sku is None:
            problems.append(_("%(code)s is not a known SKU or barcode.") % {"code": item.code})
            continue
        packed[sku.pk] += item.quantity
        skus[sku.pk] = sku
    extras = {pk: n for pk, n in packed.items() if pk not in expected}
    for pk, want in expected.items():
        got = packed.get(pk, 0)
        sku = skus[pk]
        if got == want:
            continue
        if got:
            problems.append(
                _("%(sku)s: %(got)s packed, the order has %(want)s.")
                % {"sku": _describe(sku), "got": got, "want": want}
            )
            continue
        # Nothing of this SKU: name the look-alike that went in instead (same item number, other colour or size).
        swap = next((skus[x] for x in extras if sku.style_code and skus[x].style_code == sku.style_code), None)
        if swap is None:
            problems.append(_("%(sku)s × %(want)s is missing.") % {"sku": _describe(sku), "want": want})
            continue
        differs = []
        if swap.colour != sku.colour:
            differs.append(_("colour %(want)s, not %(got)s") % {"want": sku.colour, "got": swap.colour})
        if swap.size != sku.size:
            differs.append(_("size %(want)s, not %(got)s") % {"want": sku.size, "got": swap.size})
        problems.append(
            _("%(sku)s was ordered but %(other)s was packed (%(what)s).")
            % {"sku": _describe(sku), "other": _describe(swap), "what": ", ".join(differs) or _("another SKU")}
        )
        extras.pop(swap.pk)
    for pk, n in extras.items():
        problems.append(_("%(sku)s × %(n)s is not in the order.") % {"sku": _describe(skus[pk]), "n": n})
    return problems


def pack_order(*, order: Order, items: Sequence[PackedItem], user) -> Order:
    """The packing check (打包核对): what went into the parcel must match the order in SKU, colour, size and quantity.
    A match packs the order; a mismatch blocks packing and hands the order to customer service with the differences
    (the order stays picked, nothing is posted). A code that is no SKU or barcode at all is a typo or a bad scan:
    it is refused with "scan again" and the order stays where it was."""
    if not items:
        raise InventoryError(_("Scan or type at least one item."), field="items")
    found = _packed_skus(items)
    unknown = list(dict.fromkeys(item.code.strip() for item in items if item.code.strip() not in found))
    if unknown:
        raise InventoryError(
            _("%(codes)s: not a known SKU or barcode. Scan it again.") % {"codes": ", ".join(unknown)}, field="items"
        )
    with transaction.atomic():
        order = _locked_order(order)
        if order.status != OrderStatus.PICKED:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s; only a picked order can be packed.")
                % {"number": order.number, "status": order.get_status_display()}
            )
        _refuse_while_with_customer_service(order)
        problems = packing_mismatches(order=order, items=items)
        if problems:
            order.needs_customer_service = True
            order.flag_reason = (_("Packing check failed: %(list)s") % {"list": " ".join(problems)})[:200]
            order.flagged_by, order.flagged_at = user, timezone.now()
            order.save(
                update_fields=["needs_customer_service", "flag_reason", "flagged_by", "flagged_at", "updated_at"]
            )
            return order
        order.status = OrderStatus.PACKED
        order.save(update_fields=["status", "updated_at"])
        return order


def ship_order(*, order: Order, tracking_number: str, user, courier: str = "") -> Order:
    """Hand a packed order to the courier (发货): record courier and tracking number and post the shipment movements
    from the bins holding the most, all in one transaction (将每天发出的订单在系统中减除)."""
    tracking_number = plain_text(tracking_number)  # ＳＦ１２３… from a Chinese keyboard is stored as SF123…
    if not tracking_number:
        raise InventoryError(_("Enter the tracking number."), field="tracking_number")
    if len(tracking_number) > 40:
        raise InventoryError(_("The tracking number is limited to 40 characters."), field="tracking_number")
    with transaction.atomic():
        order = _locked_order(order)
        if order.status != OrderStatus.PACKED:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s; only a packed order can be shipped.")
                % {"number": order.number, "status": order.get_status_display()}
            )
        _refuse_while_with_customer_service(order)
        courier = (courier or "").strip() or order.courier
        if not courier:
            raise InventoryError(_("Enter the courier."), field="courier")
        _ship(order=order, user=user)
        order.status = OrderStatus.SHIPPED
        order.courier, order.tracking_number = courier[:30], tracking_number
        order.save(update_fields=["status", "courier", "tracking_number", "shipped_at", "updated_at"])
        return order


def _ship(*, order: Order, user) -> None:
    """Take each line from the location holding most of that SKU (将每天发出的订单在系统中减除)."""
    movements = []
    for line in order.lines.all():
        level = (
            StockLevel.objects.filter(sku_id=line.sku_id, on_hand__gte=line.quantity).order_by("-on_hand", "pk").first()
        )
        if level is None:
            raise InsufficientStock(
                _("No single location holds %(n)s of %(sku)s; transfer stock first or flag the order.")
                % {"n": line.quantity, "sku": line.sku.code},
                shortages=[],
            )
        movements.append(
            MovementInput(
                line.sku_id, level.location_id, MovementKind.SHIPMENT, -line.quantity, _("Order shipped"), order.number
            )
        )
    post_movements(movements=movements, user=user)
    order.shipped_at = timezone.now()


@transaction.atomic
def flag_order(*, order: Order, reason: str, user) -> Order:
    """Hand a doubtful order to customer service (有疑义的订单移交客服); it stops until they resolve it. An order
    already with customer service is not handed over again: the first reason and who gave it stay."""
    order = _locked_order(order)
    reason = (reason or "").strip()
    if not reason:
        raise InventoryError(_("Say what customer service should check."), field="reason")
    if order.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        raise InvalidTransition(_("A shipped or cancelled order cannot be flagged."))
    if order.needs_customer_service:
        since = order.flagged_at or order.updated_at
        raise InvalidTransition(
            _("Order %(number)s is already with customer service since %(since)s, by %(who)s: %(reason)s")
            % {
                "number": order.number,
                "since": f"{timezone.localtime(since):%Y-%m-%d %H:%M}",
                "who": order.flagged_by or "—",
                "reason": order.flag_reason,
            },
            field="reason",
        )
    order.needs_customer_service = True
    order.flag_reason = reason[:200]
    order.flagged_by, order.flagged_at = user, timezone.now()
    order.save(update_fields=["needs_customer_service", "flag_reason", "flagged_by", "flagged_at", "updated_at"])
    return order


@transaction.atomic
def resolve_order_flag(*, order: Order, note: str, user) -> Order:
    """Customer service answers a flagged order; the warehouse carries on from the step it stopped at. Only
    customer service answers (`can_answer_flagged_orders`), and never the person who handed the order over."""
    if not can_answer_flagged_orders(user):
        raise NotForYou(_("Only customer service answers an order handed to customer service."))
    order = _locked_order(order)
    note = (note or "").strip()
    if not order.needs_customer_service:
        raise InvalidTransition(_("This order is not waiting for customer service."))
    if order.flagged_by_id is not None and order.flagged_by_id == user.pk:
        raise NotForYou(
            _("You handed this order to customer service; a colleague in customer service answers it, not you.")
        )
    if not note:
        raise InventoryError(_("Write what was agreed with the customer."), field="note")
    order.needs_customer_service = False
    order.resolution_note = note[:200]
    order.save(update_fields=["needs_customer_service", "resolution_note", "updated_at"])
    return order


@dataclass(frozen=True)
class OrderInput:
    number: str
    recipient: str
    address: str
    lines: list[tuple[int, int]]  # (sku_id, quantity)
    phone: str = ""
    courier: str = ""


@transaction.atomic
def create_orders(*, orders: Sequence[OrderInput]) -> list[Order]:
    """Create orders with their lines, all or none (an import of the day's orders)."""
    numbers = [o.number for o in orders]
    taken = set(Order.objects.filter(number__in=numbers).values_list("number", flat=True))
    if taken:
        raise InventoryConflict(_("These orders exist already: %(list)s.") % {"list": ", ".join(sorted(taken))})
    created = Order.objects.bulk_create(
        [
            Order(number=o.number, recipient=o.recipient, address=o.address, phone=o.phone, courier=o.courier)
            for o in orders
        ]
    )
    if not all(order.pk for order in created):  # SQLite before 3.35 returns no ids from bulk_create
        created = list(Order.objects.filter(number__in=numbers))
    by_number = {order.number: order for order in created}
    OrderLine.objects.bulk_create(
        [OrderLine(order=by_number[o.number], sku_id=s, quantity=q) for o in orders for s, q in o.lines]
    )
    return created


def _refuse_while_with_customer_service(order: Order) -> None:
    """A flagged order moves no further in the warehouse until customer service answers it (`resolve_flag`)."""
    if order.needs_customer_service:
        raise InvalidTransition(
            _("Order %(number)s waits for customer service: %(reason)s")
            % {"number": order.number, "reason": order.flag_reason}
        )
