"""Finance's start page: what waits for finance."""

from __future__ import annotations

import datetime

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from shop_ops.waiting import WaitingRow

from ..choices import ExportStatus, RunStatus
from ..models import PayrollExport, PayrollRun, month_label
from .fingerprints import run_input_changes
from .months import due_month, next_month
from .runs import VISIBLE_RUN_STATUSES, run_for_month


def finance_waiting(*, user, today: datetime.date) -> list[WaitingRow]:
    """What waits for finance in the payroll: the month due to be computed once it has ended (or a draft or failed
    run), runs ready to approve, ready runs whose inputs changed since (compute again first), and workbooks of
    current computations this user asked for, ready to download. Rows with nothing waiting are left out."""
    rows: list[WaitingRow] = []
    # The month after the last approved one; for a shop with no payroll yet, the month that ended last.
    month = due_month((today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1))
    run = run_for_month(month)
    month_over = next_month(month) <= today
    if (run is None and month_over) or (run is not None and run.status in (RunStatus.DRAFT, RunStatus.FAILED)):
        url = run.get_absolute_url() if run else reverse("payroll:run-list")
        detail = run.get_status_display() if run else _("Not started")
        rows.append(
            WaitingRow(
                "month-due",
                _("Payroll of %(month)s to compute") % {"month": month_label(month)},
                1,
                url,
                next_month(month),
                detail,
            )
        )
    # A month still running may be computed as a preview but not approved yet: it waits for nobody until it ends.
    ended = today.replace(day=1)
    ready = list(PayrollRun.objects.filter(status=RunStatus.READY, month__lt=ended).order_by("month"))
    stale = [r for r in ready if run_input_changes(run=r)]
    fresh = [r for r in ready if r not in stale]
    for key, label, runs in (
        ("runs-ready", _("Payroll runs ready to approve"), fresh),
        ("runs-stale", _("Runs whose inputs changed since they were computed: compute again"), stale),
    ):
        if runs:
            url = runs[0].get_absolute_url() if len(runs) == 1 else reverse("payroll:run-list")
            since = min((r.finished_at or r.created_at) for r in runs)
            rows.append(WaitingRow(key, label, len(runs), url, since, ", ".join(r.label for r in runs)))
    exports = list(
        PayrollExport.objects.filter(
            status=ExportStatus.DONE,
            attempt=F("run__attempt"),
            run__status__in=VISIBLE_RUN_STATUSES,
            requested_by=user,
            downloaded_at__isnull=True,  # taken away: nothing waits any more
        )
        .exclude(run__in=stale)  # a stale run's workbook waits for the recomputation
        .select_related("run")
        .order_by("-finished_at", "-pk")
    )
    if exports:
        newest = exports[0]
        url = newest.run.get_absolute_url() if len({e.run_id for e in exports}) == 1 else reverse("payroll:run-list")
        rows.append(
            WaitingRow(
                "exports-ready",
                _("Workbooks ready to download"),
                len(exports),
                url,
                min(e.finished_at or e.created_at for e in exports),
                ", ".join(sorted({e.run.label for e in exports})),
            )
        )
    return rows
