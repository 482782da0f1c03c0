"""Stock counts (盘点): open, record, close (inline or as a job) and the loss reports they raise."""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shop_ops import jobs
from shop_ops.plans import job_statements

from ..choices import CountStatus, JobKind, JobStatus, LossReportStatus, MovementKind
from ..exceptions import InvalidTransition, InventoryConflict, InventoryError, NotForYou, RecheckRefused
from ..models import (
    InventoryJob,
    Location,
    LossReport,
    LossReportLine,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    Warehouse,
)
from ..money import to_cent
from .movements import MAX_QUANTITY, MovementInput, post_movements

# Counts with more lines than this close in a background job with a progress bar; smaller ones close at once.
COUNT_CLOSE_INLINE_LINES = 500


COUNT_CLOSE_CHUNK = settings.INVENTORY_COUNT_CLOSE_CHUNK


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def count_day_of(month: datetime.date) -> int:
    """The day of `month` the monthly count opens: INVENTORY_COUNT_DAY, or the month's last day when it is 0 or
    beyond the month's length."""
    last = calendar.monthrange(month.year, month.month)[1]
    configured = settings.INVENTORY_COUNT_DAY
    return last if not configured or configured > last else configured


@transaction.atomic
def open_stock_count(*, warehouse: Warehouse, period: datetime.date, user=None, blind: bool = False) -> StockCount:
    """Open the count of a warehouse for a month: every stock level there gets a line with its system quantity now.

    The levels are locked while the snapshot is read, so a posting is either in the snapshot or after it. One count
    of a warehouse at a time (two would each correct the same difference), of a month that has begun and is not
    before the warehouse's last closed count.
    """
    period = month_start(period)
    this_month = month_start(timezone.localdate())
    if period > this_month:
        raise InventoryError(
            _("%(month)s has not begun; count this month (%(now)s) or an earlier one.")
            % {"month": f"{period:%Y-%m}", "now": f"{this_month:%Y-%m}"},
            field="period",
        )
    Warehouse.objects.select_for_update().filter(pk=warehouse.pk).first()  # one opening per warehouse at a time
    under_way = (
        StockCount.objects.filter(warehouse=warehouse, status__in=[CountStatus.OPEN, CountStatus.CLOSING])
        .order_by("pk")
        .first()
    )
    if under_way is not None:
        raise InventoryConflict(
            _(
                "%(warehouse)s already has the count of %(month)s under way (opened %(opened)s); close or cancel it "
                "before opening another."
            )
            % {
                "warehouse": warehouse,
                "month": f"{under_way.period:%Y-%m}",
                "opened": f"{timezone.localtime(under_way.snapshot_at):%Y-%m-%d %H:%M}",
            }
        )
    if StockCount.objects.filter(warehouse=warehouse, period=period).exclude(status=CountStatus.CANCELLED).exists():
        raise InventoryConflict(
            _("%(warehouse)s already has a count for %(month)s.") % {"warehouse": warehouse, "month": f"{period:%Y-%m}"}
        )
    last_closed = StockCount.objects.filter(warehouse=warehouse, status=CountStatus.CLOSED).order_by("-period").first()
    if last_closed is not None and period < last_closed.period:
        raise InventoryConflict(
            _("%(warehouse)s was last counted for %(last)s; a count of an earlier month (%(month)s) cannot follow it.")
            % {"warehouse": warehouse, "last": f"{last_closed.period:%Y-%m}", "month": f"{period:%Y-%m}"},
            field="period",
        )
    # Lock first (a posting in flight finishes before the snapshot, a later one waits and is posted after it), then
    # copy the levels into lines inside the database: one INSERT ... SELECT however many levels.
    list(
        StockLevel.objects.select_for_update(of=("self",))
        .filter(location__warehouse=warehouse)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    count = StockCount(warehouse=warehouse, period=period, blind=blind, opened_by=user, snapshot_at=timezone.now())
    try:
        with transaction.atomic():
            count.save()
    except IntegrityError:
        raise InventoryConflict(
            _("This warehouse already has a count for that month or a count under way; reload and see.")
        ) from None
    _snapshot_lines(count=count)
    return count


def _snapshot_lines(*, count: StockCount) -> None:
    lines, levels, locations = (
        StockCountLine._meta.db_table,
        StockLevel._meta.db_table,
        Location._meta.db_table,
    )
    with job_statements(), connection.cursor() as cursor:  # planned for this warehouse (shop_ops/plans.py)
        cursor.execute(
            # Only the models' table names are interpolated; every value is a parameter.
            f"INSERT INTO {lines} (count_id, sku_id, location_id, snapshot_quantity, movements_since_snapshot, "  # noqa: S608
            f"adjusted) SELECT %s, level.sku_id, level.location_id, level.on_hand, 0, %s FROM {levels} AS level "
            f"INNER JOIN {locations} AS location ON location.id = level.location_id WHERE location.warehouse_id = %s "
            "ORDER BY level.id",
            [count.pk, False, count.warehouse_id],
        )


@transaction.atomic
def record_count(*, line: StockCountLine, counted_quantity: int, user) -> StockCountLine:
    """Record what a counter found on the shelf; the movements posted since the snapshot move the expected figure."""
    count = StockCount.objects.select_for_update().get(pk=line.count_id)
    if count.status != CountStatus.OPEN:
        raise InvalidTransition(
            _("This count is %(status)s; counting is over.") % {"status": count.get_status_display()}
        )
    if counted_quantity is None or counted_quantity < 0:
        raise InventoryError(_("The counted quantity must be zero or more."), field="counted_quantity")
    if counted_quantity > MAX_QUANTITY:
        raise InventoryError(
            _("%(n)s is more than %(max)s, the most one line may hold (as for a movement); check the count.")
            % {"n": counted_quantity, "max": MAX_QUANTITY},
            field="counted_quantity",
        )
    now = timezone.now()
    moved = StockMovement.objects.filter(
        sku_id=line.sku_id, location_id=line.location_id, posted_at__gt=count.snapshot_at, posted_at__lte=now
    ).aggregate(total=Sum("quantity", default=0))["total"]
    line.counted_quantity = counted_quantity
    line.counted_at = now
    line.counted_by = user
    line.movements_since_snapshot = moved
    line.save(update_fields=["counted_quantity", "counted_at", "counted_by", "movements_since_snapshot"])
    return line


@transaction.atomic
def cancel_stock_count(*, count: StockCount, user) -> StockCount:
    """Drop an open count (nothing was posted yet); the month may then be counted again."""
    count = StockCount.objects.select_for_update().get(pk=count.pk)
    if count.status != CountStatus.OPEN:
        raise InvalidTransition(_("Only an open count can be cancelled."))
    count.status = CountStatus.CANCELLED
    count.closed_by = user
    count.closed_at = timezone.now()
    count._history_user = user
    count.save(update_fields=["status", "closed_by", "closed_at"])
    return count


def close_stock_count(*, count: StockCount, user, at: datetime.datetime | None = None) -> InventoryJob | None:
    """Close a fully counted count: post a count_correction for every difference and write the loss report.

    The corrections are dated when the count is closed (`at`, default now: the demo closes last month's count in
    last month), so the month's summary shows the count difference.
    A small count closes at once, all-or-nothing (returns None). A big one becomes a job row the page polls; the
    Celery task closes it in chunks and can be re-run safely after a failure (returns the job).
    """
    _check_may_close(user)
    with transaction.atomic():
        count = StockCount.objects.select_for_update().get(pk=count.pk)
        if count.status != CountStatus.OPEN:
            raise InvalidTransition(_("This count is %(status)s, not open.") % {"status": count.get_status_display()})
        uncounted = count.lines.filter(counted_quantity__isnull=True).count()
        if uncounted:
            raise InventoryConflict(
                _("%(n)s line(s) are not counted yet; count every line before closing.") % {"n": uncounted}
            )
        overtaken = (
            StockMovement.objects.filter(
                kind=MovementKind.COUNT_CORRECTION,
                location__warehouse_id=count.warehouse_id,
                posted_at__gt=count.snapshot_at,
            )
            .exclude(reference=f"COUNT-{count.pk}")
            .order_by("posted_at")
            .first()
        )
        if overtaken is not None:
            # Its differences were measured against stock another count has corrected since: they would count twice.
            raise InventoryConflict(
                _(
                    "Another count of this warehouse (%(reference)s) posted corrections after this count's snapshot; "
                    "cancel this count and open a new one."
                )
                % {"reference": overtaken.reference}
            )
        total = count.lines.count()
        count.status = CountStatus.CLOSING
        count.closed_by = user
        count.closed_at = at or timezone.now()
        count.save(update_fields=["status", "closed_by", "closed_at"])
        if total <= COUNT_CLOSE_INLINE_LINES:
            _finish_count_close(count=count, user=user, job=None)
            return None
        job = InventoryJob.objects.create(kind=JobKind.COUNT_CLOSE, count=count, total=total, requested_by=user)
        from ..tasks import close_stock_count_job  # the task module imports services; import here avoids the cycle

        jobs.enqueue(close_stock_count_job, args=[job.pk])
        return job


def _check_may_close(user) -> None:
    from ..permissions import can_close_counts

    if not can_close_counts(user):
        raise NotForYou(
            _(
                "Only the warehouse supervisor or a manager closes a count: closing posts every difference to stock. "
                "Your counted lines are saved; ask them to check the count and close it."
            )
        )


def run_count_close_job(*, job_id: int) -> InventoryJob:
    """Worker side of a big count close: chunk by chunk (each its own transaction, each line corrected once), then
    the loss report. Safe to run twice: a finished job is left alone, an interrupted one continues. A job whose
    requester may not close counts (no longer, or never) fails with the reason; a count nothing was posted for yet
    is open again."""
    job = InventoryJob.objects.select_related("count", "requested_by__employee__role").get(pk=job_id)
    if job.status == JobStatus.DONE:
        return job
    try:
        _check_may_close(job.requested_by)
    except NotForYou as refusal:
        with transaction.atomic():
            InventoryJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, error=refusal.message, finished_at=timezone.now()
            )
            StockCount.objects.filter(pk=job.count_id, status=CountStatus.CLOSING).exclude(lines__adjusted=True).update(
                status=CountStatus.OPEN, closed_by=None, closed_at=None
            )
        job.refresh_from_db()
        return job
    InventoryJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, error="")
    try:
        with job_statements():  # chunk statements run many times: unprepared (shop_ops/plans.py)
            _finish_count_close(count=job.count, user=job.requested_by, job=job)
    except Exception as exc:
        InventoryJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(getattr(exc, "message", exc)), finished_at=timezone.now()
        )
        raise
    InventoryJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, done=job.total, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _finish_count_close(*, count: StockCount, user, job: InventoryJob | None) -> None:
    reference = f"COUNT-{count.pk}"
    reason = _("Stock count %(month)s") % {"month": f"{count.period:%Y-%m}"}
    pending = count.lines.filter(adjusted=False).select_related("sku").order_by("pk")
    done = count.lines.filter(adjusted=True).count()
    while True:
        chunk = list(pending[:COUNT_CLOSE_CHUNK])
        if not chunk:
            break
        corrections = [
            MovementInput(
                line.sku_id, line.location_id, MovementKind.COUNT_CORRECTION, line.difference, reason, reference
            )
            for line in chunk
            if line.difference
        ]
        with transaction.atomic():  # a chunk's corrections and its "adjusted" marks commit together
            if corrections:
                post_movements(movements=corrections, user=user, occurred_at=count.closed_at)
            StockCountLine.objects.filter(pk__in=[line.pk for line in chunk]).update(adjusted=True)
        done += len(chunk)
        if job is not None:
            InventoryJob.objects.filter(pk=job.pk).update(done=done)
    with transaction.atomic():
        _write_loss_report(count=count)
        count = StockCount.objects.select_for_update().get(pk=count.pk)
        count.status = CountStatus.CLOSED
        count.closed_at = count.closed_at or timezone.now()
        count._history_user = user  # a worker has no request: name the closer in the audit history
        count.save(update_fields=["status", "closed_at"])


