"""Every write to the warehouse goes through these functions: they hold the rules; views, the API, imports and
Celery tasks call them. Stock changes only through `post_movements`, which writes the ledger and the levels in one
transaction."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import (
    ACTIVE_PURCHASE_STATUSES,
    INBOUND_KINDS,
    OUTBOUND_KINDS,
    CountStatus,
    JobKind,
    JobStatus,
    LossReportStatus,
    MovementKind,
    OrderStatus,
    PurchaseRequestStatus,
)
from .exceptions import InsufficientStock, InvalidTransition, InventoryConflict, InventoryError
from .models import (
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
from .money import to_cent
from .permissions import can_override_negative

# Counts with more lines than this close in a background job with a progress bar; smaller ones close at once.
COUNT_CLOSE_INLINE_LINES = 500
COUNT_CLOSE_CHUNK = 500


@dataclass(frozen=True)
class MovementInput:
    """One movement to post. `quantity` is the signed change (+ in, - out); see `signed_quantity`."""

    sku_id: int
    location_id: int
    kind: str
    quantity: int
    reason: str = ""
    reference: str = ""


def signed_quantity(*, kind: str, quantity: int) -> int:
    """Forms and files give a number of units; the ledger wants the sign of the direction the kind moves stock."""
    if kind in OUTBOUND_KINDS:
        return -abs(quantity)
    if kind in INBOUND_KINDS:
        return abs(quantity)
    return quantity


def _check_input(movement: MovementInput) -> str | None:
    if movement.kind not in MovementKind.values:
        return _("Unknown movement kind “%(kind)s”.") % {"kind": movement.kind}
    if not isinstance(movement.quantity, int) or isinstance(movement.quantity, bool) or movement.quantity == 0:
        return _("The quantity must be a whole number other than zero.")
    if movement.kind in INBOUND_KINDS and movement.quantity < 0:
        return _("A %(kind)s adds stock: its quantity must be positive.") % {"kind": movement.kind}
    if movement.kind in OUTBOUND_KINDS and movement.quantity > 0:
        return _("A %(kind)s takes stock out: its quantity must be negative.") % {"kind": movement.kind}
    if len(movement.reason) > 200 or len(movement.reference) > 60:
        return _("The reason is limited to 200 characters and the reference to 60.")
    return None


def post_movements(
    *,
    movements: Sequence[MovementInput],
    user,
    allow_negative: bool = False,
    occurred_at: datetime.datetime | None = None,
) -> list[StockMovement]:
    """Post a batch of movements all-or-nothing: the ledger rows and the stock levels change in one transaction.

    Levels are locked in primary-key order (so two batches never deadlock) and changed with F() expressions. A level
    may go below zero only with `allow_negative`, which only a manager may use; the override is recorded on the
    movement.
    """
    if not movements:
        raise InventoryError(_("Nothing to post: give at least one movement."))
    for index, movement in enumerate(movements):
        problem = _check_input(movement)
        if problem:
            raise InventoryError(
                _("Movement %(n)s: %(problem)s") % {"n": index + 1, "problem": problem}, field="movements"
            )
    if allow_negative and not can_override_negative(user):
        raise InventoryError(_("Only a manager may post stock below zero."), field="allow_negative")

    sku_ids = {m.sku_id for m in movements}
    location_ids = {m.location_id for m in movements}
    skus = Sku.objects.only("id", "code", "unit_cost").in_bulk(sku_ids)
    locations = Location.objects.only("id", "code").in_bulk(location_ids)
    missing = [str(i) for i in sku_ids - set(skus)] + [str(i) for i in location_ids - set(locations)]
    if missing:
        raise InventoryError(_("Unknown SKU or location: %(ids)s.") % {"ids": ", ".join(missing)}, field="movements")

    deltas: dict[tuple[int, int], int] = defaultdict(int)
    for movement in movements:
        deltas[(movement.sku_id, movement.location_id)] += movement.quantity

    with transaction.atomic():
        level_ids = _level_ids(keys=set(deltas))
        # Lock in a stable order: two batches touching the same levels wait for each other instead of deadlocking.
        levels = list(StockLevel.objects.select_for_update().filter(pk__in=level_ids.values()).order_by("pk"))
        now = timezone.now()  # read after the locks, so a count snapshot and this posting are ordered in time
        shortages = []
        negative_keys = set()
        for level in levels:
            key = (level.sku_id, level.location_id)
            delta = deltas[key]
            after = level.on_hand + delta
            if after < 0:
                negative_keys.add(key)
                if delta < 0 and not allow_negative:
                    shortages.append(
                        {
                            "sku": skus[level.sku_id].code,
                            "location": locations[level.location_id].code,
                            "on_hand": level.on_hand,
                            "change": delta,
                        }
                    )
            level.on_hand = F("on_hand") + delta
            level.allow_negative = after < 0
        if shortages:
            listed = "; ".join(
                _("%(sku)s at %(location)s has %(on_hand)s, the batch takes %(need)s") % {**s, "need": -s["change"]}
                for s in shortages
            )
            raise InsufficientStock(
                _("Not enough stock: %(list)s. Nothing was posted.") % {"list": listed}, shortages=shortages
            )
        StockLevel.objects.bulk_update(levels, ["on_hand", "allow_negative"], batch_size=1000)
        rows = []
        for movement in movements:
            cost = skus[movement.sku_id].unit_cost
            rows.append(
                StockMovement(
                    sku_id=movement.sku_id,
                    location_id=movement.location_id,
                    kind=movement.kind,
                    quantity=movement.quantity,
                    unit_cost=cost,
                    value=to_cent(cost * movement.quantity),
                    reason=movement.reason,
                    reference=movement.reference,
                    negative_override=(movement.sku_id, movement.location_id) in negative_keys,
                    created_by=user,
                    occurred_at=occurred_at or now,
                    posted_at=now,
                )
            )
        return StockMovement.objects.bulk_create(rows, batch_size=1000)


def _level_ids(*, keys: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Ids of the levels for these (sku, location) pairs, creating missing rows (a concurrent creator is harmless)."""
    sku_ids = {k[0] for k in keys}
    location_ids = {k[1] for k in keys}

    def read() -> dict[tuple[int, int], int]:
        found = StockLevel.objects.filter(sku_id__in=sku_ids, location_id__in=location_ids).values_list(
            "sku_id", "location_id", "pk"
        )
        return {(s, loc): pk for s, loc, pk in found if (s, loc) in keys}

    ids = read()
    missing = keys - set(ids)
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(sku_id=s, location_id=loc) for s, loc in missing], ignore_conflicts=True, batch_size=1000
        )
        ids = read()
    return ids


