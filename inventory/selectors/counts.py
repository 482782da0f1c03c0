"""Stock counts and their progress."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet

from ..choices import CountStatus
from ..models import StockCount, Warehouse


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