def _write_loss_report(*, count: StockCount) -> None:
    """The report finance reviews: every shortage, and every surplus beside them (a count that finds more than the
    system had adds stock, which needs the same second pair of eyes as a loss)."""
    differences = [
        line for line in count.lines.select_related("sku").order_by("sku__code", "location__code") if line.difference
    ]
    if differences and not LossReport.objects.filter(count=count).exists():
        report = LossReport.objects.create(count=count)
        lines = [
            LossReportLine(
                report=report,
                sku_id=line.sku_id,
                location_id=line.location_id,
                surplus=line.difference > 0,
                quantity=abs(line.difference),
                unit_cost=line.sku.unit_cost,
                value=to_cent(line.sku.unit_cost * abs(line.difference)),
            )
            for line in differences
        ]
        LossReportLine.objects.bulk_create(lines, batch_size=1000)
        _set_totals(report, lines)
        report.save(update_fields=TOTAL_FIELDS)


TOTAL_FIELDS = ["total_quantity", "total_value", "surplus_quantity", "surplus_value"]


def _set_totals(report: LossReport, lines) -> None:
    short = [line for line in lines if not line.surplus]
    over = [line for line in lines if line.surplus]
    report.total_quantity = sum(line.quantity for line in short)
    report.total_value = to_cent(sum((line.value for line in short), start=to_cent(0)))
    report.surplus_quantity = sum(line.quantity for line in over)
    report.surplus_value = to_cent(sum((line.value for line in over), start=to_cent(0)))