def post_movement(
    *,
    sku: Sku,
    location: Location,
    kind: str,
    quantity: int,
    user,
    reason: str = "",
    reference: str = "",
    allow_negative: bool = False,
) -> StockMovement:
    """One movement from a form or the API: `quantity` is a number of units, signed here by the kind."""
    if kind not in MovementKind.values or kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT):
        raise InventoryError(_("Post transfers with the transfer form."), field="kind")
    if kind == MovementKind.COUNT_CORRECTION:
        raise InventoryError(_("Count corrections are posted by closing a stock count."), field="kind")
    (movement,) = post_movements(
        movements=[
            MovementInput(
                sku_id=sku.pk,
                location_id=location.pk,
                kind=kind,
                quantity=signed_quantity(kind=kind, quantity=quantity),
                reason=reason,
                reference=reference,
            )
        ],
        user=user,
        allow_negative=allow_negative,
    )
    return movement


def transfer_stock(
    *, sku: Sku, from_location: Location, to_location: Location, quantity: int, user, reason: str = ""
) -> list[StockMovement]:
    """Move units between two bin locations (调拨): a transfer_out and a transfer_in in one batch."""
    if from_location.pk == to_location.pk:
        raise InventoryError(_("Choose two different locations."), field="to_location")
    if quantity <= 0:
        raise InventoryError(_("The quantity must be at least 1."), field="quantity")
    reference = f"TR-{timezone.now():%Y%m%d%H%M%S}"
    return post_movements(
        movements=[
            MovementInput(sku.pk, from_location.pk, MovementKind.TRANSFER_OUT, -quantity, reason, reference),
            MovementInput(sku.pk, to_location.pk, MovementKind.TRANSFER_IN, quantity, reason, reference),
        ],
        user=user,
    )


