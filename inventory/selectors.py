"""Reads of the warehouse: stock lists, the ledger, and the monthly 进销存 summary computed from the ledger."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from shop_ops import jobs
from shop_ops.plans import job_statements
from shop_ops.typed import plain_text
from shop_ops.waiting import WaitingRow

from .choices import (
    ACTIVE_PURCHASE_STATUSES,
    CountStatus,
    JobStatus,
    LossReportStatus,
    MovementKind,
    OrderStatus,
    PurchaseRequestStatus,
)
from .models import (
    Location,
    LossReport,
    Order,
    PurchaseRequest,
    Sku,
    StockCount,
    StockLevel,
    StockMovement,
    Warehouse,
)
from .permissions import sees_blind_count_figures

Hidden = frozenset[int] | set[int] | tuple[int, ...]


# --- SKU codes as people type them --------------------------------------------------------------------------------


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


def blind_warehouse_ids(*, user) -> frozenset[int]:
    """The warehouses whose system quantities `user` may not see now: those with an open blind count, unless the
    rule in permissions.py (sees_blind_count_figures) lets this user see them. Every read below that shows
    quantities takes the result as `hidden_warehouses` and leaves those warehouses out, so a figure cannot be worked
    out from a total, an ordering or a filter either."""
    if sees_blind_count_figures(user):
        return frozenset()
    return frozenset(
        StockCount.objects.filter(blind=True, status=CountStatus.OPEN).values_list("warehouse_id", flat=True)
    )


def blind_warehouses(*, user) -> QuerySet:
    """The warehouses of blind_warehouse_ids, for the notice pages show."""
    return Warehouse.objects.filter(pk__in=blind_warehouse_ids(user=user)).order_by("code")


def hides_count_figures(*, count: StockCount, user) -> bool:
    """A count's own system figures (snapshot, movements since, expected, difference) follow the same rule."""
    return count.blind and count.status == CountStatus.OPEN and not sees_blind_count_figures(user)


def export_visible_to(*, job, user) -> bool:
    """A finished summary export may hold a blind-counted warehouse's figures unless it was written for this user
    after every blind count hiding a warehouse from them opened (such a file leaves those warehouses out)."""
    hidden = blind_warehouse_ids(user=user)
    if not hidden:
        return True
    opened = StockCount.objects.filter(warehouse_id__in=hidden, blind=True, status=CountStatus.OPEN).aggregate(
        latest=Max("snapshot_at")
    )["latest"]
    return job.requested_by_id == user.pk and opened is not None and job.created_at >= opened


def _visible_levels(hidden: Hidden) -> Q:
    return ~Q(levels__location__warehouse_id__in=hidden) if hidden else Q()


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
    result = StockMovement.objects.select_related("sku", "location", "created_by")
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


def warehouses_without_count(*, period: datetime.date) -> QuerySet:
    taken = StockCount.objects.filter(period=period).exclude(status=CountStatus.CANCELLED).values("warehouse_id")
    return Warehouse.objects.exclude(pk__in=taken)


def counts_with_progress() -> QuerySet:
    return (
        StockCount.objects.select_related("warehouse", "loss_report")
        .annotate(
            line_total=Count("lines"), line_counted=Count("lines", filter=Q(lines__counted_quantity__isnull=False))
        )
        .order_by("-period", "warehouse__code")
    )


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


# --- 进销存 monthly summary ----------------------------------------------------------------------------------------

SUMMARY_COLUMNS = ("opening", "received", "shipped", "returned", "transferred", "count_difference", "lost", "closing")
# kind → summary column; outbound columns are shown as positive numbers.
_KIND_COLUMN = {
    MovementKind.RECEIPT: ("received", 1),
    MovementKind.SHIPMENT: ("shipped", -1),
    MovementKind.RETURN: ("returned", 1),
    MovementKind.TRANSFER_IN: ("transferred", 1),
    MovementKind.TRANSFER_OUT: ("transferred", 1),
    MovementKind.COUNT_CORRECTION: ("count_difference", 1),
    MovementKind.LOSS: ("lost", -1),
}


