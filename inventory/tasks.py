"""Celery jobs of the warehouse. Each takes ids or ISO dates, calls one service, and is safe to run twice."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from . import selectors, services
from .exceptions import InventoryConflict


@shared_task(name="inventory.raise_purchase_requests")
def raise_purchase_requests() -> int:
    """Daily: a 进货单 for each SKU at or below its warning level that has none open. Returns how many were raised."""
    return len(services.raise_purchase_requests())


@shared_task(name="inventory.open_stock_counts")
def open_stock_counts(on_date: str | None = None) -> list[int]:
    """Daily check: on the configured count day, open this month's count for every warehouse that has none yet."""
    day = datetime.date.fromisoformat(on_date) if on_date else timezone.localdate()
    if day.day != services.count_day_of(day):
        return []
    opened = []
    for warehouse in selectors.warehouses_without_count(period=services.month_start(day)):
        try:
            opened.append(services.open_stock_count(warehouse=warehouse, period=day).pk)
        except InventoryConflict:
            continue  # opened meanwhile by a person or a second run
    return opened


@shared_task(name="inventory.close_stock_count_job")
def close_stock_count_job(job_id: int) -> str:
    """Close a big count in chunks, updating the job's progress; re-running continues or does nothing."""
    return services.run_count_close_job(job_id=job_id).status
