"""When a duty comes round. The one place the cadence rules live.

A duty has *scheduled dates* (every working day; given weekdays; every N days from an anchor; a day of the
month). A checklist item is due on the first working day on or after its scheduled date, and it is generated on
that day: so a weekly Monday duty whose Monday is a public holiday appears on Tuesday, and a monthly duty for
day 31 falls back to the last day of shorter months (30 April, 28 or 29 February).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import Cadence
from .workdays import ONE_DAY, WorkCalendar


def month_occurrence(year: int, month: int, *, day: int | None, last_day: bool) -> datetime.date:
    """The scheduled date of a monthly duty in one month: `day`, or the month's last day if shorter or asked."""
    days_in_month = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, days_in_month if last_day or day is None else min(day, days_in_month))


def scheduled_dates(duty, start: datetime.date, end: datetime.date, workdays: WorkCalendar) -> Iterator[datetime.date]:
    """Every scheduled date of `duty` in [start, end], in order. On-demand duties have none."""
    if start > end:
        return
    if duty.cadence == Cadence.DAILY:
        day = start
        while day <= end:
            if workdays.is_working_day(day):
                yield day
            day += ONE_DAY
    elif duty.cadence == Cadence.WEEKLY:
        wanted = set(duty.weekdays or ())
        day = start
        while day <= end:
            if day.isoweekday() in wanted:
                yield day
            day += ONE_DAY
    elif duty.cadence == Cadence.EVERY_N_DAYS:
        step = duty.interval_days
        offset = (start - duty.anchor_date).days
        first = (
            duty.anchor_date if offset <= 0 else duty.anchor_date + datetime.timedelta(days=-(-offset // step) * step)
        )
        day = first
        while day <= end:
            yield day
            day += datetime.timedelta(days=step)
    elif duty.cadence == Cadence.MONTHLY:
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            day = month_occurrence(year, month, day=duty.month_day, last_day=duty.last_day_of_month)
            if start <= day <= end:
                yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def due_on(day: datetime.date, duty, workdays: WorkCalendar) -> list[datetime.date]:
    """The scheduled dates of `duty` whose items fall due (and are generated) on `day`.

    On a working day that is every scheduled date since the previous working day; on a day off, none.
    """
    if not workdays.is_working_day(day):
        return []
    window_start = workdays.previous_working_day(day) + ONE_DAY
    return list(scheduled_dates(duty, window_start, day, workdays))


def latest_due_date(duty, day: datetime.date, workdays: WorkCalendar) -> datetime.date | None:
    """The last working day on or before `day` on which an item of `duty` fell due; None for on-demand duties and
    before a duty's first occurrence. The inverse of `due_on`: `due_on(result, duty, workdays)` is not empty."""
    if duty.cadence == Cadence.ON_DEMAND:
        return None
    last_working = day if workdays.is_working_day(day) else workdays.previous_working_day(day)
    scheduled: datetime.date | None = None
    if duty.cadence == Cadence.DAILY:
        scheduled = last_working
    elif duty.cadence == Cadence.WEEKLY:
        wanted = set(duty.weekdays or ())
        candidates = (last_working - datetime.timedelta(days=back) for back in range(7))
        scheduled = next((d for d in candidates if d.isoweekday() in wanted), None)
    elif duty.cadence == Cadence.EVERY_N_DAYS:
        if duty.anchor_date is None or not duty.interval_days or last_working < duty.anchor_date:
            return None
        steps = (last_working - duty.anchor_date).days // duty.interval_days
        scheduled = duty.anchor_date + datetime.timedelta(days=steps * duty.interval_days)
    elif duty.cadence == Cadence.MONTHLY:
        year, month = last_working.year, last_working.month
        scheduled = month_occurrence(year, month, day=duty.month_day, last_day=duty.last_day_of_month)
        if scheduled > last_working:
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            scheduled = month_occurrence(year, month, day=duty.month_day, last_day=duty.last_day_of_month)
    if scheduled is None:
        return None
    # Due on the first working day on or after the scheduled date, which is never after `last_working`.
    return workdays.next_working_day(scheduled)


def is_missed(*, due_date: datetime.date, duty, today: datetime.date, workdays: WorkCalendar) -> bool:
    """Whether an open item of recurring `duty` due on `due_date` is missed on `today`: the duty's next
    occurrence has fallen due since. On-demand duties are never missed (they stay overdue until done)."""
    latest = latest_due_date(duty, today, workdays)
    return latest is not None and latest > due_date


def validate_cadence(
    *,
    cadence: str,
    weekdays: list | None,
    interval_days: int | None,
    anchor_date: datetime.date | None,
    month_day: int | None,
    last_day_of_month: bool,
    deadline_working_days: int | None,
) -> None:
    """Refuse a cadence that cannot come round, with the field at fault named."""
    errors: dict[str, str] = {}
    if cadence == Cadence.WEEKLY:
        if not weekdays:
            errors["weekdays"] = _("Choose at least one weekday.")
        elif not all(isinstance(d, int) and 1 <= d <= 7 for d in weekdays) or len(set(weekdays)) != len(weekdays):
            errors["weekdays"] = _("Weekdays are distinct numbers from 1 (Monday) to 7 (Sunday).")
    if cadence == Cadence.EVERY_N_DAYS:
        if not interval_days or interval_days < 1:
            errors["interval_days"] = _("Give N, the number of days between occurrences (1 or more).")
        if anchor_date is None:
            errors["anchor_date"] = _("Give the date of the first occurrence.")
    if cadence == Cadence.MONTHLY:
        if month_day is None and not last_day_of_month:
            errors["month_day"] = _("Give a day of the month (1-31) or tick 'last day of month'.")
        elif month_day is not None and not 1 <= month_day <= 31:
            errors["month_day"] = _("A day of the month is between 1 and 31.")
    if cadence == Cadence.ON_DEMAND and deadline_working_days is None:
        errors["deadline_working_days"] = _("Give the deadline in working days.")
    if errors:
        raise ValidationError(errors)


def describe(duty) -> str:
    """A short human description of the cadence, e.g. 'Mon, Wed' or 'monthly, last day'."""
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    if duty.cadence == Cadence.DAILY:
        return _("every working day")
    if duty.cadence == Cadence.WEEKLY:
        return _("weekly: %(days)s") % {"days": ", ".join(names[d - 1] for d in sorted(duty.weekdays or []))}
    if duty.cadence == Cadence.EVERY_N_DAYS:
        return _("every %(n)s days from %(date)s") % {"n": duty.interval_days, "date": duty.anchor_date}
    if duty.cadence == Cadence.MONTHLY:
        if duty.last_day_of_month:
            return _("monthly, last day")
        return _("monthly, day %(day)s") % {"day": duty.month_day}
    return _("on demand, within %(n)s working days") % {"n": duty.deadline_working_days}
