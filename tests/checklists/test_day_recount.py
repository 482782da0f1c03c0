"""The day summaries the dashboards and payroll read stay equal to the items (found by a tester of issue 17): a
rerun repairs a day whose recount did not finish, and a tick committed during the whole day's recount is not
overwritten by the older count."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone

from roles import services
from roles.models import ChecklistDaySummary, ChecklistItem, Holiday

from ..factories import DutyFactory, EmployeeFactory


def _working_today():
    day = timezone.localdate()
    Holiday.objects.update_or_create(date=day, defaults={"kind": "workday", "name_zh": "测试", "name_en": "Test"})
    return day


def _mismatches(day) -> list:
    items = {
        row["employee_id"]: (row["total"], row["done"])
        for row in ChecklistItem.objects.filter(due_date=day, self_assigned=False)
        .values("employee_id")
        .annotate(total=Count("id"), done=Count("id", filter=Q(status="done")))
    }
    summaries = {s.employee_id: (s.total, s.done) for s in ChecklistDaySummary.objects.filter(due_date=day)}
    return [
        (who, items.get(who), summaries.get(who))
        for who in set(items) | set(summaries)
        if items.get(who) != summaries.get(who)
    ]


@pytest.mark.django_db
def test_a_rerun_recounts_a_day_whose_recount_did_not_finish():
    day = _working_today()
    people = [EmployeeFactory() for _ in range(3)]
    for person in people:
        DutyFactory(role=person.role)
    assert services.generate_checklists(day=day) == 3
    ChecklistDaySummary.objects.filter(due_date=day).delete()  # as if the recount died after the inserts
    assert _mismatches(day)
    assert services.generate_checklists(day=day) == 0
    assert _mismatches(day) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time: no race to lose")
@pytest.mark.django_db(transaction=True)
def test_a_tick_committed_during_the_whole_day_recount_is_kept():
    day = _working_today()
    person = EmployeeFactory()
    DutyFactory(role=person.role)
    DutyFactory(role=person.role)
    services.generate_checklists(day=day)
    item = ChecklistItem.objects.filter(employee=person, due_date=day).first()
    ticked, go, errors = threading.Event(), threading.Event(), []

    def tick():
        try:
            with transaction.atomic():
                services.tick_item(item_id=item.pk, user=person.user)
                ticked.set()
                go.wait(10)  # hold the tick's transaction open while the day's recount starts
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    def recount():
        try:
            services.refresh_day_summaries(due_date=day)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    ticker = threading.Thread(target=tick)
    ticker.start()
    assert ticked.wait(10)
    recounter = threading.Thread(target=recount)
    recounter.start()
    time.sleep(0.5)
    assert recounter.is_alive(), "the day's recount waits for the tick that holds the day"
    go.set()
    ticker.join(10)
    recounter.join(10)
    assert not errors
    assert ChecklistDaySummary.objects.get(employee=person, due_date=day).done == 1
    assert _mismatches(day) == []
