"""Celery tasks of the project's plumbing."""

from __future__ import annotations

from celery import shared_task

from . import jobs


@shared_task(name="shop_ops.flush_job_outbox")
def flush_job_outbox() -> dict:
    """Send the job messages the broker could not take while it was down (every minute, and when a worker starts)."""
    result = jobs.flush_outbox()
    return {"sent": result.sent, "waiting": result.waiting}
