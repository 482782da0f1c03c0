"""Purchase requests (进货单): the daily refill check and the request's status changes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from shop_ops.plans import job_statements

from ..choices import ACTIVE_PURCHASE_STATUSES, MovementKind, PurchaseRequestStatus
from ..exceptions import InvalidTransition, InventoryConflict, InventoryError
from ..models import Location, PurchaseRequest, Sku
from .movements import MovementInput, post_movements

PURCHASE_TRANSITIONS = {
    PurchaseRequestStatus.OPEN: {PurchaseRequestStatus.ORDERED, PurchaseRequestStatus.CANCELLED},
    PurchaseRequestStatus.ORDERED: {PurchaseRequestStatus.RECEIVED, PurchaseRequestStatus.CANCELLED},
}


def _refill_quantity(sku: Sku, on_hand: int) -> int:
    return sku.reorder_quantity or max(2 * sku.warning_level - on_hand, 1)


@dataclass
class DailyPurchaseCheck:
    raised: list[PurchaseRequest]
    updated: int
    to_delist: list[str]


def raise_purchase_requests() -> DailyPurchaseCheck:
    """The morning check (每天补充警戒库存): a draft 进货单 for every SKU at or below its warning level that has no
    open request; the drafts this job raised earlier and nobody has ordered yet get today's quantity; and the listed
    goods that are out of stock, for the shop manager to delist (they show on the stock page).

    Safe to run twice and next to a person raising one by hand: the partial unique constraint keeps one open
    request per SKU and conflicting inserts are skipped.
    """
    with job_statements():  # one pass over the catalogue: planned for its own values (shop_ops/plans.py)
        return _raise_purchase_requests()


def _raise_purchase_requests() -> DailyPurchaseCheck:
    low = (
        Sku.objects.filter(warning_level__gt=0)
        .annotate(total=Sum("levels__on_hand", default=0))
        .filter(total__lte=F("warning_level"))
    )
    candidates = low.exclude(purchase_requests__status__in=ACTIVE_PURCHASE_STATUSES)
    requests = [
        PurchaseRequest(
            sku=sku,
            quantity=_refill_quantity(sku, sku.total),
            on_hand_when_raised=sku.total,
            reason=_("At or below the warning level (%(level)s)") % {"level": sku.warning_level},
        )
        for sku in candidates
    ]
    updated = 0
    with transaction.atomic():
        PurchaseRequest.objects.bulk_create(requests, ignore_conflicts=True)
        # Drafts raised by this job (no person named) that are still open follow the stock; a person's request or
        # one already ordered is left as it is.
        drafts = (
            PurchaseRequest.objects.select_for_update()
            .filter(status=PurchaseRequestStatus.OPEN, created_by__isnull=True, sku__in=low.values("pk"))
            .exclude(pk__in=[r.pk for r in requests if r.pk])
        )
        totals = {sku.pk: sku for sku in low.filter(pk__in=drafts.values("sku_id"))}
        for draft in drafts:
            sku = totals[draft.sku_id]
            quantity = _refill_quantity(sku, sku.total)
            if (draft.quantity, draft.on_hand_when_raised) != (quantity, sku.total):
                draft.quantity, draft.on_hand_when_raised = quantity, sku.total
                draft.save(update_fields=["quantity", "on_hand_when_raised", "updated_at"])
                updated += 1
    from ..selectors import skus_to_delist

    return DailyPurchaseCheck(
        raised=requests, updated=updated, to_delist=list(skus_to_delist().values_list("code", flat=True))
    )


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
    request._history_user = user
    request.save(update_fields=["status", "updated_at"])
    return request