@transaction.atomic
def set_sku_listed(*, sku: Sku, listed: bool) -> Sku:
    """Mark a SKU listed or delisted in the shop (缺货或过季产品及时通知店铺下架)."""
    Sku.objects.filter(pk=sku.pk).update(is_listed=listed)
    sku.is_listed = listed
    return sku


# --- Stock counts (盘点) -------------------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def count_day_of(month: datetime.date) -> int:
    """The day of `month` the monthly count opens: INVENTORY_COUNT_DAY, or the month's last day when it is 0 or
    beyond the month's length."""
    last = calendar.monthrange(month.year, month.month)[1]
    configured = settings.INVENTORY_COUNT_DAY
    return last if not configured or configured > last else configured


@transaction.atomic
def open_stock_count(*, warehouse: Warehouse, period: datetime.date, user=None, blind: bool = False) -> StockCount:
    """Open the count of a warehouse for a month: every stock level there gets a line with its system quantity now.

    The levels are locked while the snapshot is read, so a posting is either in the snapshot or after it.
    """
    period = month_start(period)
    if StockCount.objects.filter(warehouse=warehouse, period=period).exclude(status=CountStatus.CANCELLED).exists():
        raise InventoryConflict(
            _("%(warehouse)s already has a count for %(month)s.") % {"warehouse": warehouse, "month": f"{period:%Y-%m}"}
        )
    levels = list(
        StockLevel.objects.select_for_update()
        .filter(location__warehouse=warehouse)
        .order_by("pk")
        .values_list("sku_id", "location_id", "on_hand")
    )
    count = StockCount(warehouse=warehouse, period=period, blind=blind, opened_by=user, snapshot_at=timezone.now())
    try:
        with transaction.atomic():
            count.save()
    except IntegrityError:
        raise InventoryConflict(_("This warehouse already has a count for that month.")) from None
    StockCountLine.objects.bulk_create(
        [StockCountLine(count=count, sku_id=s, location_id=loc, snapshot_quantity=q) for s, loc, q in levels],
        batch_size=2000,
    )
    return count


@transaction.atomic
def record_count(*, line: StockCountLine, counted_quantity: int, user) -> StockCountLine:
    """Record what a counter found on the shelf; the movements posted since the snapshot move the expected figure."""
    count = StockCount.objects.select_for_update().get(pk=line.count_id)
    if count.status != CountStatus.OPEN:
        raise InvalidTransition(
            _("This count is %(status)s; counting is over.") % {"status": count.get_status_display()}
        )
    if counted_quantity is None or counted_quantity < 0:
        raise InventoryError(_("The counted quantity must be zero or more."), field="counted_quantity")
    now = timezone.now()
    moved = StockMovement.objects.filter(
        sku_id=line.sku_id, location_id=line.location_id, posted_at__gt=count.snapshot_at, posted_at__lte=now
    ).aggregate(total=Sum("quantity", default=0))["total"]
    line.counted_quantity = counted_quantity
    line.counted_at = now
    line.counted_by = user
    line.movements_since_snapshot = moved
    line.save(update_fields=["counted_quantity", "counted_at", "counted_by", "movements_since_snapshot"])
    return line


