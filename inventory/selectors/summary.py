"""The 进销存 monthly summary and its export jobs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from shop_ops import jobs
from shop_ops.plans import job_statements

from ..choices import JobStatus, MovementKind
from ..models import Sku, StockMovement
from .visibility import Hidden

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
