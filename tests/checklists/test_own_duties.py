"""Nobody raises the figure that pays them: people start only the on-demand duties of their own role or
assignment (`roles.selectors.startable_duties`), and items people give themselves count in no completion figure
(the day summaries leave them out, so the rate payroll reads cannot be inflated)."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from payroll.calculation import completion_rates
from roles import services
from roles.exceptions import NotYourDuty
from roles.models import ChecklistDaySummary, ChecklistItem
from roles.selectors import checklist_completion_rates, startable_duties

from ..factories import DutyFactory, EmployeeFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date
MARCH = D(2026, 3, 1)
EVERY_GROUP = ("anonymous", "staff", "customer_service", "warehouse", "finance", "manager", "superuser", "made")


@pytest.fixture
def customer_service(db):
    from roles.models import Role

    role = Role.objects.filter(code="cs_staff").first() or RoleFactory(code="cs_staff", access_group="Staff")
    return EmployeeFactory(role=role, user=UserFactory(groups=["Staff"]))


@pytest.fixture
def made(db):
    """A login made for the purpose: an employee record in a role of its own, no group at all."""
    return EmployeeFactory(user=UserFactory())


@pytest.fixture
def who(request):
    def get(name):
        return None if name == "anonymous" else request.getfixturevalue(name)

    return get


def on_demand(role, **kwargs):
    return DutyFactory(role=role, cadence="on_demand", deadline_working_days=2, **kwargs)


def five_of_eight_on_time(employee, day):
    """Eight duty items due on `day`, five done on time: a rate of 0.6250."""
    for number in range(8):
        done = number < 5
        ChecklistItem.objects.create(
            employee=employee,
            duty=DutyFactory(role=employee.role),
            period_start=day,
            due_date=day,
            title_zh=f"日常{number}",
            status="done" if done else "open",
            done_at=timezone.now() if done else None,
            done_on=day if done else None,
        )
    services.refresh_day_summaries(due_date=day, employee_id=employee.pk)


def start_and_tick(duty, employee, by, times):
    for _ in range(times):
        item = services.trigger_on_demand_duty(duty=duty, employee=employee, by=by.user)
        services.tick_item(item_id=item.pk, user=employee.user)


# --- Which duties a person may start ----------------------------------------------------------------------------


def test_a_picker_cannot_start_another_roles_duty(warehouse, customer_service):
    bad_review = on_demand(customer_service.role)
    with pytest.raises(NotYourDuty, match="belongs to another role"):
        services.trigger_on_demand_duty(duty=bad_review, employee=warehouse, by=warehouse.user)
    assert not ChecklistItem.objects.filter(employee=warehouse).exists()


def test_a_manager_cannot_start_another_roles_duty_for_someone(manager, warehouse, customer_service):
    with pytest.raises(NotYourDuty):
        services.trigger_on_demand_duty(duty=on_demand(customer_service.role), employee=warehouse, by=manager.user)


def test_a_manager_starts_a_duty_of_the_persons_own_role(manager, warehouse):
    item = services.trigger_on_demand_duty(duty=on_demand(warehouse.role), employee=warehouse, by=manager.user)
    assert item.assigned_by == manager.user and not item.self_assigned


def test_a_duty_assigned_to_someone_can_be_started_while_the_assignment_runs(manager, warehouse, customer_service):
    today = timezone.localdate()
    duty = on_demand(customer_service.role)
    assignment = services.assign_duty(duty=duty, employee=warehouse, valid_from=today, valid_to=today, by=manager.user)
    assert list(startable_duties(employee_id=warehouse.pk, role_id=warehouse.role_id, today=today)) == [duty]
    item = services.trigger_on_demand_duty(duty=duty, employee=warehouse, by=warehouse.user)
    assert item.self_assigned
    tomorrow = today + datetime.timedelta(days=1)
    assert not startable_duties(employee_id=warehouse.pk, role_id=warehouse.role_id, today=tomorrow).exists()
    services.end_assignment(assignment=assignment, last_day=today)


def test_inactive_and_scheduled_duties_are_not_startable(warehouse):
    on_demand(warehouse.role, is_active=False)
    DutyFactory(role=warehouse.role)
    assert not startable_duties(employee_id=warehouse.pk, role_id=warehouse.role_id, today=timezone.localdate())


# --- The rate cannot be inflated ---------------------------------------------------------------------------------


def test_thirty_self_started_items_leave_the_rate_as_it_was(warehouse):
    """The issue's numbers: a picker at 0.6250 started and ticked 30 items and reached 0.9211."""
    today = timezone.localdate()
    five_of_eight_on_time(warehouse, today)
    later = today + datetime.timedelta(days=40)
    window = {"start": today, "end": later, "today": later}
    assert checklist_completion_rates(**window)[warehouse.pk] == Decimal("0.6250")
    start_and_tick(on_demand(warehouse.role), warehouse, warehouse, 30)
    assert ChecklistItem.objects.filter(employee=warehouse, self_assigned=True, status="done").count() == 30
    assert checklist_completion_rates(**window)[warehouse.pk] == Decimal("0.6250")