@transaction.atomic
def cancel_stock_count(*, count: StockCount, user) -> StockCount:
    """Drop an open count (nothing was posted yet); the month may then be counted again."""
    count = StockCount.objects.select_for_update().get(pk=count.pk)
    if count.status != CountStatus.OPEN:
        raise InvalidTransition(_("Only an open count can be cancelled."))
    count.status = CountStatus.CANCELLED
    count.closed_by = user
    count.closed_at = timezone.now()
    count.save(update_fields=["status", "closed_by", "closed_at"])
    return count


def close_stock_count(*, count: StockCount, user) -> InventoryJob | None:
    """Close a fully counted count: post a count_correction for every difference and write the loss report.

    A small count closes at once, all-or-nothing (returns None). A big one becomes a job row the page polls; the
    Celery task closes it in chunks and can be re-run safely after a failure (returns the job).
    """
    with transaction.atomic():
        count = StockCount.objects.select_for_update().get(pk=count.pk)
        if count.status != CountStatus.OPEN:
            raise InvalidTransition(_("This count is %(status)s, not open.") % {"status": count.get_status_display()})
        uncounted = count.lines.filter(counted_quantity__isnull=True).count()
        if uncounted:
            raise InventoryConflict(
                _("%(n)s line(s) are not counted yet; count every line before closing.") % {"n": uncounted}
            )
        total = count.lines.count()
        count.status = CountStatus.CLOSING
        count.closed_by = user
        count.save(update_fields=["status", "closed_by"])
        if total <= COUNT_CLOSE_INLINE_LINES:
            _finish_count_close(count=count, user=user, job=None)
            return None
        job = InventoryJob.objects.create(kind=JobKind.COUNT_CLOSE, count=count, total=total, requested_by=user)
        from .tasks import close_stock_count_job  # the task module imports services; import here avoids the cycle

        transaction.on_commit(lambda: close_stock_count_job.delay(job.pk))
        return job


def run_count_close_job(*, job_id: int) -> InventoryJob:
    """Worker side of a big count close: chunk by chunk (each its own transaction, each line corrected once), then
    the loss report. Safe to run twice: a finished job is left alone, an interrupted one continues."""
    job = InventoryJob.objects.select_related("count", "requested_by").get(pk=job_id)
    if job.status == JobStatus.DONE:
        return job
    InventoryJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, error="")
    try:
        _finish_count_close(count=job.count, user=job.requested_by, job=job)
    except Exception as exc:
        InventoryJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(getattr(exc, "message", exc)), finished_at=timezone.now()
        )
        raise
    InventoryJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, done=job.total, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _finish_count_close(*, count: StockCount, user, job: InventoryJob | None) -> None:
    reference = f"COUNT-{count.pk}"
    reason = _("Stock count %(month)s") % {"month": f"{count.period:%Y-%m}"}
    pending = count.lines.filter(adjusted=False).select_related("sku").order_by("pk")
    done = count.lines.filter(adjusted=True).count()
    while True:
        chunk = list(pending[:COUNT_CLOSE_CHUNK])
        if not chunk:
            break
        corrections = [
            MovementInput(
                line.sku_id, line.location_id, MovementKind.COUNT_CORRECTION, line.difference, reason, reference
            )
            for line in chunk
            if line.difference
        ]
        with transaction.atomic():  # a chunk's corrections and its "adjusted" marks commit together
            if corrections:
                post_movements(movements=corrections, user=user)
            StockCountLine.objects.filter(pk__in=[line.pk for line in chunk]).update(adjusted=True)
        done += len(chunk)
        if job is not None:
            InventoryJob.objects.filter(pk=job.pk).update(done=done)
    with transaction.atomic():
        _write_loss_report(count=count)
        StockCount.objects.filter(pk=count.pk).update(status=CountStatus.CLOSED, closed_at=timezone.now())


