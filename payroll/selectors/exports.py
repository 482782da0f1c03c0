"""A run's Excel exports: which are current, waiting or downloadable."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from roles.selectors import with_names
from shop_ops import jobs

from ..choices import ExportStatus, RunStatus
from ..exceptions import PayrollConflict, RunInputsChanged
from ..models import PayrollExport, PayrollRun
from .runs import VISIBLE_RUN_STATUSES


def exports_waiting_for_queue(job_list) -> set[int]:
    """Ids of those exports whose message is held in the job outbox because the job queue (Redis) was unreachable:
    one query however many jobs a page shows, none when no job is queued."""
    queued = [job.pk for job in job_list if job is not None and job.status == ExportStatus.QUEUED]
    return jobs.waiting_job_ids("payroll.write_export", job_ids=queued)


def downloadable_export(*, job: PayrollExport) -> PayrollExport:
    """A finished export of the run's current computation, or a clear refusal (still being written, failed, stale)."""
    if job.status == ExportStatus.REMOVED:
        raise PayrollConflict(
            _(
                "This file was removed: an export is kept %(days)s days, or until the payroll is computed again. "
                "Ask for a new export."
            )
            % {"days": settings.PAYROLL_EXPORT_KEEP_DAYS}
        )
    if job.status != ExportStatus.DONE or not job.file:
        raise PayrollConflict(_("This export is not finished: %(status)s.") % {"status": job.get_status_display()})
    if not job.is_current or job.run.status not in VISIBLE_RUN_STATUSES:
        raise PayrollConflict(_("The payroll was computed again after this file was written; ask for a new export."))
    if job.run.status == RunStatus.READY:  # approved runs are read-only: their inputs cannot move under the file
        refuse_if_inputs_changed(
            job.run, _("The inputs of %(month)s changed after this file was written; run it again and export anew.")
        )
    return job


def refuse_if_inputs_changed(run: PayrollRun, message: str) -> None:
    """Raise RunInputsChanged (409, naming what changed) when the month's inputs now differ from what the run's
    computation read (payroll.fingerprint); `message` says what must wait, with %(month)s."""
    from .fingerprints import InputChangesView, run_input_changes

    changes = run_input_changes(run=run)
    if changes:
        what = InputChangesView.of(changes).summary()
        raise RunInputsChanged(f"{message % {'month': run.label}} {what}", changes=changes)


def current_exports(*, run: PayrollRun, limit: int = 5) -> list[PayrollExport]:
    """The latest exports of the run's current computation, for its page (older computations' files are stale)."""
    return list(with_names(run.exports.filter(attempt=run.attempt).select_related("run"), "requested_by")[:limit])
