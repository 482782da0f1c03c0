"""Checklist items due in a month whose payroll is approved (or paid) are read-only: ticking or unticking them
would change the completion rate that payroll paid (roles.services.checklists, asking payroll through
register_pay_approved_check). Service, API and page; a month whose run is only computed stays open."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from payroll.choices import RunStatus
from payroll.models import PayrollRun
from roles import services
from roles.choices import ItemKind, ItemStatus
from roles.exceptions import ItemPayApproved
from roles.models import ChecklistItem
from roles.selectors import checklist_completion_rates

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 3, 10)
MONTH = DUE.replace(day=1)
READ_ONLY = "whose payroll is approved: its checklist is read-only"


def item_due(employee, *, due=DUE, status=ItemStatus.OPEN):
    done = {}
    if status == ItemStatus.DONE:  # done on the day, on time
        done_at = timezone.make_aware(datetime.datetime.combine(due, datetime.time(10)))
        done = {"done_at": done_at, "done_on": due, "done_by": employee.user}
    item = ChecklistItem.objects.create(
        employee=employee, kind=ItemKind.AD_HOC, period_start=due, due_date=due, title_zh="盘点", status=status, **done
    )
    services.refresh_day_summaries(due_date=due, employee_id=employee.pk)
    return item


def run_of(month, status, user):
    signed = {}
    if status in (RunStatus.APPROVED, RunStatus.PAID):
        signed = {"approved_by": user, "approved_at": timezone.now()}
    if status == RunStatus.PAID:
        signed |= {"paid_by": user, "paid_at": timezone.now()}
    return PayrollRun.objects.create(month=month, status=status, **signed)


@pytest.mark.parametrize("status", [RunStatus.APPROVED, RunStatus.PAID])
def test_items_of_an_approved_month_are_neither_ticked_nor_unticked(staff, finance, manager, status):
    open_item = item_due(staff)
    done_item = item_due(staff, status=ItemStatus.DONE)
    run_of(MONTH, status, finance.user)
    rates = checklist_completion_rates(start=MONTH, end=datetime.date(2026, 3, 31))
    for tick, item, user in (
        (services.tick_item, open_item, staff.user),
        (services.tick_item, open_item, manager.user),
        (services.untick_item, done_item, staff.user),
        (services.untick_item, done_item, manager.user),
    ):
        with pytest.raises(ItemPayApproved, match=READ_ONLY):
            tick(item_id=item.pk, user=user)
    open_item.refresh_from_db()
    done_item.refresh_from_db()
    assert (open_item.status, done_item.status) == (ItemStatus.OPEN, ItemStatus.DONE)
    assert checklist_completion_rates(start=MONTH, end=datetime.date(2026, 3, 31)) == rates


def test_a_computed_month_and_other_months_stay_open(staff, finance):
    """Only the approved month's items are locked: the month before it and a month only computed are not."""
    run_of(MONTH, RunStatus.APPROVED, finance.user)
    run_of(datetime.date(2026, 4, 1), RunStatus.READY, finance.user)
    earlier = item_due(staff, due=datetime.date(2026, 2, 27))
    computed = item_due(staff, due=datetime.date(2026, 4, 1))
    last_day_before = item_due(staff, due=datetime.date(2026, 3, 31))
    assert services.tick_item(item_id=earlier.pk, user=staff.user).status == ItemStatus.DONE
    assert services.tick_item(item_id=computed.pk, user=staff.user).status == ItemStatus.DONE
    assert services.untick_item(item_id=computed.pk, user=staff.user).status == ItemStatus.OPEN
    with pytest.raises(ItemPayApproved):
        services.tick_item(item_id=last_day_before.pk, user=staff.user)


def test_api_tick_and_untick_are_409_with_the_reason(api_as, staff, finance):
    open_item = item_due(staff)
    done_item = item_due(staff, status=ItemStatus.DONE)
    run_of(MONTH, RunStatus.APPROVED, finance.user)
    client = api_as(staff)
    response = client.post(f"/api/checklist-items/{open_item.pk}/tick/", {"note": "late"}, format="json")
    assert response.status_code == 409, response.content
    assert READ_ONLY in response.json()["detail"] and "2026-03" in response.json()["detail"]
    response = client.post(f"/api/checklist-items/{done_item.pk}/untick/")
    assert response.status_code == 409, response.content
    open_item.refresh_from_db()
    done_item.refresh_from_db()
    assert (open_item.status, open_item.note, done_item.status) == (ItemStatus.OPEN, "", ItemStatus.DONE)


def test_page_tick_shows_the_message(client_as, staff, finance):
    item = item_due(staff)
    run_of(MONTH, RunStatus.APPROVED, finance.user)
    client = client_as(staff)
    response = client.post(reverse("roles:item-tick", args=[item.pk]), {"note": "ok"}, follow=True)
    assert READ_ONLY in response.content.decode()
    response = client.post(reverse("roles:item-tick", args=[item.pk]), {"note": "ok"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and READ_ONLY in response.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN
