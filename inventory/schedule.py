"""Celery beat entries of the inventory module; shop_ops/settings.py merges them into CELERY_BEAT_SCHEDULE."""

BEAT_SCHEDULE: dict = {}
