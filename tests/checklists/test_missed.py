"""Missed items: a recurring duty's item still open when the duty comes round again is missed, not overdue.

The rule lives in roles/cadence.py (`latest_due_date`, `is_missed`); the daily job applies it in bulk
(`mark_missed_items`). Month ends, year ends, leap years, weekly across a month end and every-N-days.
"""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from roles import cadence, services
from roles.choices import Cadence, ItemKind, ItemStatus
from roles.exceptions import ItemMissed
from roles.models import ChecklistDaySummary, ChecklistItem, Holiday
from roles.selectors import completion_table, my_checklist, overdue_items
from roles.services import checklists as checklist_services
from roles.workdays import WorkCalendar

from ..factories import DutyFactory
from .test_cadence import CAL_2026, duty

D = datetime.date
PLAIN = WorkCalendar()  # Monday to Friday, no holidays


# --- the rule, without the database ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "not_yet", "missed_on"),
    [
        (D(2025, 1, 31), D(2025, 2, 27), D(2025, 2, 28)),  # Jan 31 -> Feb 28
        (D(2024, 1, 31), D(2024, 2, 28), D(2024, 2, 29)),  # leap year: Jan 31 -> Feb 29
        (D(2025, 12, 31), D(2026, 1, 30), D(2027, 1, 1)),  # across the year end (Jan 31 2026 is a Saturday)
    ],
)
def test_monthly_day_31_is_missed_when_the_next_months_occurrence_falls_due(due, not_yet, missed_on):
    monthly = duty(cadence=Cadence.MONTHLY, month_day=31)
    assert not cadence.is_missed(due_date=due, duty=monthly, today=not_yet, workdays=PLAIN)
    assert cadence.is_missed(due_date=due, duty=monthly, today=missed_on, workdays=PLAIN)


def test_monthly_on_a_saturday_is_due_and_replaces_on_the_monday():
    monthly = duty(cadence=Cadence.MONTHLY, month_day=31)
    # 31 January 2026 is a Saturday: that occurrence falls due on Monday 2 February.
    assert cadence.latest_due_date(monthly, D(2026, 1, 31), PLAIN) == D(2025, 12, 31)
    assert cadence.latest_due_date(monthly, D(2026, 2, 2), PLAIN) == D(2026, 2, 2)
    assert cadence.is_missed(due_date=D(2025, 12, 31), duty=monthly, today=D(2026, 2, 2), workdays=PLAIN)


def test_weekly_across_a_month_end():
    mondays = duty(cadence=Cadence.WEEKLY, weekdays=[1])
    due = D(2026, 3, 30)  # Monday
    assert not cadence.is_missed(due_date=due, duty=mondays, today=D(2026, 4, 3), workdays=PLAIN)
    assert not cadence.is_missed(due_date=due, duty=mondays, today=D(2026, 4, 5), workdays=PLAIN)  # Sunday
    assert cadence.is_missed(due_date=due, duty=mondays, today=D(2026, 4, 6), workdays=PLAIN)


def test_every_three_days_across_a_month_end_and_a_weekend():
    every_3 = duty(cadence=Cadence.EVERY_N_DAYS, interval_days=3, anchor_date=D(2026, 1, 28))
    # Jan 28 (Wed), Jan 31 (Sat, due Mon Feb 2), Feb 3 (Tue)...
    assert cadence.latest_due_date(every_3, D(2026, 1, 30), PLAIN) == D(2026, 1, 28)
    assert not cadence.is_missed(due_date=D(2026, 1, 28), duty=every_3, today=D(2026, 2, 1), workdays=PLAIN)
    assert cadence.is_missed(due_date=D(2026, 1, 28), duty=every_3, today=D(2026, 2, 2), workdays=PLAIN)
    assert cadence.latest_due_date(every_3, D(2026, 1, 27), PLAIN) is None  # before the first occurrence