def _write_loss_report(*, count: StockCount) -> None:
    shortages = [
        line
        for line in count.lines.select_related("sku").order_by("sku__code", "location__code")
        if (line.difference or 0) < 0
    ]
    if shortages and not LossReport.objects.filter(count=count).exists():
        report = LossReport.objects.create(count=count)
        lines = [
            LossReportLine(
                report=report,
                sku_id=line.sku_id,
                location_id=line.location_id,
                quantity=-line.difference,
                unit_cost=line.sku.unit_cost,
                value=to_cent(line.sku.unit_cost * -line.difference),
            )
            for line in shortages
        ]
        LossReportLine.objects.bulk_create(lines, batch_size=1000)
        report.total_quantity = sum(line.quantity for line in lines)
        report.total_value = to_cent(sum((line.value for line in lines), start=to_cent(0)))
        report.save(update_fields=["total_quantity", "total_value"])


@transaction.atomic
def review_loss_report(*, report: LossReport, approve: bool, user, note: str = "") -> LossReport:
    """Finance approves or rejects a pending 报损单; a rejection needs a note saying why."""
    from .permissions import can_review_loss_reports

    if not can_review_loss_reports(user):
        raise InventoryError(_("Only finance reviews loss reports."))
    report = LossReport.objects.select_for_update().get(pk=report.pk)
    if report.status != LossReportStatus.PENDING:
        raise InvalidTransition(
            _("This loss report is already %(status)s.") % {"status": report.get_status_display().lower()}
        )
    note = (note or "").strip()
    if not approve and not note:
        raise InventoryError(_("Say why the loss report is rejected."), field="note")
    if len(note) > 500:
        raise InventoryError(_("The note is limited to 500 characters."), field="note")
    report.status = LossReportStatus.APPROVED if approve else LossReportStatus.REJECTED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.review_note = note
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    return report


# --- Purchase requests (进货单) ------------------------------------------------------------------------------------

PURCHASE_TRANSITIONS = {
    PurchaseRequestStatus.OPEN: {PurchaseRequestStatus.ORDERED, PurchaseRequestStatus.CANCELLED},
    PurchaseRequestStatus.ORDERED: {PurchaseRequestStatus.RECEIVED, PurchaseRequestStatus.CANCELLED},
}


def raise_purchase_requests() -> list[PurchaseRequest]:
    """Raise a 进货单 for every SKU whose total stock is at or below its warning level and that has no open request.

    Safe to run twice and next to a person raising one by hand: the partial unique constraint keeps one open
    request per SKU and conflicting inserts are skipped.
    """
    candidates = (
        Sku.objects.filter(warning_level__gt=0)
        .exclude(purchase_requests__status__in=ACTIVE_PURCHASE_STATUSES)
        .annotate(total=Sum("levels__on_hand", default=0))
        .filter(total__lte=F("warning_level"))
    )
    requests = [
        PurchaseRequest(
            sku=sku,
            quantity=sku.reorder_quantity or max(2 * sku.warning_level - sku.total, 1),
            on_hand_when_raised=sku.total,
            reason=_("At or below the warning level (%(level)s)") % {"level": sku.warning_level},
        )
        for sku in candidates
    ]
    with transaction.atomic():
        PurchaseRequest.objects.bulk_create(requests, ignore_conflicts=True)
    return requests


@transaction.atomic
def create_purchase_request(*, sku: Sku, quantity: int, user, reason: str = "") -> PurchaseRequest:
    """A receiving clerk raises a 进货单 by hand."""
    if quantity < 1:
        raise InventoryError(_("The quantity must be at least 1."), field="quantity")
    if PurchaseRequest.objects.filter(sku=sku, status__in=ACTIVE_PURCHASE_STATUSES).exists():
        raise InventoryConflict(_("%(sku)s already has an open purchase request.") % {"sku": sku.code}, field="sku")
    on_hand = sku.levels.aggregate(total=Sum("on_hand", default=0))["total"]
    try:
        with transaction.atomic():
            return PurchaseRequest.objects.create(
                sku=sku, quantity=quantity, created_by=user, reason=reason, on_hand_when_raised=on_hand
            )
    except IntegrityError:
        raise InventoryConflict(_("%(sku)s already has an open purchase request.") % {"sku": sku.code}) from None


