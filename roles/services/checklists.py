"""Writes of the duty checklists: duties, assignments, the holiday calendar, daily generation and ticking."""

from __future__ import annotations

import contextlib
import datetime
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shop_ops.plans import run_spread
from shop_ops.prepared import PreparedQuery

from .. import cadence
from ..choices import AssignmentMode, Cadence, EmployeeStatus, ItemKind, ItemStatus
from ..exceptions import ChecklistError, ItemMissed, ItemPayApproved, NotYourDuty, NotYourItem
from ..models import ChecklistDaySummary, ChecklistItem, DutyAssignment, DutyTemplate, Employee, Holiday
from ..permissions import can_manage_org
from ..selectors.checklists import startable_duties
from ..validators import check_date_window, years_from
from ..workdays import WorkCalendar

DUTY_FIELDS = {
    "role",
    "text_zh",
    "text_en",
    "cadence",
    "weekdays",
    "interval_days",
    "anchor_date",
    "month_day",
    "last_day_of_month",
    "deadline_working_days",
    "assignment_mode",
    "is_active",
    "sort_order",
    "cadence_note",
}
# Fields that only matter for one cadence are cleared for the others, so a stale value never changes behaviour.
_CADENCE_FIELDS = {
    Cadence.WEEKLY: {"weekdays"},
    Cadence.EVERY_N_DAYS: {"interval_days", "anchor_date"},
    Cadence.MONTHLY: {"month_day", "last_day_of_month"},
    Cadence.ON_DEMAND: {"deadline_working_days"},
}
_CADENCE_EMPTY = {
    "weekdays": [],
    "interval_days": None,
    "anchor_date": None,
    "month_day": None,
    "last_day_of_month": False,
    "deadline_working_days": None,
}


def today() -> datetime.date:
    return timezone.localdate()