def test_daily_missed_on_the_last_day_of_a_month_and_of_a_year():
    daily = duty(cadence=Cadence.DAILY)
    assert not cadence.is_missed(due_date=D(2026, 3, 31), duty=daily, today=D(2026, 3, 31), workdays=PLAIN)
    assert cadence.is_missed(due_date=D(2026, 3, 31), duty=daily, today=D(2026, 4, 1), workdays=PLAIN)
    # New Year's Day and the 2nd and 3rd are off in 2026, the 4th (a Sunday) is a make-up working day.
    for day_off in (D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)):
        assert not cadence.is_missed(due_date=D(2025, 12, 31), duty=daily, today=day_off, workdays=CAL_2026)
    assert cadence.is_missed(due_date=D(2025, 12, 31), duty=daily, today=D(2026, 1, 4), workdays=CAL_2026)


def test_on_demand_duties_are_never_missed():
    on_demand = duty(cadence=Cadence.ON_DEMAND, deadline_working_days=2)
    assert cadence.latest_due_date(on_demand, D(2026, 3, 31), PLAIN) is None
    assert not cadence.is_missed(due_date=D(2025, 1, 1), duty=on_demand, today=D(2026, 3, 31), workdays=PLAIN)


# --- the daily job, the lists and the figures --------------------------------------------------------------------


@pytest.fixture
def daily_at_month_end(staff):
    """A daily duty generated on Mon 30 and Tue 31 March and Wed 1 April 2026, nothing ticked."""
    daily = DutyFactory(role=staff.role, cadence=Cadence.DAILY)
    for day in (D(2026, 3, 30), D(2026, 3, 31), D(2026, 4, 1)):
        services.generate_checklists(day=day)
    return daily


@pytest.mark.django_db
def test_the_daily_job_marks_earlier_items_missed_and_they_leave_checklist_and_overdue_list(staff, daily_at_month_end):
    items = {i.due_date: i for i in ChecklistItem.objects.filter(employee=staff)}
    assert items[D(2026, 3, 30)].status == items[D(2026, 3, 31)].status == ItemStatus.MISSED
    assert items[D(2026, 4, 1)].status == ItemStatus.OPEN
    assert [i.due_date for i in my_checklist(employee=staff, today=D(2026, 4, 1))] == [D(2026, 4, 1)]
    assert list(overdue_items(today=D(2026, 4, 2))) == [items[D(2026, 4, 1)]]
    # Kept in the history and counted as not done, on time or at all.
    summary = ChecklistDaySummary.objects.get(employee=staff, due_date=D(2026, 3, 31))
    assert (summary.total, summary.done, summary.on_time, summary.missed) == (1, 0, 0, 1)
    march = completion_table(start=D(2026, 3, 1), end=D(2026, 3, 31), today=D(2026, 4, 1)).overall
    assert (march.total, march.done, march.on_time, march.overdue, march.missed) == (2, 0, 0, 0, 2)
    assert march.rate == march.on_time_rate == 0


@pytest.mark.django_db
def test_marking_is_idempotent_and_one_statement(staff, daily_at_month_end, django_assert_max_num_queries):
    assert services.mark_missed_items(day=D(2026, 4, 1)) == 0
    ChecklistItem.objects.filter(employee=staff).update(status=ItemStatus.OPEN)
    DutyFactory.create_batch(20, role=staff.role)
    # Holidays, duties, the dates to recount, one UPDATE, one recount per date (on PostgreSQL also the day's lock
    # before each recount, each in its own savepoint): bounded by the dates, not the items.
    with django_assert_max_num_queries(14 if connection.vendor == "postgresql" else 8):
        assert services.mark_missed_items(day=D(2026, 4, 1)) == 2


@pytest.mark.django_db
def test_one_off_and_on_demand_items_stay_overdue_until_done(staff, manager, daily_at_month_end):
    on_demand = DutyFactory(role=staff.role, cadence=Cadence.ON_DEMAND, deadline_working_days=1)
    common = {"employee": staff, "period_start": D(2026, 3, 2), "due_date": D(2026, 3, 3), "title_zh": "旧"}
    one_off = ChecklistItem.objects.create(kind=ItemKind.AD_HOC, assigned_by=manager.user, **common)
    started = ChecklistItem.objects.create(kind=ItemKind.ON_DEMAND, duty=on_demand, **common)
    services.generate_checklists(day=D(2026, 4, 2))
    assert ChecklistItem.objects.get(pk=one_off.pk).status == ItemStatus.OPEN
    assert ChecklistItem.objects.get(pk=started.pk).status == ItemStatus.OPEN
    assert {i.pk for i in overdue_items(today=D(2026, 4, 2))} >= {one_off.pk, started.pk}