@dataclass
class SummaryRow:
    sku: Sku
    qty: dict[str, int] = field(default_factory=dict)
    value: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class MonthlySummary:
    month: datetime.date
    rows: list[SummaryRow]
    total_qty: dict[str, int]
    total_value: dict[str, Decimal]


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as [start, end) in the shop's time zone."""
    start = month.replace(day=1)
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=zone),
    )


def monthly_summary(*, month: datetime.date, text: str = "", hidden_warehouses: Hidden = ()) -> MonthlySummary:
    """进销存 per SKU for a month, from the ledger alone: opening (everything before the month), what came in and
    went out by kind, and closing = opening + the month's movements; quantities and values at cost.

    One grouped query however many movements; SKUs with neither stock nor movement in the month are left out.
    """
    start, end = month_bounds(month)
    aggregates = {
        "opening_qty": Sum("quantity", filter=Q(occurred_at__lt=start), default=0),
        "opening_value": Sum("value", filter=Q(occurred_at__lt=start), default=Decimal("0")),
        "closing_qty": Sum("quantity", default=0),
        "closing_value": Sum("value", default=Decimal("0")),
    }
    in_month = Q(occurred_at__gte=start)
    for kind in MovementKind.values:
        aggregates[f"{kind}_qty"] = Sum("quantity", filter=in_month & Q(kind=kind), default=0)
        aggregates[f"{kind}_value"] = Sum("value", filter=in_month & Q(kind=kind), default=Decimal("0"))
    ledger = StockMovement.objects.filter(occurred_at__lt=end)
    if hidden_warehouses:
        ledger = ledger.exclude(location__warehouse_id__in=hidden_warehouses)
    if text:
        ledger = ledger.filter(Q(sku__code__icontains=text) | Q(sku__name__icontains=text))
    with job_statements():  # a grouped read over the ledger, planned for this month's bounds (shop_ops/plans.py)
        grouped = list(ledger.values("sku_id").annotate(**aggregates).order_by())
    skus = Sku.objects.in_bulk([g["sku_id"] for g in grouped])
    rows = []
    for g in grouped:
        row = SummaryRow(sku=skus[g["sku_id"]])
        for column in SUMMARY_COLUMNS:
            row.qty[column], row.value[column] = 0, Decimal("0")
        row.qty["opening"], row.value["opening"] = g["opening_qty"], g["opening_value"]
        row.qty["closing"], row.value["closing"] = g["closing_qty"], g["closing_value"]
        for kind, (column, sign) in _KIND_COLUMN.items():
            row.qty[column] += sign * g[f"{kind}_qty"]
            row.value[column] += sign * g[f"{kind}_value"]
        if row.qty["opening"] or row.qty["closing"] or any(g[f"{k}_qty"] for k in MovementKind.values):
            rows.append(row)
    rows.sort(key=lambda r: r.sku.code)
    total_qty = {c: sum(r.qty[c] for r in rows) for c in SUMMARY_COLUMNS}
    total_value = {c: sum((r.value[c] for r in rows), Decimal("0")) for c in SUMMARY_COLUMNS}
    return MonthlySummary(month=month.replace(day=1), rows=rows, total_qty=total_qty, total_value=total_value)


def jobs_waiting_for_queue(job_list) -> set[int]:
    """Ids of those jobs whose message is held in the job outbox because the job queue (Redis) was unreachable.
    One query however many jobs a page shows, none when no job is queued."""
    queued = [job.pk for job in job_list if job is not None and job.status == JobStatus.QUEUED]
    return jobs.waiting_job_ids("inventory.close_stock_count_job", "inventory.export_summary_job", job_ids=queued)


# --- Start pages: what waits for the warehouse, and for finance ---------------------------------------------------


def _order_list(status: str) -> str:
    return f"{reverse('inventory:order-list')}?{urlencode({'status': status})}"


def warehouse_queue() -> list[WaitingRow]:
    """The warehouse's start page: orders at each step (check and print, pick, pack, ship) and those handed to
    customer service, open counts, purchase requests to order and ordered goods to receive; each with how many,
    since when the oldest waits, and the page to deal with them. Rows with nothing waiting are left out. Three
    queries."""
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
