"""Celery beat entries of the roles module (checklists); shop_ops/settings.py merges them into CELERY_BEAT_SCHEDULE."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Each morning in the shop's time zone (CELERY_TIMEZONE = TIME_ZONE, Asia/Shanghai by default).
    "generate-daily-checklists": {
        "task": "roles.generate_daily_checklists",
        "schedule": crontab(hour=6, minute=0),
    },
}
