"""Celery beat entries of the roles module (checklists); shop_ops/settings.py merges them into CELERY_BEAT_SCHEDULE."""

BEAT_SCHEDULE: dict = {}
