import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from roles import services
from roles.choices import AssignmentMode, Cadence, EmployeeStatus, ItemStatus
from roles.exceptions import ChecklistError, NotYourItem
from roles.models import ChecklistDaySummary, ChecklistItem, Holiday
from roles.selectors import checklist_completion_rates
from roles.workdays import WorkCalendar

from ..factories import DutyFactory, EmployeeFactory, RoleFactory

pytestmark = pytest.mark.django_db
D = datetime.date
MONDAY = D(2026, 3, 2)


def items_of(employee):
    return list(ChecklistItem.objects.filter(employee=employee).order_by("period_start", "duty_id"))


def test_generation_creates_one_item_per_person_and_duty_and_is_idempotent():
    role = RoleFactory()
    people = EmployeeFactory.create_batch(3, role=role)
    DutyFactory.create_batch(2, role=role)
    assert services.generate_checklists(day=MONDAY) == 6
    assert services.generate_checklists(day=MONDAY) == 0
    assert ChecklistItem.objects.count() == 6
    assert {len(items_of(p)) for p in people} == {2}


def test_holiday_generates_nothing_and_make_up_day_generates():
    role = RoleFactory()
    employee = EmployeeFactory(role=role)
    DutyFactory(role=role)
    assert services.generate_checklists(day=D(2026, 10, 1)) == 0  # National Day (seeded by migration)
    assert services.generate_checklists(day=D(2026, 10, 10)) == 1  # make-up Saturday
    Holiday.objects.create(date=D(2026, 3, 3), kind="holiday", name_zh="店庆", name_en="Shop anniversary")
    assert services.generate_checklists(day=D(2026, 3, 3)) == 0
    assert len(items_of(employee)) == 1


def test_hired_today_is_included_left_yesterday_is_not_on_leave_is_not():
    role = RoleFactory()
    DutyFactory(role=role)
    newcomer = EmployeeFactory(role=role, hire_date=MONDAY)
    not_yet = EmployeeFactory(role=role, hire_date=MONDAY + datetime.timedelta(days=1))
    leaver = EmployeeFactory(
        role=role, hire_date=D(2025, 1, 1), leave_date=MONDAY - datetime.timedelta(days=1), status=EmployeeStatus.LEFT
    )
    away = EmployeeFactory(role=role, status=EmployeeStatus.ON_LEAVE)
    services.generate_checklists(day=MONDAY)
    assert len(items_of(newcomer)) == 1
    assert items_of(not_yet) == items_of(leaver) == items_of(away) == []


def test_chosen_employees_and_cover_assignments(manager):
    role = RoleFactory()
    alice, bob = EmployeeFactory.create_batch(2, role=role)
    outsider = EmployeeFactory()
    chosen = DutyFactory(role=role, assignment_mode=AssignmentMode.CHOSEN)
    everyone = DutyFactory(role=role)
    today = timezone.localdate()
    services.assign_duty(duty=chosen, employee=alice, valid_from=today, by=manager.user)
    services.assign_duty(duty=everyone, employee=outsider, valid_from=today, valid_to=today, by=manager.user)
    day = today
    while not (day.isoweekday() <= 5 and not Holiday.objects.filter(date=day).exists()):
        day += datetime.timedelta(days=1)
    services.generate_checklists(day=day)
    assert {i.duty_id for i in items_of(alice)} == {chosen.id, everyone.id}
    assert {i.duty_id for i in items_of(bob)} == {everyone.id}
    assert {i.duty_id for i in items_of(outsider)} == ({everyone.id} if day == today else set())


def test_assignment_cannot_start_in_the_past_or_overlap(manager):
    duty = DutyFactory()
    employee = EmployeeFactory(role=duty.role)
    with pytest.raises(ValidationError) as error:
        services.assign_duty(duty=duty, employee=employee, valid_from=D(2020, 1, 1), by=manager.user)
    assert "valid_from" in error.value.message_dict
    services.assign_duty(duty=duty, employee=employee, by=manager.user)
    with pytest.raises(ValidationError, match="already assigned"):
        services.assign_duty(duty=duty, employee=employee, by=manager.user)


def test_editing_a_duty_never_rewrites_generated_items(manager):
    duty = DutyFactory(text_zh="旧文本", text_en="Old text")
    employee = EmployeeFactory(role=duty.role)
    services.generate_checklists(day=MONDAY)
    services.save_duty(duty=duty, text_zh="新文本", text_en="New text", cadence=Cadence.WEEKLY, weekdays=[3])
    assert items_of(employee)[0].title_en == "Old text"
    assert services.generate_checklists(day=MONDAY + datetime.timedelta(days=1)) == 0  # Tuesday: weekly on Wed now
    services.generate_checklists(day=MONDAY + datetime.timedelta(days=2))
    assert [i.title_en for i in items_of(employee)] == ["Old text", "New text"]


def test_cadence_change_clears_stale_fields_and_validates():
    duty = DutyFactory(cadence=Cadence.MONTHLY, month_day=31)
    services.save_duty(duty=duty, cadence=Cadence.WEEKLY, weekdays=[1, 5])
    duty.refresh_from_db()
    assert duty.month_day is None and duty.weekdays == [1, 5]
    with pytest.raises(ValidationError) as error:
        services.save_duty(duty=duty, cadence=Cadence.EVERY_N_DAYS, interval_days=None)
    assert {"interval_days", "anchor_date"} <= set(error.value.message_dict)
    duty.refresh_from_db()
    assert duty.cadence == Cadence.WEEKLY


