"""The working-day calendar: Monday to Friday, minus public holidays, plus make-up working days (调休).

`WorkCalendar` is built from the Holiday table once and then answers in memory, so generating checklists for
thousands of people asks the database once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from .choices import DayKind

ONE_DAY = datetime.timedelta(days=1)
# Walking past this many days without meeting a working day means the calendar is broken (a year of holidays).
MAX_SEARCH_DAYS = 366


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[datetime.date] = field(default_factory=frozenset)
    workdays: frozenset[datetime.date] = field(default_factory=frozenset)

    @classmethod
    def load(cls, *, start: datetime.date | None = None, end: datetime.date | None = None) -> WorkCalendar:
        from .models import Holiday

        days = Holiday.objects.all()
        if start is not None:
            days = days.filter(date__gte=start - datetime.timedelta(days=MAX_SEARCH_DAYS))
        if end is not None:
            days = days.filter(date__lte=end + datetime.timedelta(days=MAX_SEARCH_DAYS))
        holidays, workdays = set(), set()
        for date, kind in days.values_list("date", "kind"):
            (holidays if kind == DayKind.HOLIDAY else workdays).add(date)
        return cls(frozenset(holidays), frozenset(workdays))

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.isoweekday() <= 5

    def next_working_day(self, day: datetime.date) -> datetime.date:
        """The day itself if it is a working day, else the first working day after it."""
        for _ in range(MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day += ONE_DAY
        raise ValueError(f"No working day within a year after {day}.")

    def previous_working_day(self, day: datetime.date) -> datetime.date:
        """The last working day strictly before `day`."""
        day -= ONE_DAY
        for _ in range(MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day -= ONE_DAY
        raise ValueError(f"No working day within a year before {day}.")

    def add_working_days(self, day: datetime.date, count: int) -> datetime.date:
        """The `count`th working day after `day` (0 means `day` itself if working, else the next working day).

        "Within two working days" of Monday is Wednesday, of Friday Tuesday, and of Saturday Tuesday too: the days
        counted are the working days after the request, whether or not the request came on one.
        """
        if count == 0:
            return self.next_working_day(day)
        for _ in range(count):
            day = self.next_working_day(day + ONE_DAY)
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days in [start, end]."""
        count, day = 0, start
        while day <= end:
            count += self.is_working_day(day)
            day += ONE_DAY
        return count