@transaction.atomic
def review_loss_report(*, report: LossReport, approve: bool, user, note: str = "") -> LossReport:
    """Finance approves or rejects a pending 报损单; a rejection needs a note saying why."""
    from ..permissions import can_review_loss_reports

    if not can_review_loss_reports(user):
        raise InventoryError(_("Only finance reviews loss reports."))
    report = LossReport.objects.select_for_update().get(pk=report.pk)
    if report.status != LossReportStatus.PENDING:
        raise InvalidTransition(
            _("This loss report is already %(status)s.") % {"status": report.get_status_display().lower()}
        )
    note = (note or "").strip()
    if not approve and not note:
        raise InventoryError(_("Say why the loss report is rejected."), field="note")
    if len(note) > 500:
        raise InventoryError(_("The note is limited to 500 characters."), field="note")
    report.status = LossReportStatus.APPROVED if approve else LossReportStatus.REJECTED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.review_note = note
    report._history_user = user  # named explicitly: the API and tasks have no history middleware request
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    return report


def recheck_refusal(*, report: LossReport) -> str | None:
    """Why the warehouse cannot recheck this rejected report and send it back now (None: it can): a recheck corrects
    stock at the count's locations, which must not overlap a count under way or a later closed count."""
    count = report.count
    later = StockCount.objects.filter(warehouse_id=count.warehouse_id, pk__gt=count.pk).exclude(
        status=CountStatus.CANCELLED
    )
    under_way = later.filter(status__in=[CountStatus.OPEN, CountStatus.CLOSING]).order_by("pk").first()
    if under_way is not None:
        return _(
            "The count of %(month)s is under way in this warehouse: close it first, then recheck this report (a "
            "recheck corrects stock, which would upset that count's figures)."
        ) % {"month": f"{under_way.period:%Y-%m}"}
    closed = later.filter(status=CountStatus.CLOSED).order_by("-period").first()
    if closed is not None:
        return _(
            "The count of %(month)s closed after this one and already corrected the stock; explain the difference "
            "to finance on that count's loss report instead."
        ) % {"month": f"{closed.period:%Y-%m}"}
    return None


