"""Celery tasks of the roles app: they take dates, call one service, and are safe to run twice."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="roles.generate_daily_checklists", acks_late=True)
def generate_daily_checklists(day: str | None = None) -> int:
    """Create the checklist items due on `day` (ISO date; today in the shop's time zone by default)."""
    target = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return services.generate_checklists(day=target)