@transaction.atomic
def change_purchase_request_status(
    *,
    request: PurchaseRequest,
    status: str,
    user,
    location: Location | None = None,
    received_quantity: int | None = None,
) -> PurchaseRequest:
    """Move a 进货单 along open → ordered → received (or cancelled). Receiving posts the receipt at `location`."""
    request = PurchaseRequest.objects.select_for_update().select_related("sku").get(pk=request.pk)
    if status not in PURCHASE_TRANSITIONS.get(request.status, set()):
        raise InvalidTransition(
            _("A purchase request that is %(current)s cannot become %(new)s.")
            % {
                "current": request.get_status_display(),
                "new": PurchaseRequestStatus(status).label if status in PurchaseRequestStatus.values else status,
            }
        )
    if status == PurchaseRequestStatus.RECEIVED:
        if location is None:
            raise InventoryError(_("Choose the location the goods were put away at."), field="location")
        quantity = received_quantity or request.quantity
        post_movements(
            movements=[
                MovementInput(
                    request.sku_id,
                    location.pk,
                    MovementKind.RECEIPT,
                    quantity,
                    _("Purchase request received"),
                    f"PR-{request.pk}",
                )
            ],
            user=user,
        )
    request.status = status
    request.save(update_fields=["status", "updated_at"])
    return request


# --- Orders (打单 → 配货 → 打包 → 发货) ---------------------------------------------------------------------------

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
    """Move an order one step on (审核打印, 配货, 打包, 发货). Flagged orders wait for customer service. Picking an
    order the shelves cannot fill flags it for customer service instead (缺货订单第一时间移交客服)."""
    with transaction.atomic():
        order = _locked_order(order)
        if to_status == OrderStatus.CANCELLED:
            if order.status == OrderStatus.SHIPPED:
                raise InvalidTransition(_("A shipped order cannot be cancelled; record a return instead."))
            order.status = OrderStatus.CANCELLED
            order.save(update_fields=["status", "updated_at"])
            return order
        if ORDER_STEPS.get(order.status) != to_status:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s; it cannot move to that step.")
                % {"number": order.number, "status": order.get_status_display()}
            )
        if order.needs_customer_service:
            raise InvalidTransition(
                _("Order %(number)s waits for customer service: %(reason)s")
                % {"number": order.number, "reason": order.flag_reason}
            )
        if to_status == OrderStatus.PICKED:
            short = _shortages_for(order)
            if short:
                order.needs_customer_service = True
                order.flag_reason = (_("Out of stock: %(list)s") % {"list": ", ".join(short)})[:200]
                order.save(update_fields=["needs_customer_service", "flag_reason", "updated_at"])
                return order
        if to_status == OrderStatus.SHIPPED:
            _ship(order=order, user=user)
        order.status = to_status
        order.save(update_fields=["status", "shipped_at", "updated_at"])
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
    """Hand a doubtful order to customer service (有疑义的订单移交客服); it stops until they resolve it."""
    order = _locked_order(order)
    reason = (reason or "").strip()
    if not reason:
        raise InventoryError(_("Say what customer service should check."), field="reason")
    if order.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        raise InvalidTransition(_("A shipped or cancelled order cannot be flagged."))
    order.needs_customer_service = True
    order.flag_reason = reason[:200]
    order.save(update_fields=["needs_customer_service", "flag_reason", "updated_at"])
    return order


@transaction.atomic
def resolve_order_flag(*, order: Order, note: str, user) -> Order:
    """Customer service answers a flagged order; the warehouse carries on from the step it stopped at."""
    order = _locked_order(order)
    note = (note or "").strip()
    if not order.needs_customer_service:
        raise InvalidTransition(_("This order is not waiting for customer service."))
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