@transaction.atomic
def resubmit_loss_report(*, report: LossReport, differences: dict[int, int], note: str, user) -> LossReport:
    """The warehouse's answer to a rejected 报损单: after recounting the goods, each line's corrected difference
    (counted minus system: -3 is 3 units short, +2 two over, 0 none after all) and a note of what was checked. Where
    a difference changed, a count correction posts the change so stock matches the recount; the report goes back to
    finance, its totals from the corrected lines. The warehouse supervisor or a manager, as for closing the count."""
    _check_may_close(user)
    report = LossReport.objects.select_for_update().select_related("count").get(pk=report.pk)
    if report.status != LossReportStatus.REJECTED:
        raise InvalidTransition(
            _("Only a rejected loss report is rechecked; this one is %(status)s.")
            % {"status": report.get_status_display().lower()}
        )
    note = (note or "").strip()
    if not note:
        raise InventoryError(_("Say what you rechecked and what you found."), field="note")
    if len(note) > 500:
        raise InventoryError(_("The note is limited to 500 characters."), field="note")
    refusal = recheck_refusal(report=report)
    if refusal:
        raise InventoryConflict(refusal)
    lines = list(report.lines.select_related("sku", "location").order_by("pk"))
    unknown = set(differences) - {line.pk for line in lines}
    if unknown:
        raise InventoryError(_("Those lines are not on this loss report; reload the page."))
    for line in lines:
        after = differences.get(line.pk)
        if after is not None and (not isinstance(after, int) or isinstance(after, bool) or abs(after) > MAX_QUANTITY):
            raise InventoryError(
                _("A difference is a whole number of units up to %(max)s.") % {"max": f"{MAX_QUANTITY:,}"},
                field=f"line_{line.pk}",
            )
    _check_recounted_quantities(report=report, lines=lines, differences=differences)
    corrections, kept, dropped = [], [], []
    reason = _("Loss report recheck %(month)s") % {"month": f"{report.count.period:%Y-%m}"}
    for line in lines:
        before = line.quantity if line.surplus else -line.quantity
        after = differences.get(line.pk, before)
        if after != before:
            corrections.append(
                MovementInput(
                    line.sku_id,
                    line.location_id,
                    MovementKind.COUNT_CORRECTION,
                    after - before,
                    reason,
                    f"COUNT-{report.count_id}",
                )
            )
        if after == 0:
            dropped.append(line.pk)
            continue
        line.surplus, line.quantity = after > 0, abs(after)
        line.value = to_cent(line.unit_cost * line.quantity)
        kept.append(line)
    if corrections:
        # Dated like the count's own corrections (when it was closed), not today: the month whose 进销存 shows the
        # count difference shows the rechecked one, equal to the report finance reviews. A back-dated correction
        # upsets no other count: a recheck is refused once a later count of the warehouse is under way or closed,
        # and counts compare postings by posted_at, which stays the real time.
        post_movements(movements=corrections, user=user, occurred_at=report.count.closed_at)
    LossReportLine.objects.filter(pk__in=dropped).delete()
    LossReportLine.objects.bulk_update(kept, ["surplus", "quantity", "value"], batch_size=1000)
    _set_totals(report, kept)
    report.status = LossReportStatus.PENDING
    report.rechecked_by = user
    report.rechecked_at = timezone.now()
    report.recheck_note = note
    report._history_user = user
    report.save(update_fields=[*TOTAL_FIELDS, "status", "rechecked_by", "rechecked_at", "recheck_note"])
    return report