def test_items_a_manager_starts_for_someone_count(manager, warehouse):
    today = timezone.localdate()
    five_of_eight_on_time(warehouse, today)
    later = today + datetime.timedelta(days=40)
    start_and_tick(on_demand(warehouse.role), warehouse, manager, 2)
    rates = checklist_completion_rates(start=today, end=later, today=later)
    assert rates[warehouse.pk] == Decimal("0.7000")  # 7 of 10


def test_a_manager_giving_themself_a_task_does_not_raise_their_rate(manager):
    today = timezone.localdate()
    five_of_eight_on_time(manager, today)
    task = services.add_ad_hoc_task(employee=manager, title_zh="给自己", due_date=today, by=manager.user)
    services.tick_item(item_id=task.pk, user=manager.user)
    assert task.self_assigned
    assert checklist_completion_rates(start=today, end=today, today=today)[manager.pk] == Decimal("0.6250")
    summary = ChecklistDaySummary.objects.get(employee=manager, due_date=today)
    assert (summary.total, summary.done, summary.on_time) == (8, 5, 5)


def test_the_rate_payroll_reads_leaves_self_started_items_out(warehouse):
    """Payroll's KPI input (`payroll.calculation.completion_rates`) for a month with 30 self-started items."""
    day = D(2026, 3, 10)
    five_of_eight_on_time(warehouse, day)
    start_and_tick(on_demand(warehouse.role), warehouse, warehouse, 30)
    # As if they had been started and ticked on the 10th of March.
    ChecklistItem.objects.filter(self_assigned=True).update(period_start=day, due_date=day, done_on=day)
    services.refresh_day_summaries(due_date=day)
    assert completion_rates(month=MARCH, employee_ids=[warehouse.pk]) == {warehouse.pk: Decimal("0.6250")}


def test_only_started_items_can_be_self_assigned(warehouse):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ChecklistItem.objects.create(
            employee=warehouse,
            duty=DutyFactory(role=warehouse.role),
            period_start=MARCH,
            due_date=MARCH,
            title_zh="日常",
            self_assigned=True,
        )


def test_the_migration_marks_old_self_started_items_and_recounts(warehouse, manager):
    day = D(2026, 3, 10)
    five_of_eight_on_time(warehouse, day)
    duty = on_demand(warehouse.role)
    for by in (warehouse.user, warehouse.user, manager.user):
        ChecklistItem.objects.create(
            employee=warehouse,
            duty=duty,
            kind="on_demand",
            period_start=day,
            due_date=day,
            title_zh="差评",
            status="done",
            done_at=timezone.now(),
            done_on=day,
            assigned_by=by,
        )
    ChecklistDaySummary.objects.filter(employee=warehouse, due_date=day).update(total=11, done=8, on_time=8)
    migration = importlib.import_module("roles.migrations.0008_checklist_item_self_assigned")
    migration.mark_items_people_gave_themselves(apps, None)
    assert ChecklistItem.objects.filter(self_assigned=True).count() == 2
    summary = ChecklistDaySummary.objects.get(employee=warehouse, due_date=day)
    assert (summary.total, summary.done, summary.on_time) == (9, 6, 6)


