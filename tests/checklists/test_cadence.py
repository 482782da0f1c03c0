"""The cadence rules and the working-day calendar, without the database."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from roles import cadence
from roles.choices import Cadence
from roles.workdays import WorkCalendar

D = datetime.date
CAL_2026 = WorkCalendar(
    holidays=frozenset(
        [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)]
        + [D(2026, 2, d) for d in range(15, 24)]
        + [D(2026, 10, d) for d in range(1, 8)]
    ),
    workdays=frozenset([D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 9, 20), D(2026, 10, 10)]),
)


def duty(**kwargs):
    base = {
        "cadence": Cadence.DAILY,
        "weekdays": [],
        "interval_days": None,
        "anchor_date": None,
        "month_day": None,
        "last_day_of_month": False,
        "deadline_working_days": None,
    }
    base.update(kwargs)
    return SimpleNamespace(**base)


def test_weekends_and_holidays_are_off_make_up_days_are_on():
    assert CAL_2026.is_working_day(D(2026, 1, 5))  # Monday
    assert not CAL_2026.is_working_day(D(2026, 1, 10))  # Saturday
    assert not CAL_2026.is_working_day(D(2026, 1, 1))  # New Year, Thursday
    assert CAL_2026.is_working_day(D(2026, 1, 4))  # Sunday, make-up working day
    assert CAL_2026.is_working_day(D(2026, 2, 28))  # Saturday, make-up working day


def test_two_working_days_deadline_skips_weekend_and_holidays():
    assert CAL_2026.add_working_days(D(2026, 3, 6), 2) == D(2026, 3, 10)  # Fri → Tue
    assert CAL_2026.add_working_days(D(2026, 2, 13), 2) == D(
        2026, 2, 24
    )  # Fri, Sat make-up, then after Spring Festival
    assert CAL_2026.add_working_days(D(2026, 3, 7), 0) == D(2026, 3, 9)  # a Saturday starts on Monday
    assert CAL_2026.add_working_days(D(2026, 3, 9), 2) == D(2026, 3, 11)  # Mon → Wed
    # Found by a tester: a Saturday request got Wednesday, a day more than Friday's; both count Mon, Tue.
    assert CAL_2026.add_working_days(D(2026, 3, 7), 2) == D(2026, 3, 10)  # Sat → Tue
    assert CAL_2026.add_working_days(D(2026, 3, 8), 1) == D(2026, 3, 9)  # Sun → Mon


def test_daily_duty_falls_on_working_days_only():
    assert cadence.due_on(D(2026, 1, 4), duty(), CAL_2026) == [D(2026, 1, 4)]  # make-up Sunday
    assert cadence.due_on(D(2026, 1, 3), duty(), CAL_2026) == []  # holiday Saturday
    assert cadence.due_on(D(2026, 2, 24), duty(), CAL_2026) == [D(2026, 2, 24)]  # nothing piles up after a holiday


def test_weekly_duty_on_a_holiday_moves_to_the_next_working_day():
    monday = duty(cadence=Cadence.WEEKLY, weekdays=[1])
    assert cadence.due_on(D(2026, 2, 16), monday, CAL_2026) == []  # Spring Festival Monday
    assert cadence.due_on(D(2026, 2, 24), monday, CAL_2026) == [D(2026, 2, 16), D(2026, 2, 23)]
    assert cadence.due_on(D(2026, 3, 2), monday, CAL_2026) == [D(2026, 3, 2)]
    assert cadence.due_on(D(2026, 3, 3), monday, CAL_2026) == []


def test_every_seven_days_from_an_anchor():
    title = duty(cadence=Cadence.EVERY_N_DAYS, interval_days=7, anchor_date=D(2026, 3, 4))
    dates = list(cadence.scheduled_dates(title, D(2026, 3, 1), D(2026, 3, 31), CAL_2026))
    assert dates == [D(2026, 3, 4), D(2026, 3, 11), D(2026, 3, 18), D(2026, 3, 25)]
    assert list(cadence.scheduled_dates(title, D(2026, 3, 5), D(2026, 3, 11), CAL_2026)) == [D(2026, 3, 11)]


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2026, 4, D(2026, 4, 30)), (2026, 2, D(2026, 2, 28)), (2028, 2, D(2028, 2, 29)), (2026, 3, D(2026, 3, 31))],
)
def test_day_31_falls_back_to_the_last_day_of_shorter_months(year, month, expected):
    assert cadence.month_occurrence(year, month, day=31, last_day=False) == expected


def test_leap_day_and_last_day_of_month():
    last = duty(cadence=Cadence.MONTHLY, last_day_of_month=True)
    leap = WorkCalendar()
    assert list(cadence.scheduled_dates(last, D(2028, 2, 1), D(2028, 3, 31), leap)) == [D(2028, 2, 29), D(2028, 3, 31)]
    day_29 = duty(cadence=Cadence.MONTHLY, month_day=29)
    assert list(cadence.scheduled_dates(day_29, D(2027, 2, 1), D(2027, 2, 28), leap)) == [D(2027, 2, 28)]


def test_monthly_on_a_weekend_is_due_on_the_next_working_day():
    last = duty(cadence=Cadence.MONTHLY, last_day_of_month=True)
    # 31 January 2026 is a Saturday: the count is due on Monday 2 February.
    assert cadence.due_on(D(2026, 1, 30), last, CAL_2026) == []
    assert cadence.due_on(D(2026, 2, 2), last, CAL_2026) == [D(2026, 1, 31)]


def test_monthly_day_31_on_a_30_day_month_fires_on_the_30th():
    day_31 = duty(cadence=Cadence.MONTHLY, month_day=31)
    assert cadence.due_on(D(2026, 6, 30), day_31, CAL_2026) == [D(2026, 6, 30)]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"cadence": Cadence.WEEKLY, "weekdays": []}, "weekdays"),
        ({"cadence": Cadence.WEEKLY, "weekdays": [0, 8]}, "weekdays"),
        ({"cadence": Cadence.EVERY_N_DAYS, "interval_days": 0, "anchor_date": D(2026, 1, 1)}, "interval_days"),
        ({"cadence": Cadence.EVERY_N_DAYS, "interval_days": 7}, "anchor_date"),
        ({"cadence": Cadence.MONTHLY}, "month_day"),
        ({"cadence": Cadence.MONTHLY, "month_day": 32}, "month_day"),
        ({"cadence": Cadence.ON_DEMAND}, "deadline_working_days"),
    ],
)
def test_impossible_cadences_are_refused_naming_the_field(values, field):
    arguments = {
        "weekdays": None,
        "interval_days": None,
        "anchor_date": None,
        "month_day": None,
        "last_day_of_month": False,
        "deadline_working_days": None,
    }
    arguments.update(values)
    with pytest.raises(ValidationError) as error:
        cadence.validate_cadence(**arguments)
    assert field in error.value.message_dict
