"""Celery beat entries of the payroll module; shop_ops/settings.py merges them into CELERY_BEAT_SCHEDULE."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Daily at 07:00; the task itself starts last month's payroll only on settings.PAYROLL_RUN_DAY.
    "payroll-start-scheduled-run": {
        "task": "payroll.start_scheduled_run",
        "schedule": crontab(hour=7, minute=0),
    },
}