@transaction.atomic
def save_duty(*, duty: DutyTemplate | None = None, **values: Any) -> DutyTemplate:
    """Create or change a duty. Items already generated keep their text and dates; the change applies from the
    next generation."""
    duty = duty or DutyTemplate()
    unknown = set(values) - DUTY_FIELDS
    if unknown:
        raise TypeError(f"Unknown duty fields: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(duty, name, value)
    keep = _CADENCE_FIELDS.get(duty.cadence, set())
    for name, empty in _CADENCE_EMPTY.items():
        if name not in keep:
            setattr(duty, name, empty)
    cadence.validate_cadence(
        cadence=duty.cadence,
        weekdays=duty.weekdays,
        interval_days=duty.interval_days,
        anchor_date=duty.anchor_date,
        month_day=duty.month_day,
        last_day_of_month=duty.last_day_of_month,
        deadline_working_days=duty.deadline_working_days,
    )
    if duty.pk is None and "sort_order" not in values and duty.role_id:
        highest = DutyTemplate.objects.filter(role_id=duty.role_id).aggregate(m=Max("sort_order"))["m"]
        duty.sort_order = (highest or 0) + 1
    duty.full_clean()
    duty.save()
    return duty


@transaction.atomic
def move_duty(*, duty: DutyTemplate, direction: str) -> None:
    """Swap a duty with its neighbour above ("up") or below ("down") within its role."""
    siblings = list(DutyTemplate.objects.select_for_update().filter(role_id=duty.role_id).order_by("sort_order", "id"))
    for position, sibling in enumerate(siblings, start=1):
        sibling.sort_order = position
    index = next(i for i, s in enumerate(siblings) if s.pk == duty.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in {"up", "down"}:
        raise ChecklistError(_("Move a duty 'up' or 'down'."))
    if 0 <= other < len(siblings):
        siblings[index].sort_order, siblings[other].sort_order = siblings[other].sort_order, siblings[index].sort_order
    DutyTemplate.objects.bulk_update(siblings, ["sort_order"])


@transaction.atomic
def assign_duty(
    *,
    duty: DutyTemplate,
    employee: Employee,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    by,
) -> DutyAssignment:
    """Name an employee for a duty from a date (tomorrow by default: today's checklist is never rewritten).

    For a duty of the whole role this is cover (someone outside the role, or standing in for a colleague on
    leave); for a duty of chosen employees it makes the employee one of them.
    """
    valid_from = valid_from or today() + datetime.timedelta(days=1)
    for field, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        check_date_window(value, field=field, earliest=datetime.date.min, latest=years_from(today(), 2))
    if valid_from < today():
        raise ValidationError({"valid_from": _("An assignment cannot start in the past; history is not rewritten.")})
    if employee.status == EmployeeStatus.LEFT:
        raise ValidationError({"employee": _("This employee has left the shop.")})
    overlapping = DutyAssignment.objects.filter(
        duty=duty, employee=employee, valid_from__lte=valid_to or datetime.date.max
    )
    overlapping = overlapping.exclude(valid_to__lt=valid_from)
    if overlapping.exists():
        raise ValidationError({"employee": _("This employee is already assigned to this duty for those dates.")})
    assignment = DutyAssignment(duty=duty, employee=employee, valid_from=valid_from, valid_to=valid_to, created_by=by)
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def end_assignment(*, assignment: DutyAssignment, last_day: datetime.date | None = None) -> DutyAssignment:
    """End an assignment after `last_day` (today by default); one that has not started yet is removed."""
    last_day = last_day or today()
    if assignment.valid_from > last_day:
        assignment.delete()
        return assignment
    assignment.valid_to = last_day
    assignment.full_clean()
    assignment.save(update_fields=["valid_to"])
    return assignment


@transaction.atomic
def save_holiday(*, holiday: Holiday | None = None, **values: Any) -> Holiday:
    """Add or change a day of the holiday calendar; checklists generated from then on follow it."""
    holiday = holiday or Holiday()
    for name, value in values.items():
        if name not in {"date", "kind", "name_zh", "name_en"}:
            raise TypeError(f"Unknown holiday field: {name}")
        setattr(holiday, name, value)
    holiday.full_clean()
    holiday.save()
    return holiday


@transaction.atomic
def delete_holiday(*, holiday: Holiday) -> None:
    holiday.delete()


def generate_checklists(*, day: datetime.date) -> int:
    """Create the checklist items that fall due on `day` for every active employee; returns how many were new.

    Idempotent and safe to run concurrently: the unique constraint on (employee, duty, day) with ON CONFLICT DO
    NOTHING means a second run, or a parallel one, adds nothing. One INSERT … SELECT per scheduled date moves the
    rows inside the database, so 200,000 items cost a handful of statements.
    """
    workdays = WorkCalendar.load(start=day, end=day)
    mark_missed_items(day=day, workdays=workdays)
    if not workdays.is_working_day(day):
        return 0
    by_scheduled_date: dict[datetime.date, list[int]] = defaultdict(list)
    duties = DutyTemplate.objects.filter(is_active=True).exclude(cadence=Cadence.ON_DEMAND)
    for duty in duties.only(
        "id", "cadence", "weekdays", "interval_days", "anchor_date", "month_day", "last_day_of_month"
    ):
        for scheduled in cadence.due_on(day, duty, workdays):
            by_scheduled_date[scheduled].append(duty.id)

    now = timezone.now()
    # The same INSERT … SELECT runs once per chunk of 500 duties: sent unprepared, so planned for its own ids each
    # time, while the foreign-key checks of the rows it inserts keep their cached plans. Chunks insert disjoint rows
    # (other duties or another period), so they run over DB_JOB_CONNECTIONS connections at once; a chunk's two
    # statements (role holders, then people assigned, who may be the same) stay together (shop_ops/plans.py).
    groups = []
    for scheduled, duty_ids in sorted(by_scheduled_date.items()):
        for chunk_start in range(0, len(duty_ids), 500):
            chunk = duty_ids[chunk_start : chunk_start + 500]
            params = [ItemKind.DUTY, scheduled, day, ItemStatus.OPEN, now]
            groups.append(
                [
                    (sql.format(duty_ids=", ".join(["%s"] * len(chunk))), [*params, *who_params(day), *chunk])
                    for sql, who_params in (_ROLE_HOLDERS_SQL, _ASSIGNED_SQL)
                ]
            )
    created_rows = run_spread(groups)
    # Recounted on every run, not only when rows were made: a run whose inserts all committed but whose recount
    # failed (the connection lost, the worker killed) leaves the day's summaries behind, and the rerun that
    # repairs it makes no rows (found by a tester). About a second for 10,000 people.
    refresh_day_summaries(due_date=day)
    return created_rows


@transaction.atomic
def mark_missed_items(*, day: datetime.date, workdays: WorkCalendar | None = None) -> int:
    """Mark missed every open item of a recurring duty whose next occurrence has fallen due by `day` (the rule in
    `cadence.is_missed`), and recount the days they were due on; returns how many. One UPDATE for all duties;
    idempotent (a second run finds nothing open to mark), so the daily job runs it before generating."""
    workdays = workdays or WorkCalendar.load(start=day, end=day)
    latest_by_date: dict[datetime.date, list[int]] = defaultdict(list)
    duties = DutyTemplate.objects.exclude(cadence=Cadence.ON_DEMAND)
    for duty in duties.only(
        "id", "cadence", "weekdays", "interval_days", "anchor_date", "month_day", "last_day_of_month"
    ):
        latest = cadence.latest_due_date(duty, day, workdays)
        if latest is not None:
            latest_by_date[latest].append(duty.id)
    if not latest_by_date:
        return 0
    superseded = Q()
    for latest, duty_ids in latest_by_date.items():
        superseded |= Q(duty_id__in=duty_ids, due_date__lt=latest)
    items = ChecklistItem.objects.filter(superseded, kind=ItemKind.DUTY, status=ItemStatus.OPEN)
    due_dates = sorted(set(items.values_list("due_date", flat=True).distinct()))
    if not due_dates:
        return 0
    marked = items.update(status=ItemStatus.MISSED)
    for due_date in due_dates:
        refresh_day_summaries(due_date=due_date)
    return marked


def item_missed_now(item: ChecklistItem, *, today: datetime.date, workdays: WorkCalendar | None = None) -> bool:
    """Whether `item` (open, or being opened again) is past its duty's next occurrence, so missed on `today`."""
    if item.kind != ItemKind.DUTY or item.duty is None:
        return False
    workdays = workdays or WorkCalendar.load(start=today, end=today)
    return cadence.is_missed(due_date=item.due_date, duty=item.duty, today=today, workdays=workdays)


def refresh_day_summaries(*, due_date: datetime.date, employee_id: int | None = None) -> None:
    """Recount the items due on `due_date` (of one employee, or of everyone) into ChecklistDaySummary.

    The whole day's recount and one person's (after a tick) are kept apart by a lock on the day (PostgreSQL): the
    day's counts are read from a snapshot taken when its statement starts, so a tick committed while it ran would be
    overwritten by the older count (found by a tester: 16–28 people a run). Ticks share the day's lock with each
    other; the day's recount takes it alone, in its own transaction, and reads once every tick that holds it has
    committed; a tick that comes later waits, then counts its person again after it."""
    sql = _SUMMARY_SQL + (" AND i.employee_id = %s" if employee_id else "") + _SUMMARY_UPSERT
    # Items people gave themselves count in no figure (see `_self_assigned`).
    params = [ItemStatus.DONE, ItemStatus.DONE, ItemStatus.MISSED, due_date, False] + (
        [employee_id] if employee_id else []
    )
    # The lock lasts until the transaction ends, so PostgreSQL needs one; SQLite has no lock to hold.
    in_transaction = transaction.atomic() if connection.vendor == "postgresql" else contextlib.nullcontext()
    with in_transaction, connection.cursor() as cursor:
        _lock_day(cursor, due_date, alone=employee_id is None)
        cursor.execute(sql, params)


# The first key of the day's advisory lock (pg_advisory_xact_lock(int, int)): "CK", checklists; the second is the
# day's ordinal.
_DAY_LOCK_CLASS = 0x434B


def _lock_day(cursor, due_date: datetime.date, *, alone: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite runs one writer at a time
    function = "pg_advisory_xact_lock" if alone else "pg_advisory_xact_lock_shared"
    cursor.execute(f"SELECT {function}(%s, %s)", [_DAY_LOCK_CLASS, due_date.toordinal()])


def _refresh_one(item: ChecklistItem) -> None:
    """Recount one person's day after a change to one of its items, serialised by a lock on the summary row so
    that two ticks at the same moment cannot overwrite each other's count: the first statement makes the row if
    it is missing and locks it either way (an upsert locks the row it updates); the recount runs after it, so it
    sees every tick committed before the lock was granted."""
    with connection.cursor() as cursor:
        # The day's shared lock first (before the row's), so a whole-day recount never waits on a row a tick holds
        # while the tick waits on the day: both take the day first.
        _lock_day(cursor, item.due_date, alone=False)
        cursor.execute(_SUMMARY_LOCK_SQL, [item.employee_id, item.due_date])
    refresh_day_summaries(due_date=item.due_date, employee_id=item.employee_id)


_ITEM = ChecklistItem._meta.db_table
_DUTY = DutyTemplate._meta.db_table
_EMPLOYEE = Employee._meta.db_table
_ASSIGNMENT = DutyAssignment._meta.db_table
_INSERT = f"""
    INSERT INTO {_ITEM}
        (employee_id, duty_id, kind, period_start, due_date, title_zh, title_en, status, note, created_at)
    SELECT e.id, d.id, %s, %s, %s, d.text_zh, d.text_en, %s, '', %s
"""
_SUMMARY = ChecklistDaySummary._meta.db_table
_SUMMARY_SQL = f"""
    INSERT INTO {_SUMMARY} (employee_id, due_date, total, done, on_time, missed)
    SELECT i.employee_id, i.due_date, COUNT(*),
           SUM(CASE WHEN i.status = %s THEN 1 ELSE 0 END),
           SUM(CASE WHEN i.status = %s AND i.done_on <= i.due_date THEN 1 ELSE 0 END),
           SUM(CASE WHEN i.status = %s THEN 1 ELSE 0 END)
    FROM {_ITEM} i
    WHERE i.due_date = %s AND i.self_assigned = %s
"""  # noqa: S608
_SUMMARY_UPSERT = """
    GROUP BY i.employee_id, i.due_date
    ON CONFLICT (employee_id, due_date)
    DO UPDATE SET total = excluded.total, done = excluded.done, on_time = excluded.on_time, missed = excluded.missed
"""
_SUMMARY_LOCK_SQL = f"""
    INSERT INTO {_SUMMARY} (employee_id, due_date, total, done, on_time, missed) VALUES (%s, %s, 0, 0, 0, 0)
    ON CONFLICT (employee_id, due_date) DO UPDATE SET total = {_SUMMARY}.total
"""  # noqa: S608
_ELIGIBLE = "e.status = %s AND e.hire_date <= %s AND (e.leave_date IS NULL OR e.leave_date >= %s)"
# Table names come from model metadata; every value is a query parameter.
_ROLE_HOLDERS_SQL = (
    _INSERT
    + f"""
    FROM {_DUTY} d JOIN {_EMPLOYEE} e ON e.role_id = d.role_id
    WHERE d.assignment_mode = %s AND {_ELIGIBLE} AND d.id IN ({{duty_ids}})
    ON CONFLICT DO NOTHING
""",
    lambda day: [AssignmentMode.ROLE, EmployeeStatus.ACTIVE, day, day],
)
_ASSIGNED_SQL = (
    _INSERT
    + f"""
    FROM {_ASSIGNMENT} a JOIN {_DUTY} d ON d.id = a.duty_id JOIN {_EMPLOYEE} e ON e.id = a.employee_id
    WHERE a.valid_from <= %s AND (a.valid_to IS NULL OR a.valid_to >= %s) AND {_ELIGIBLE} AND d.id IN ({{duty_ids}})
    ON CONFLICT DO NOTHING
""",
    lambda day: [day, day, EmployeeStatus.ACTIVE, day, day],
)


def _self_assigned(employee: Employee, by) -> bool:
    """An item the person gives themself (starts an on-demand duty, a manager's one-off task to themself) counts
    in no completion figure: nobody raises the rate that pays their bonus by adding items and ticking them."""
    return by is not None and employee.user_id == getattr(by, "pk", None)


@transaction.atomic
def trigger_on_demand_duty(*, duty: DutyTemplate, employee: Employee, by, note: str = "") -> ChecklistItem:
    """Start an on-demand duty (a bad review arrived...): an item due within the duty's working-day deadline.
    Only a duty of the person's own role or assignment (`startable_duties`); one they start themself is theirs to
    do but counts in no completion rate."""
    if duty.cadence != Cadence.ON_DEMAND:
        raise ChecklistError(_("Only on-demand duties are started by hand."))
    if not duty.is_active:
        raise ChecklistError(_("This duty is no longer active."))
    if not (can_manage_org(by) or employee.user_id == by.pk):
        raise NotYourItem(_("You can only start duties for yourself."))
    start = today()
    if not startable_duties(employee_id=employee.pk, role_id=employee.role_id, today=start).filter(pk=duty.pk).exists():
        raise NotYourDuty(
            _(
                "This duty belongs to another role: only the on-demand duties of %(name)s's own role, or of a duty "
                "assigned to them, can be started. A manager can assign the duty first."
            )
            % {"name": employee.full_name}
        )
    due = WorkCalendar.load(start=start, end=start).add_working_days(start, duty.deadline_working_days)
    item = ChecklistItem(
        employee=employee,
        duty=duty,
        kind=ItemKind.ON_DEMAND,
        period_start=start,
        due_date=due,
        title_zh=duty.text_zh,
        title_en=duty.text_en,
        note=note,
        assigned_by=by,
        self_assigned=_self_assigned(employee, by),
    )
    item.full_clean()
    item.save()
    _refresh_one(item)
    return item


@transaction.atomic
def add_ad_hoc_task(
    *, employee: Employee, title_zh: str, title_en: str = "", due_date: datetime.date, by, note: str = ""
) -> ChecklistItem:
    """A one-off task a manager gives one person, with a deadline (one given to themself counts in no rate)."""
    if due_date < today():
        raise ValidationError({"due_date": _("The deadline cannot be in the past.")})
    check_date_window(due_date, field="due_date", earliest=today(), latest=years_from(today(), 2))
    if employee.status == EmployeeStatus.LEFT:
        raise ValidationError({"employee": _("This employee has left the shop.")})
    item = ChecklistItem(
        employee=employee,
        duty=None,
        kind=ItemKind.AD_HOC,
        period_start=today(),
        due_date=due_date,
        title_zh=title_zh,
        title_en=title_en,
        note=note,
        assigned_by=by,
        self_assigned=_self_assigned(employee, by),
    )
    item.full_clean()
    item.save()
    _refresh_one(item)
    return item


# Ticking is the most frequent write of all: its row lock is a query compiled once per process.
_LOCKED_ITEM = PreparedQuery(
    lambda item_id: ChecklistItem.objects.select_for_update(of=("self",)).select_related("employee").filter(pk=item_id),
    int,
)


def _locked_item(item_id: int) -> ChecklistItem:
    """The item, locked until the transaction ends (its employee read along, not locked)."""
    found = _LOCKED_ITEM.objects(int(item_id))
    if not found:
        raise ChecklistItem.DoesNotExist(f"No checklist item {item_id}.")
    return found[0]


# Whether the pay of a month is approved is payroll's to say, and roles imports no other app: payroll registers its
# answer at start-up (payroll/apps.py). Each check takes the month's first day.
_PAY_APPROVED_CHECKS: list[Callable[[datetime.date], bool]] = []


def register_pay_approved_check(check: Callable[[datetime.date], bool]) -> None:
    """Register `check(month) -> bool`: whether the month's payroll is approved, so its items are read-only. It is
    called inside the tick's transaction and should lock what it reads, so an approval waits for the tick or the
    tick for the approval."""
    if check not in _PAY_APPROVED_CHECKS:
        _PAY_APPROVED_CHECKS.append(check)


def _check_may_tick(item: ChecklistItem, user) -> None:
    if item.employee.user_id != user.pk and not can_manage_org(user):
        raise NotYourItem(_("This is not your checklist item."))
    if item.period_start > today():
        raise ChecklistError(
            _("This item is for a future day; it can be ticked from %(day)s.") % {"day": item.period_start}
        )
    month = item.due_date.replace(day=1)
    if any(check(month) for check in _PAY_APPROVED_CHECKS):
        raise ItemPayApproved(
            _(
                "This item was due in %(month)s, whose payroll is approved: its checklist is read-only, so the "
                "completion rate that was paid stays as it was."
            )
            % {"month": month.strftime("%Y-%m")}
        )


def _missed_error(item: ChecklistItem) -> ItemMissed:
    return ItemMissed(
        _(
            "This item was missed: the duty has come round again since %(due)s. Tick the new one on your "
            "checklist; the missed one stays in the history as not done."
        )
        % {"due": item.due_date}
    )


def tick_item(*, item_id: int, user, note: str | None = None) -> ChecklistItem:
    """Mark an item done, recording who and when (done_at is the time of this tick, also after an untick); ticking
    a done item again only updates the note. A missed item is refused: its duty has come round again, and it
    stays in the history as not done. An open item past that point (the 06:00 job has not run yet) is marked
    missed here, so the rule does not depend on when the job runs."""
    with transaction.atomic():
        item = _locked_item(item_id)
        _check_may_tick(item, user)
        if item.status == ItemStatus.OPEN and item_missed_now(item, today=today()):
            item.status = ItemStatus.MISSED
            item.save(update_fields=["status"])
            _refresh_one(item)
        if item.status != ItemStatus.MISSED:
            return _mark_done(item, user=user, note=note)
    # Raised after the commit: the item stays marked missed.
    raise _missed_error(item)


def _mark_done(item: ChecklistItem, *, user, note: str | None) -> ChecklistItem:
    if note is not None:
        if len(note) > 1000:
            raise ValidationError({"note": _("A note is at most 1000 characters.")})
        item.note = note
    if item.status != ItemStatus.DONE:
        item.status = ItemStatus.DONE
        item.done_at = timezone.now()
        item.done_on = timezone.localdate(item.done_at)
        item.done_by = user
    item.save(update_fields=["status", "done_at", "done_on", "done_by", "note"])
    _refresh_one(item)
    return item


@transaction.atomic
def untick_item(*, item_id: int, user) -> ChecklistItem:
    """Mark a done item open again (a mistaken tick); the note is kept. An item whose duty has come round again
    since is refused: opened again it would be missed at once (`cadence.is_missed`), so it stays done as
    recorded."""
    item = _locked_item(item_id)
    _check_may_tick(item, user)
    if item.status != ItemStatus.DONE:
        return item
    if item_missed_now(item, today=today()):
        raise ItemMissed(
            _(
                "This item can no longer be marked as not done: its duty has come round again since %(due)s, so "
                "it stays done as recorded."
            )
            % {"due": item.due_date}
        )
    item.status = ItemStatus.OPEN
    item.done_at = None
    item.done_on = None
    item.done_by = None
    item.save(update_fields=["status", "done_at", "done_on", "done_by"])
    _refresh_one(item)
    return item
