"""Wording a Chinese tester found on a phone: waiting times, names instead of logins, punctuation, labels."""

import datetime

import pytest
from django.utils import timezone, translation

from inventory.choices import CountStatus
from inventory.models import StockCount
from shop_ops.templatetags.shop_ops_format import person
from shop_ops.waiting import waited

NOW = timezone.make_aware(datetime.datetime(2026, 12, 4, 12, 0))


@pytest.mark.parametrize(
    ("since", "chinese", "english"),
    [
        (NOW - datetime.timedelta(days=3, hours=22, minutes=5), "3天22小时", "3 days 22 hours"),
        (NOW - datetime.timedelta(days=1), "1天", "1 day"),
        (NOW - datetime.timedelta(hours=5, minutes=10), "5小时10分钟", "5 hours 10 minutes"),
        (NOW - datetime.timedelta(minutes=8), "8分钟", "8 minutes"),
        (NOW + datetime.timedelta(minutes=8), "0分钟", "0 minutes"),
    ],
)
def test_waiting_times_read_naturally_in_both_languages(since, chinese, english):
    with translation.override("zh-hans"):
        assert waited(since, now=NOW) == chinese
    with translation.override("en"):
        assert waited(since, now=NOW) == english
    assert waited(None) == ""


def test_a_count_being_closed_is_not_called_period_end():
    with translation.override("zh-hans"):
        assert str(CountStatus.CLOSING.label) == "正在关闭"
        assert translation.gettext("Closing") == "期末"  # the summary's closing stock keeps its word
        assert str(StockCount._meta.get_field("closed_by").verbose_name) == "关闭人"


@pytest.mark.django_db
def test_person_shows_the_employees_name_not_the_login():
    from tests.factories import EmployeeFactory, UserFactory

    employee = EmployeeFactory(full_name="孙佳怡")
    assert person(employee.user) == "孙佳怡"
    assert person(UserFactory(username="admin2")) == "admin2"  # a login without an employee record
    assert person(None) == "—"