def _check_recounted_quantities(
    *, report: LossReport, lines: list[LossReportLine], differences: dict[int, int]
) -> None:
    """A rechecked difference stands for a recounted quantity (the count line's expected figure plus the
    difference), which is bounded like a count's entry: 0 to MAX_QUANTITY. Every line out of bounds is named, under
    its own field; nothing is saved."""
    changed = [line for line in lines if line.pk in differences]
    if not changed:
        return
    expected = {
        (count_line.sku_id, count_line.location_id): count_line.expected_quantity
        for count_line in StockCountLine.objects.filter(
            count_id=report.count_id,
            sku_id__in={line.sku_id for line in changed},
            location_id__in={line.location_id for line in changed},
        ).only("sku_id", "location_id", "snapshot_quantity", "movements_since_snapshot")
    }
    errors = {}
    for line in changed:
        system = expected[(line.sku_id, line.location_id)]
        counted = system + differences[line.pk]
        if 0 <= counted <= MAX_QUANTITY:
            continue
        errors[f"line_{line.pk}"] = _(
            "%(sku)s at %(location)s: a difference of %(difference)s means %(counted)s counted (the system expected "
            "%(expected)s); a counted quantity is 0 to %(max)s, as in a count."
        ) % {
            "sku": line.sku.code,
            "location": line.location.code,
            "difference": f"{differences[line.pk]:+,}",
            "counted": f"{counted:,}",
            "expected": f"{system:,}",
            "max": f"{MAX_QUANTITY:,}",
        }
    if errors:
        raise RecheckRefused(errors)
