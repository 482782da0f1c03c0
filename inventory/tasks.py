"""Celery jobs of the warehouse. Each takes ids or ISO dates, calls one service, and is safe to run twice."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone, translation

from . import selectors, services
from .exceptions import InventoryConflict


@shared_task(name="inventory.raise_purchase_requests")
def raise_purchase_requests() -> dict:
    """Daily: draft 进货单 for SKUs at or below their warning level (new ones raised, the job's open drafts updated),
    and the out-of-stock listed goods to delist. Returns the counts and the codes to delist."""
    check = services.raise_purchase_requests()
    return {"raised": len(check.raised), "updated": check.updated, "to_delist": check.to_delist}


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


@shared_task(name="inventory.export_summary_job")
def export_summary_job(job_id: int, language: str | None = None) -> str:
    """Write a month's 进销存 workbook for a job row, updating its progress; re-running a finished job does nothing.
    The headers are in the language of the page that asked (Chinese, the default, for a message without one)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return services.run_summary_export_job(job_id=job_id).status
