"""The Excel export of a run: a job row the run's page polls, and the removal of old files."""

from __future__ import annotations

import datetime
import logging
import os
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shop_ops import jobs

from ..choices import ExportStatus, RunStatus
from ..exceptions import PayrollConflict
from ..models import PayrollExport, PayrollRun
from ..selectors import VISIBLE_RUN_STATUSES
from .runs import STALE_RUN_AFTER, _refuse_stale

logger = logging.getLogger(__name__)


EXPORTABLE_STATUSES = VISIBLE_RUN_STATUSES


OPEN_EXPORT_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)


def request_export(*, run: PayrollRun, user) -> PayrollExport:
    """Ask for a computed run's workbook. A run of at most PAYROLL_EXPORT_INLINE_MAX payslips is written at once (the
    job comes back done, or failed with its error); a larger one is queued for the payroll worker and the page polls
    the job. Asking again while an export of the same computation is open returns that job."""
    with transaction.atomic():
        run = PayrollRun.objects.select_for_update().get(pk=run.pk)  # one request at a time per run
        if run.status not in EXPORTABLE_STATUSES:
            raise PayrollConflict(_("Only a computed payroll can be exported."))
        if run.status == RunStatus.READY:  # approved runs are read-only, their inputs locked
            _refuse_stale(
                run, _("The inputs of %(month)s changed after it was computed; run it again before exporting it.")
            )
        job = run.exports.filter(attempt=run.attempt, status__in=OPEN_EXPORT_STATUSES).first()
        if job is not None:
            if timezone.now() - job.heartbeat_at < STALE_RUN_AFTER:
                return job
            # Its worker gave no sign of life (lost message, killed worker): let a new export take its place.
            _finish_export(
                job.pk, ExportStatus.FAILED, error=_("The export stopped without finishing; it was replaced.")
            )
        job = PayrollExport.objects.create(run=run, attempt=run.attempt, total=run.payslips.count(), requested_by=user)
        inline = job.total <= settings.PAYROLL_EXPORT_INLINE_MAX
        if not inline:
            _queue_export(job)
    if not inline:
        return job
    try:
        return write_export(job_id=job.pk)
    except Exception:  # recorded on the job, which the page shows; the traceback goes to the log
        logger.exception("payroll export %s failed", job.pk)
        job.refresh_from_db()
        return job


def mark_export_downloaded(*, job: PayrollExport) -> None:
    """Record the first download of a workbook: finance's waiting page stops offering it then."""
    PayrollExport.objects.filter(pk=job.pk, downloaded_at__isnull=True).update(downloaded_at=timezone.now())


def _queue_export(job: PayrollExport) -> None:
    """The one place an export is handed to the worker: after the job row is committed, with the language of the
    person who asked, which the worker writes the workbook in."""
    from ..tasks import write_payroll_export

    jobs.enqueue(write_payroll_export, args=[job.pk, translation.get_language() or settings.LANGUAGE_CODE])


def _finish_export(job_id: int, status: str, **fields) -> None:
    PayrollExport.objects.filter(pk=job_id).update(status=status, finished_at=timezone.now(), **fields)


def remove_old_export_files(*, now: datetime.datetime | None = None) -> int:
    """Delete the stored workbook of every finished export written more than PAYROLL_EXPORT_KEEP_DAYS ago or from
    an earlier computation of its run; the export's record stays, marked "file removed". Returns how many were
    removed. Safe to run twice or to be interrupted: a record is marked only after its file is gone."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.PAYROLL_EXPORT_KEEP_DAYS)
    old = PayrollExport.objects.filter(status=ExportStatus.DONE).filter(
        models.Q(finished_at__lt=cutoff) | ~models.Q(attempt=models.F("run__attempt"))
    )
    removed = 0
    for job in old.only("pk", "file").iterator(chunk_size=500):
        job.file.storage.delete(job.file.name)  # a file already gone is no error
        removed += PayrollExport.objects.filter(pk=job.pk, status=ExportStatus.DONE).update(
            status=ExportStatus.REMOVED, file=""
        )
    if removed:
        logger.info("payroll: removed %s old export files", removed)
    return removed


def write_export(*, job_id: int) -> PayrollExport:
    """Worker side of an export: write the run's workbook with progress every 1 000 payslips and store the file on
    the job. Safe to run twice: a finished job is left alone, a failed or interrupted one is written again; a job
    whose run was computed again (or is no longer computed) fails with a message instead of writing stale figures."""
    from .. import exports

    job = PayrollExport.objects.select_related("run").get(pk=job_id)
    if job.status == ExportStatus.DONE:
        return job
    stale = _("The payroll was computed again after this export was asked for; ask for a new one.")
    if not job.is_current or job.run.status not in EXPORTABLE_STATUSES:
        _finish_export(job.pk, ExportStatus.FAILED, error=stale)
        job.refresh_from_db()
        return job
    replaced = PayrollExport.objects.filter(run=job.run, attempt=job.attempt, status__in=OPEN_EXPORT_STATUSES)
    if replaced.exclude(pk=job.pk).exists():
        return job  # a late delivery of a job that was given up on: its replacement writes the file
    PayrollExport.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, error="", done=0, heartbeat_at=timezone.now(), finished_at=None
    )

    def progress(done: int, total: int) -> None:
        PayrollExport.objects.filter(pk=job.pk).update(done=min(done, total), total=total, heartbeat_at=timezone.now())

    handle, path = tempfile.mkstemp(prefix=f"payroll-{job.run.label}-", suffix=".xlsx")
    os.close(handle)
    try:
        exports.export_run(run=job.run, path=path, progress=progress)
        run = PayrollRun.objects.get(pk=job.run_id)
        if run.attempt != job.attempt or run.status not in EXPORTABLE_STATUSES:
            raise PayrollConflict(stale)  # recomputed while the rows were read: the file may mix two computations
        with open(path, "rb") as written:
            job.file.save(f"payroll-{run.label}-{job.pk}.xlsx", File(written), save=False)
    except Exception as exc:
        _finish_export(job.pk, ExportStatus.FAILED, error=str(getattr(exc, "message", exc))[:1000])
        raise
    finally:
        os.unlink(path)
    _finish_export(job.pk, ExportStatus.DONE, done=models.F("total"), file=job.file.name, error="")
    job.refresh_from_db()
    return job