@pytest.mark.django_db
def test_weekly_and_monthly_items_wait_for_their_own_next_occurrence(staff):
    weekly = DutyFactory(role=staff.role, cadence=Cadence.WEEKLY, weekdays=[1])
    monthly = DutyFactory(role=staff.role, cadence=Cadence.MONTHLY, month_day=None, last_day_of_month=True)
    services.generate_checklists(day=D(2026, 3, 30))  # Monday: the weekly item
    services.generate_checklists(day=D(2026, 3, 31))  # last day of March: the monthly item
    for day in (D(2026, 4, 1), D(2026, 4, 2), D(2026, 4, 3)):
        services.generate_checklists(day=day)
    assert set(ChecklistItem.objects.filter(employee=staff).values_list("status", flat=True)) == {ItemStatus.OPEN}
    Holiday.objects.filter(date__range=(D(2026, 4, 4), D(2026, 4, 6))).delete()  # keep Monday 6 April a workday
    services.generate_checklists(day=D(2026, 4, 6))
    assert ChecklistItem.objects.get(duty=weekly, due_date=D(2026, 3, 30)).status == ItemStatus.MISSED
    assert ChecklistItem.objects.get(duty=monthly).status == ItemStatus.OPEN
    services.generate_checklists(day=D(2026, 4, 30))
    assert ChecklistItem.objects.get(duty=monthly, due_date=D(2026, 3, 31)).status == ItemStatus.MISSED


@pytest.mark.django_db
def test_ticking_a_missed_item_is_refused_with_a_message(staff, daily_at_month_end):
    missed = ChecklistItem.objects.get(employee=staff, due_date=D(2026, 3, 31))
    with pytest.raises(ItemMissed, match="missed"):
        services.tick_item(item_id=missed.pk, user=staff.user)
    assert ChecklistItem.objects.get(pk=missed.pk).status == ItemStatus.MISSED


