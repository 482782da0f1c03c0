"""The Excel export of the 进销存 summary: a job row the page polls."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shop_ops import jobs
from shop_ops.guards import FIRST_YEAR, LAST_YEAR, date_in_range

from ..choices import JobKind, JobStatus
from ..exceptions import InventoryError
from ..models import InventoryJob
from .counts import month_start


def request_summary_export(*, month: datetime.date, user, text: str = "") -> InventoryJob:
    """Queue the Excel export of a month's summary: a job row now, the file written by a Celery task, which the page
    polls until it offers the download."""
    text = (text or "").strip()
    if len(text) > 100:
        raise InventoryError(_("The search text is limited to 100 characters."), field="q")
    if not date_in_range(month):
        raise InventoryError(
            _("Choose a month between %(first)d and %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
            field="month",
        )
    from ..tasks import export_summary_job

    with transaction.atomic():
        job = InventoryJob.objects.create(
            kind=JobKind.SUMMARY_EXPORT, month=month_start(month), search=text, requested_by=user
        )
        # The worker writes the headers in the language of the page that asked for the file.
        jobs.enqueue(export_summary_job, args=[job.pk, translation.get_language() or settings.LANGUAGE_CODE])
    return job


def run_summary_export_job(*, job_id: int) -> InventoryJob:
    """Worker side of an export: compute the summary, stream it to .xlsx with progress every 1 000 rows, store the
    file on the job. Safe to run twice: a finished job is left alone, a failed one is redone from the start."""
    from django.core.files.base import ContentFile

    from ..exports import summary_workbook
    from ..selectors import blind_warehouse_ids, monthly_summary

    job = InventoryJob.objects.get(pk=job_id, kind=JobKind.SUMMARY_EXPORT)
    if job.status == JobStatus.DONE:
        return job
    InventoryJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, error="", done=0)
    try:
        # Written for the person who asked: a blind-counted warehouse hidden from them is left out of their file.
        hidden = blind_warehouse_ids(user=job.requested_by) if job.requested_by_id else frozenset()
        summary = monthly_summary(month=job.month, text=job.search, hidden_warehouses=hidden)
        total = len(summary.rows)
        InventoryJob.objects.filter(pk=job.pk).update(total=total)

        def progress(done: int) -> None:
            InventoryJob.objects.filter(pk=job.pk).update(done=min(done, total))

        data = summary_workbook(summary, progress=progress)
        job.file.save(f"stock-summary-{job.month:%Y-%m}-{job.pk}.xlsx", ContentFile(data), save=False)
    except Exception as exc:
        InventoryJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(getattr(exc, "message", exc))[:1000], finished_at=timezone.now()
        )
        raise
    InventoryJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, done=total, file=job.file.name, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job
