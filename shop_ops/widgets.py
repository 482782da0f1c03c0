"""The form widgets every date, time and month box uses, so each renders a value the browser accepts in any language.

An `<input type="date">` takes only ISO values (2025-03-17). Django's plain DateInput writes the active locale's
first input format, which in zh-hans is 2025/03/17: the browser drops it and the box shows empty, so an unchanged
form loses its dates. These widgets always write the ISO form (the forms still read every format the locale allows).

A month is a `<select>` of year and month ("2025年3月"), not `<input type="month">`: Chromium on a phone shows an
unset month box as dashes, and Safari and Firefox on a desktop offer no month picker at all.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

ISO_DATE = "%Y-%m-%d"
ISO_TIME = "%H:%M"
ISO_DATETIME = "%Y-%m-%dT%H:%M"
ISO_MONTH = "%Y-%m"
NO_MONTH = _("— no month —")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=ISO_DATE)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=ISO_TIME)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=ISO_DATETIME)


class UnechoedTextInput(forms.TextInput):
    """A text box that never writes a value into the page: a personal number typed into a form that came back with
    an error is not sent to the browser again (nor kept in its cache or history); the form asks for it again."""

    def format_value(self, value):
        return None


def _month_start(value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    try:
        return datetime.datetime.strptime(str(value or "").strip()[:7], ISO_MONTH).date()
    except ValueError:
        return None


class MonthSelect(forms.Select):
    """A month as one select of 'YYYY-MM' values, newest first, labelled the locale's way (2025年3月 / March 2025).

    The list runs from `years_back` years ago to `months_ahead` months from this month (0: up to this month, the
    default, since most months a person picks have begun — a payroll, a count, a payslip; -1: up to last month),
    plus the current value if it lies outside. A required month with no value shows the newest month offered; an
    optional one offers an empty choice first."""

    years_back = 5
    months_ahead = 0

    def __init__(self, attrs=None, *, empty_label=None, months_ahead: int | None = None):
        super().__init__(attrs=attrs)
        self.empty_label = empty_label or NO_MONTH
        if months_ahead is not None:
            self.months_ahead = months_ahead

    def newest(self) -> datetime.date:
        today = timezone.localdate()
        index = today.year * 12 + today.month - 1 + self.months_ahead
        return datetime.date(index // 12, index % 12 + 1, 1)

    def format_value(self, value):
        month = _month_start(value)
        if month is not None:
            return [month.strftime(ISO_MONTH)]
        if not value and self.is_required:
            return [min(timezone.localdate().replace(day=1), self.newest()).strftime(ISO_MONTH)]
        return [str(value)] if value else [""]

    def months(self, selected: datetime.date | None) -> list[datetime.date]:
        today = timezone.localdate().replace(day=1)
        first = today.replace(year=today.year - self.years_back)
        month = self.newest()
        months = []
        while month >= first:
            months.append(month)
            month = (month - datetime.timedelta(days=1)).replace(day=1)
        if selected is not None and selected not in months:
            months.append(selected)
            months.sort(reverse=True)
        return months

    def get_context(self, name, value, attrs):
        selected = _month_start(value[0] if isinstance(value, list | tuple) and value else value)
        choices = [] if self.is_required else [("", self.empty_label)]
        choices += [(m.strftime(ISO_MONTH), date_format(m, "YEAR_MONTH_FORMAT")) for m in self.months(selected)]
        self.choices = choices
        return super().get_context(name, value, attrs)
