"""Celery beat entries of the payroll module; shop_ops/settings.py merges them into CELERY_BEAT_SCHEDULE."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    # Daily at 07:00; the task itself starts last month's payroll only on settings.PAYROLL_RUN_DAY.
    "payroll-start-scheduled-run": {
        "task": "payroll.start_scheduled_run",
        "schedule": crontab(hour=7, minute=0),
    },
    # Nightly at 03:30: salary workbooks are not kept on the server longer than PAYROLL_EXPORT_KEEP_DAYS.
    "payroll-remove-old-export-files": {
        "task": "payroll.remove_old_export_files",
        "schedule": crontab(hour=3, minute=30),
    },
}