@pytest.mark.django_db
def test_ticking_a_missed_item_on_the_page_and_the_api(client_as, api_as, staff, daily_at_month_end):
    missed = ChecklistItem.objects.get(employee=staff, due_date=D(2026, 3, 31))
    response = client_as(staff).post(reverse("roles:item-tick", args=[missed.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "This item was missed" in response.content.decode()
    response = api_as(staff).post(f"/api/checklist-items/{missed.pk}/tick/", {}, format="json")
    assert response.status_code == 409, response.content
    assert ChecklistItem.objects.get(pk=missed.pk).status == ItemStatus.MISSED


@pytest.fixture
def ticked_on_time(staff, monkeypatch):
    """A daily item due Tue 31 March 2026, ticked that day; the job has since generated Wed 1 April's."""
    daily = DutyFactory(role=staff.role, cadence=Cadence.DAILY)
    services.generate_checklists(day=D(2026, 3, 31))
    item = ChecklistItem.objects.get(duty=daily)
    monkeypatch.setattr(checklist_services, "today", lambda: D(2026, 3, 31))
    services.tick_item(item_id=item.pk, user=staff.user)
    services.generate_checklists(day=D(2026, 4, 1))
    monkeypatch.setattr(checklist_services, "today", lambda: D(2026, 4, 1))
    return ChecklistItem.objects.get(pk=item.pk)


@pytest.mark.django_db
def test_unticking_after_the_duty_came_round_again_is_refused_and_it_stays_done(staff, ticked_on_time):
    assert ticked_on_time.status == ItemStatus.DONE  # done items are never marked missed
    with pytest.raises(ItemMissed, match="can no longer be marked as not done"):
        services.untick_item(item_id=ticked_on_time.pk, user=staff.user)
    item = ChecklistItem.objects.get(pk=ticked_on_time.pk)
    assert (item.status, item.done_at, item.done_on) == (
        ItemStatus.DONE,
        ticked_on_time.done_at,
        ticked_on_time.done_on,
    )
    summary = ChecklistDaySummary.objects.get(employee=staff, due_date=D(2026, 3, 31))
    assert (summary.done, summary.missed) == (1, 0)


@pytest.mark.django_db
def test_the_api_and_the_page_refuse_that_untick_with_409_and_a_message(
    client_as, api_as, staff, manager, ticked_on_time
):
    response = api_as(manager).post(f"/api/checklist-items/{ticked_on_time.pk}/untick/", {}, format="json")
    assert response.status_code == 409, response.content
    assert "stays done as recorded" in response.json()["detail"]
    response = client_as(staff).post(reverse("roles:item-untick", args=[ticked_on_time.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "stays done as recorded" in response.content.decode()
    assert f'data-testid="kept-{ticked_on_time.pk}"' in response.content.decode()
    assert f'data-testid="tick-{ticked_on_time.pk}"' not in response.content.decode()
    assert ChecklistItem.objects.get(pk=ticked_on_time.pk).status == ItemStatus.DONE


@pytest.mark.django_db
def test_my_checklist_offers_no_untick_button_for_a_done_item_whose_duty_came_round(client_as, staff):
    daily = DutyFactory(role=staff.role, cadence=Cadence.DAILY)
    common = {"employee": staff, "duty": daily, "kind": ItemKind.DUTY, "title_zh": "日"}
    now = timezone.now()
    kept = ChecklistItem.objects.create(
        period_start=D(2026, 3, 31),
        due_date=D(2026, 3, 31),
        status=ItemStatus.DONE,
        done_at=now,
        done_on=timezone.localdate(now),
        done_by=staff.user,
        **common,
    )
    today = timezone.localdate()
    fresh = ChecklistItem.objects.create(
        period_start=today,
        due_date=today,
        status=ItemStatus.DONE,
        done_at=now,
        done_on=today,
        done_by=staff.user,
        **common,
    )
    body = client_as(staff).get(reverse("roles:my-checklist")).content.decode()
    assert f'data-testid="kept-{kept.pk}"' in body and f'data-testid="tick-{kept.pk}"' not in body
    assert f'data-testid="tick-{fresh.pk}"' in body and f'data-testid="kept-{fresh.pk}"' not in body


@pytest.mark.django_db
def test_untick_and_retick_on_the_same_day_is_fine_and_records_the_new_tick(staff, monkeypatch):
    daily = DutyFactory(role=staff.role, cadence=Cadence.DAILY)
    services.generate_checklists(day=D(2026, 3, 31))
    item = ChecklistItem.objects.get(duty=daily)
    monkeypatch.setattr(checklist_services, "today", lambda: D(2026, 3, 31))
    first = services.tick_item(item_id=item.pk, user=staff.user)
    assert services.untick_item(item_id=item.pk, user=staff.user).status == ItemStatus.OPEN
    again = services.tick_item(item_id=item.pk, user=staff.user)
    assert again.status == ItemStatus.DONE and again.done_at >= first.done_at


@pytest.mark.django_db
def test_ticking_an_open_item_past_its_next_occurrence_before_the_job_runs_marks_it_missed(api_as, staff, monkeypatch):
    daily = DutyFactory(role=staff.role, cadence=Cadence.DAILY)
    services.generate_checklists(day=D(2026, 3, 31))
    item = ChecklistItem.objects.get(duty=daily)
    monkeypatch.setattr(checklist_services, "today", lambda: D(2026, 4, 1))  # 1 April, before the 06:00 job
    with pytest.raises(ItemMissed, match="This item was missed"):
        services.tick_item(item_id=item.pk, user=staff.user)
    assert ChecklistItem.objects.get(pk=item.pk).status == ItemStatus.MISSED  # kept, though the tick failed
    summary = ChecklistDaySummary.objects.get(employee=staff, due_date=D(2026, 3, 31))
    assert (summary.done, summary.missed) == (0, 1)
    response = api_as(staff).post(f"/api/checklist-items/{item.pk}/tick/", {}, format="json")
    assert response.status_code == 409 and "This item was missed" in response.json()["detail"]


@pytest.mark.django_db
def test_the_api_refuses_the_tick_of_an_item_the_job_has_not_marked_yet(api_as, staff):
    daily = DutyFactory(role=staff.role, cadence=Cadence.DAILY)
    item = ChecklistItem.objects.create(
        employee=staff,
        duty=daily,
        kind=ItemKind.DUTY,
        title_zh="日",
        period_start=D(2026, 3, 31),
        due_date=D(2026, 3, 31),
    )
    response = api_as(staff).post(f"/api/checklist-items/{item.pk}/tick/", {}, format="json")
    assert response.status_code == 409, response.content
    assert ChecklistItem.objects.get(pk=item.pk).status == ItemStatus.MISSED


@pytest.mark.django_db
def test_dashboard_and_history_before_and_after(client_as, manager, staff):
    """Two open items of a daily duty from earlier working days: overdue before the job runs, missed after,
    shown as 已错过 in the person's history."""
    today = timezone.localdate()
    workdays = WorkCalendar.load(start=today, end=today)
    latest = today if workdays.is_working_day(today) else workdays.previous_working_day(today)
    second = workdays.previous_working_day(latest)
    first = workdays.previous_working_day(second)
    daily = DutyFactory(role=staff.role, cadence=Cadence.DAILY)
    for day in (first, second):
        ChecklistItem.objects.create(
            employee=staff, duty=daily, period_start=day, due_date=day, title_zh="盘点货架", title_en="Check shelves"
        )
        services.refresh_day_summaries(due_date=day)
    client = client_as(manager)
    page = client.get(reverse("roles:checklist-dashboard"), {"period": "month"}).content.decode()
    assert 'data-testid="overdue-count">2<' in page
    services.mark_missed_items(day=today)
    page = client.get(reverse("roles:checklist-dashboard"), {"period": "month"}).content.decode()
    assert 'data-testid="overdue-count">0<' in page
    in_month = sum(1 for d in (first, second) if d.month == today.month and d.year == today.year)
    assert f'data-testid="missed-count">{in_month}<' in page
    history = client.get(
        reverse("roles:person-history", args=[staff.pk]),
        {"start": first.isoformat(), "end": today.isoformat()},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert history.count("已错过") == 2


@pytest.mark.django_db
def test_the_migration_marks_items_a_later_item_replaced_and_recounts(staff):
    """Existing data: the same daily duty open on three days leaves two missed and today's open."""
    import importlib

    from django.apps import apps

    daily = DutyFactory(role=staff.role, cadence=Cadence.DAILY)
    days = (D(2026, 3, 27), D(2026, 3, 30), D(2026, 3, 31))
    for day in days:
        ChecklistItem.objects.create(employee=staff, duty=daily, period_start=day, due_date=day, title_zh="日常")
        services.refresh_day_summaries(due_date=day)
    once = ChecklistItem.objects.create(
        employee=staff, kind=ItemKind.AD_HOC, period_start=days[0], due_date=days[0], title_zh="一次"
    )
    migration = importlib.import_module("roles.migrations.0009_checklist_item_missed")
    migration.mark_missed_items(apps, None)
    statuses = dict(ChecklistItem.objects.filter(duty=daily).values_list("due_date", "status"))
    assert statuses == {days[0]: "missed", days[1]: "missed", days[2]: "open"}
    assert ChecklistItem.objects.get(pk=once.pk).status == "open"
    summary = ChecklistDaySummary.objects.get(employee=staff, due_date=days[0])
    assert (summary.total, summary.done, summary.missed) == (2, 0, 1)
    migration.reopen_missed_items(apps, None)
    assert set(ChecklistItem.objects.values_list("status", flat=True)) == {"open"}


@pytest.mark.django_db
def test_api_stats_count_missed_and_the_list_filters_them(api_as, manager, staff, daily_at_month_end):
    client = api_as(manager)
    rows = client.get(
        "/api/checklist-stats/", {"group_by": "employee", "start": "2026-03-01", "end": "2026-03-31"}
    ).json()
    [row] = [r for r in rows if r["key"] == staff.pk]
    # March's two items are missed, not overdue; "overdue" is what is open past its due date now, whatever the
    # period asked for, so April 1st's open item is the one overdue item.
    assert (row["total"], row["done"], row["overdue"], row["missed"], row["rate"]) == (2, 0, 1, 2, "0.0000")
    missed = client.get("/api/checklist-items/", {"status": "missed", "employee": staff.pk}).json()
    assert sorted(item["due_date"] for item in missed["results"]) == ["2026-03-30", "2026-03-31"]
    assert all(item["status"] == "missed" and not item["overdue"] for item in missed["results"])
