"""Who sees what: blind-count warehouses hidden from a user, and the exports they may see."""

from __future__ import annotations

from django.db.models import Max, Q, QuerySet

from ..choices import CountStatus
from ..models import StockCount, Warehouse
from ..permissions import sees_blind_count_figures

Hidden = frozenset[int] | set[int] | tuple[int, ...]


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