def test_tick_records_who_and_when_and_untick_keeps_the_note(staff, other_staff, manager):
    item = services.add_ad_hoc_task(employee=staff, title_zh="整理仓库", due_date=timezone.localdate(), by=manager.user)
    with pytest.raises(NotYourItem):
        services.tick_item(item_id=item.pk, user=other_staff.user)
    ticked = services.tick_item(item_id=item.pk, user=staff.user, note="done at noon")
    assert ticked.status == ItemStatus.DONE
    assert ticked.done_by == staff.user
    assert ticked.done_on == timezone.localdate()
    unticked = services.untick_item(item_id=item.pk, user=staff.user)
    assert unticked.status == ItemStatus.OPEN and unticked.done_at is None
    assert unticked.note == "done at noon"
    services.tick_item(item_id=item.pk, user=manager.user)  # a manager may tick for someone


def test_an_item_of_a_future_day_cannot_be_ticked(staff):
    duty = DutyFactory(role=staff.role)
    future = timezone.localdate() + datetime.timedelta(days=3)
    item = ChecklistItem.objects.create(employee=staff, duty=duty, period_start=future, due_date=future, title_zh="x")
    with pytest.raises(ChecklistError, match="future day"):
        services.tick_item(item_id=item.pk, user=staff.user)
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN


def test_on_demand_duty_gets_a_working_day_deadline(staff):
    duty = DutyFactory(role=staff.role, cadence=Cadence.ON_DEMAND, deadline_working_days=2)
    item = services.trigger_on_demand_duty(duty=duty, employee=staff, by=staff.user, note="差评 #123")
    assert item.due_date > item.period_start
    with pytest.raises(ChecklistError):
        services.trigger_on_demand_duty(duty=DutyFactory(role=staff.role), employee=staff, by=staff.user)


def test_ad_hoc_task_deadline_cannot_be_in_the_past(staff, manager):
    with pytest.raises(ValidationError) as error:
        services.add_ad_hoc_task(employee=staff, title_zh="x", due_date=D(2020, 1, 1), by=manager.user)
    assert "due_date" in error.value.message_dict


def test_completion_rate_counts_items_done_by_their_due_date(staff, other_staff, manager):
    duty = DutyFactory(role=staff.role)
    EmployeeFactory(role=staff.role)
    for day in (MONDAY, MONDAY + datetime.timedelta(days=1), MONDAY + datetime.timedelta(days=2)):
        services.generate_checklists(day=day)
    first, second, _third = items_of(staff)
    ChecklistItem.objects.filter(pk=first.pk).update(
        status="done", done_at=timezone.now(), done_on=first.due_date, done_by=staff.user
    )
    ChecklistItem.objects.filter(pk=second.pk).update(
        status="done", done_at=timezone.now(), done_on=second.due_date + datetime.timedelta(days=1), done_by=staff.user
    )
    for day in (first.due_date, second.due_date):
        services.refresh_day_summaries(due_date=day)
    rates = checklist_completion_rates(start=D(2026, 3, 1), end=D(2026, 3, 31), today=D(2026, 4, 1))
    assert rates[staff.pk] == Decimal("0.3333")
    assert other_staff.pk not in rates
    assert duty.items.count() == 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_creates_nothing_extra():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the concurrency guarantee is tested on PostgreSQL.")
    role = RoleFactory()
    EmployeeFactory.create_batch(20, role=role)
    DutyFactory.create_batch(5, role=role)
    results, errors = [], []

    def run():
        try:
            results.append(services.generate_checklists(day=MONDAY))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(results) == 100
    assert ChecklistItem.objects.count() == 100


def recount(employee, due_date):
    items = ChecklistItem.objects.filter(employee=employee, due_date=due_date)
    return (
        items.count(),
        items.filter(status="done").count(),
        sum(1 for i in items.filter(status="done") if i.done_on <= i.due_date),
    )


def test_day_summaries_follow_every_service_action(staff, manager):
    today = timezone.localdate()
    DutyFactory.create_batch(3, role=staff.role)
    if not WorkCalendar.load(start=today, end=today).is_working_day(today):
        Holiday.objects.update_or_create(date=today, defaults={"kind": "workday", "name_zh": "测"})
    services.generate_checklists(day=today)
    extra = services.add_ad_hoc_task(employee=staff, title_zh="临时", due_date=today, by=manager.user)
    items = list(ChecklistItem.objects.filter(employee=staff, due_date=today))
    services.tick_item(item_id=items[0].pk, user=staff.user)
    services.tick_item(item_id=extra.pk, user=staff.user)
    services.untick_item(item_id=items[0].pk, user=staff.user)
    summary = ChecklistDaySummary.objects.get(employee=staff, due_date=today)
    assert (summary.total, summary.done, summary.on_time) == recount(staff, today) == (4, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_of_one_persons_day_are_all_counted(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the row lock on the day summary is tested on PostgreSQL.")
    # Ticked on the day they are due: a daily item of a day long past would be missed (its duty has come round).
    from roles.services import checklists as checklist_services

    monkeypatch.setattr(checklist_services, "today", lambda: MONDAY)
    employee = EmployeeFactory()
    duties = DutyFactory.create_batch(6, role=employee.role)
    services.generate_checklists(day=MONDAY)
    items = list(ChecklistItem.objects.filter(employee=employee, duty__in=duties))
    errors = []

    def tick(item_id):
        try:
            services.tick_item(item_id=item_id, user=employee.user)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, args=(item.pk,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    summary = ChecklistDaySummary.objects.get(employee=employee, due_date=MONDAY)
    assert (summary.total, summary.done) == (6, 6)