# --- API and page, every group -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EVERY_GROUP)
def test_api_starting_another_roles_duty_for_every_group(api, who, name, customer_service, warehouse):
    """The customer-service agent's bad-review duty, started by everyone else: refused. The agent may."""
    duty = on_demand(customer_service.role)
    person = who(name)
    if person is not None:
        api.force_authenticate(getattr(person, "user", person))
    response = api.post(f"/api/duties/{duty.pk}/start/", {}, format="json")
    expected = {"anonymous": 401, "customer_service": 201, "superuser": 400}.get(name, 403)
    assert response.status_code == expected, response.json()
    if expected != 201:
        assert "detail" in response.json()
    started = ChecklistItem.objects.filter(duty=duty)
    assert started.count() == (1 if name == "customer_service" else 0)


@pytest.mark.parametrize("name", ["staff", "customer_service", "warehouse", "finance", "manager", "made"])
def test_api_everyone_starts_their_own_roles_duty_and_it_is_marked(api_as, who, name):
    person = who(name)
    duty = on_demand(person.role)
    response = api_as(person).post(f"/api/duties/{duty.pk}/start/", {"note": "差评"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["self_assigned"] is True


def test_api_manager_starts_a_duty_for_a_picker_of_the_pickers_role_only(api_as, manager, warehouse, staff):
    client = api_as(manager)
    ok = client.post(f"/api/duties/{on_demand(warehouse.role).pk}/start/", {"employee": warehouse.pk}, format="json")
    assert ok.status_code == 201 and ok.json()["self_assigned"] is False
    refused = client.post(f"/api/duties/{on_demand(staff.role).pk}/start/", {"employee": warehouse.pk}, format="json")
    assert refused.status_code == 403 and "belongs to another role" in refused.json()["detail"]


def test_page_start_of_another_roles_duty_is_refused_with_a_message(client_as, warehouse, customer_service):
    duty = on_demand(customer_service.role)
    response = client_as(warehouse).post(reverse("roles:duty-start", args=[duty.pk]), {"note": "x"})
    assert response.status_code == 302
    assert "belongs to another role" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert not ChecklistItem.objects.filter(duty=duty).exists()


def test_my_checklist_offers_own_and_assigned_duties_only(client_as, manager, warehouse, customer_service):
    today = timezone.localdate()
    own = on_demand(warehouse.role)
    assigned = on_demand(customer_service.role)
    other = on_demand(customer_service.role)
    services.assign_duty(duty=assigned, employee=warehouse, valid_from=today, by=manager.user)
    offered = client_as(warehouse).get(reverse("roles:my-checklist")).context["on_demand"]
    assert {duty.pk for duty in offered} == {own.pk, assigned.pk}
    assert other.pk not in {duty.pk for duty in offered}


def test_my_checklist_counter_leaves_self_started_duties_out(client_as, manager, warehouse):
    """The header counted a self-started duty (已完成 0 / 2) while the page says they do not count; it counts like
    the completion figures: only what was given to the person."""
    services.add_ad_hoc_task(
        employee=warehouse, title_zh="盘点", title_en="Count", due_date=timezone.localdate(), by=manager.user
    )
    client = client_as(warehouse)
    assert client.get(reverse("roles:my-checklist")).context["total"] == 1
    client.post(reverse("roles:duty-start", args=[on_demand(warehouse.role).pk]), {"note": ""})
    assert ChecklistItem.objects.filter(employee=warehouse, self_assigned=True).count() == 1
    response = client.get(reverse("roles:my-checklist"))
    assert (response.context["done_count"], response.context["total"]) == (0, 1)
