"""The payroll month: parsing it, the open month and a run's allowed status changes."""

from __future__ import annotations

import datetime
import logging
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import LOCKED_STATUSES, RunStatus
from ..exceptions import PayrollConflict, PayrollError
from ..models import PayrollRun, month_label

logger = logging.getLogger(__name__)


# The state machine of a run, in one place. APPROVED and PAID are also guarded by database triggers.
TRANSITIONS: dict[str, set[str]] = {
    RunStatus.DRAFT: {RunStatus.RUNNING},
    RunStatus.RUNNING: {RunStatus.READY, RunStatus.FAILED, RunStatus.RUNNING},
    RunStatus.FAILED: {RunStatus.RUNNING},
    RunStatus.READY: {RunStatus.RUNNING, RunStatus.APPROVED, RunStatus.DRAFT},
    RunStatus.APPROVED: {RunStatus.PAID},
    RunStatus.PAID: set(),
}


def parse_month(value: Any, *, field: str = "month") -> datetime.date:
    """'2026-05' (or a date) -> date(2026, 5, 1); a malformed month is refused with a message."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})(?:-[0-9]{1,2})?", text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise PayrollError(
            _("'%(text)s' is not a month; write it as YYYY-MM, e.g. 2026-05.") % {"text": text}, field=field
        )
    return datetime.date(int(match.group(1)), int(match.group(2)), 1)


def current_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def ensure_not_future(month: datetime.date, *, field: str = "month") -> None:
    if month > current_month():
        raise PayrollError(
            _("%(month)s is in the future; payroll works on this month or earlier.") % {"month": month_label(month)},
            field=field,
        )


def ensure_month_open(month: datetime.date) -> PayrollRun | None:
    """Inputs of a month may change only while its payroll is not running and not approved.

    A computed (ready) run whose inputs change stays ready, but its inputs fingerprint no longer matches: the run
    page names what changed and approval is refused until it is computed again (see `approve_run`).
    """
    run = PayrollRun.objects.select_for_update().filter(month=month).first()
    if run is None:
        return None
    if run.status in LOCKED_STATUSES:
        raise PayrollConflict(
            _("The payroll of %(month)s is %(status)s and read-only; enter a correction in a later month instead.")
            % {"month": run.label, "status": run.get_status_display().lower()}
        )
    if run.status == RunStatus.RUNNING:
        raise PayrollConflict(
            _("The payroll of %(month)s is running; change its inputs when it has finished.") % {"month": run.label}
        )
    return run


def month_approved(month: datetime.date) -> bool:
    """Whether the month's payroll is approved or paid, its pay inputs read-only (roles asks before a checklist
    item of the month is ticked). The run row is locked until the caller's transaction ends, whatever its status:
    an approval, which locks it first, waits for the change, then sees it in the inputs' fingerprint."""
    status = PayrollRun.objects.select_for_update().filter(month=month).values_list("status", flat=True).first()
    return status in LOCKED_STATUSES


def ensure_month_ended(month: datetime.date) -> None:
    """A month is paid once it has ended: approving it earlier would pay a full month not yet worked (and its
    checklist items, attendance and leavers could still change). Today is the shop's (`timezone.localdate`)."""
    if month >= current_month():
        raise PayrollConflict(
            _("%(month)s has not ended yet; its payroll can be approved from %(day)s.")
            % {"month": month_label(month), "day": _first_day_after(month).isoformat()}
        )


def _first_day_after(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _move(run: PayrollRun, status: str) -> None:
    """The one place a run changes status; a move the state machine does not allow is refused."""
    if status not in TRANSITIONS[run.status]:
        raise PayrollConflict(
            _("A payroll that is %(status)s cannot become %(target)s.")
            % {"status": RunStatus(run.status).label.lower(), "target": RunStatus(status).label.lower()}
        )
    run.status = status
