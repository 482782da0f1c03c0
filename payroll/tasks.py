"""Celery tasks of the payroll: they take ids and dates, call one service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone, translation

from . import services
from .exceptions import PayrollConflict


@shared_task(name="payroll.compute_run", acks_late=True)
def compute_payroll_run(run_id: int, attempt: int) -> str:
    """Compute the payslips of a running payroll; a redelivered message starts that attempt over cleanly."""
    return services.compute_run(run_id=run_id, attempt=attempt, batch_size=settings.PAYROLL_BATCH_SIZE)


@shared_task(name="payroll.write_export", acks_late=True)
def write_payroll_export(export_id: int, language: str | None = None) -> str:
    """Write a run's Excel workbook for an export job, with progress; a finished job is left alone, a redelivered
    message writes an interrupted one again. Sheet names and headers are in the language of the person who asked
    (Chinese, the default, for a message without one)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return services.write_export(job_id=export_id).status


@shared_task(name="payroll.remove_old_export_files")
def remove_old_export_files() -> int:
    """Nightly: delete the workbooks kept longer than PAYROLL_EXPORT_KEEP_DAYS or made stale by a new computation."""
    return services.remove_old_export_files()


@shared_task(name="payroll.start_scheduled_run")
def start_scheduled_run(day: str | None = None) -> str:
    """On the configured day of the month (PAYROLL_RUN_DAY) start the previous month's payroll, once."""
    import datetime

    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    if today.day != settings.PAYROLL_RUN_DAY:
        return "not today"
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    from .models import PayrollRun

    if PayrollRun.objects.filter(month=month).exclude(status="draft").exists():
        return "already started"
    try:
        services.start_run(month=month, user=None)
    except PayrollConflict as error:
        return error.message
    return f"started {month:%Y-%m}"
