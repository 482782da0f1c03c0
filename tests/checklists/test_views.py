import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from roles import services
from roles.models import ChecklistItem, DutyTemplate, Holiday

from ..factories import DutyFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


def give(employee, by, title="整理库存", due=None):
    return services.add_ad_hoc_task(
        employee=employee, title_zh=title, title_en=title, due_date=due or timezone.localdate(), by=by.user
    )


def test_my_checklist_shows_today_and_overdue(client_as, staff, manager):
    give(staff, manager, "today's task")
    old = give(staff, manager, "old task")
    ChecklistItem.objects.filter(pk=old.pk).update(
        period_start=datetime.date(2026, 1, 5), due_date=datetime.date(2026, 1, 6)
    )
    body = client_as(staff).get(reverse("roles:my-checklist")).content.decode()
    assert "today&#x27;s task" in body or "today's task" in body
    assert "overdue since 2026-01-06" in body


def test_htmx_tick_returns_the_row_and_records_it(client_as, staff, manager):
    item = give(staff, manager)
    response = client_as(staff).post(reverse("roles:item-tick", args=[item.pk]), {"note": "ok"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="item-{item.pk}"' in response.content.decode()
    assert "ticked" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "done" and item.note == "ok"


def test_a_done_item_names_the_person_and_enter_in_a_note_never_ticks(client_as, staff, manager):
    item = give(staff, manager)
    client = client_as(staff)
    body = client.get(reverse("roles:my-checklist")).content.decode()
    form = body[body.index(f'id="item-{item.pk}"') :]
    # Enter in a text box presses the form's first submit button: a disabled one, so nothing is sent.
    first_button = form[form.index("<button") : form.index(">", form.index("<button"))]
    assert "disabled" in first_button and 'data-testid="enter-guard"' in first_button
    client.post(reverse("roles:item-tick", args=[item.pk]), {"note": "ok"})
    body = client.get(reverse("roles:my-checklist")).content.decode()
    assert f"done by {staff.full_name} at" in body and f"done by {staff.user.username} " not in body


def test_staff_cannot_tick_someone_elses_item_in_the_browser(client_as, staff, other_staff, manager):
    item = give(other_staff, manager)
    response = client_as(staff).post(reverse("roles:item-tick", args=[item.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == "open"


@pytest.mark.parametrize("who", ["staff", "finance", "warehouse"])
def test_manager_pages_are_closed_to_others(request, client_as, who):
    client = client_as(request.getfixturevalue(who))
    for name, args in [("roles:checklist-dashboard", []), ("roles:holidays", []), ("roles:adhoc-task", [])]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and response.url == reverse("home"), name


def test_people_see_their_own_history_only(client_as, staff, other_staff, manager):
    assert client_as(staff).get(reverse("roles:person-history", args=[staff.pk])).status_code == 200
    assert client_as(staff).get(reverse("roles:person-history", args=[other_staff.pk])).status_code == 302
    assert client_as(manager).get(reverse("roles:person-history", args=[other_staff.pk])).status_code == 200


def test_dashboard_queries_do_not_grow_with_rows(client_as, manager, django_assert_max_num_queries):
    client = client_as(manager)
    for _ in range(3):
        give(EmployeeFactory(), manager)
    client.get(reverse("roles:checklist-dashboard"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("roles:checklist-dashboard"), {"period": "month"})
    for _ in range(15):
        give(EmployeeFactory(), manager)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("roles:checklist-dashboard"), {"period": "month"})
    assert response.context["by_person"].paginator.count == 18


def test_my_checklist_queries_do_not_grow_with_items(client_as, staff, manager, django_assert_max_num_queries):
    client = client_as(staff)
    give(staff, manager)
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("roles:my-checklist"))
    for _ in range(15):
        give(staff, manager)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("roles:my-checklist"))


def test_manager_adds_edits_reorders_and_deactivates_duties(client_as, manager, staff):
    client = client_as(manager)
    role = staff.role
    response = client.post(
        reverse("roles:duty-create", args=[role.code]),
        {
            "text_zh": "每天盘点",
            "text_en": "Daily count",
            "cadence": "daily",
            "assignment_mode": "role",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    first = DutyTemplate.objects.get(text_zh="每天盘点")
    client.post(
        reverse("roles:duty-create", args=[role.code]),
        {"text_zh": "周报", "cadence": "weekly", "weekdays": ["5"], "assignment_mode": "role", "is_active": "on"},
    )
    second = DutyTemplate.objects.get(text_zh="周报")
    assert second.weekdays == [5] and second.sort_order > first.sort_order
    client.post(reverse("roles:role-duties", args=[role.code]), {"duty": second.pk, "action": "up"})
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.sort_order < first.sort_order
    client.post(reverse("roles:role-duties", args=[role.code]), {"duty": first.pk, "action": "deactivate"})
    first.refresh_from_db()
    assert not first.is_active
    bad = client.post(
        reverse("roles:duty-edit", args=[second.pk]),
        {"text_zh": "周报", "cadence": "weekly", "assignment_mode": "role", "is_active": "on"},
    )
    assert bad.status_code == 200
    assert "Choose at least one weekday" in bad.content.decode()


def test_assign_page_adds_and_ends_cover(client_as, manager, staff):
    duty = DutyFactory(role=staff.role)
    cover = EmployeeFactory()
    client = client_as(manager)
    url = reverse("roles:duty-assign", args=[duty.pk])
    assert client.post(url, {"employee": cover.pk}).status_code == 302
    assignment = duty.assignments.get()
    client.post(url, {"end": assignment.pk})
    assert not duty.assignments.exists()  # it had not started yet (tomorrow), so it is removed
    bad = client.post(url, {"employee": cover.pk, "valid_from": "2020-01-01"})
    assert "cannot start in the past" in bad.content.decode()


def test_holiday_delete_asks_for_confirmation(client_as, manager):
    client = client_as(manager)
    client.post(
        reverse("roles:holidays"), {"date": "2027-01-01", "kind": "holiday", "name_zh": "元旦", "name_en": "NY"}
    )
    holiday = Holiday.objects.get(date="2027-01-01")
    confirm = client.post(reverse("roles:holidays"), {"delete": holiday.pk})
    assert "cannot be undone" in confirm.content.decode()
    assert Holiday.objects.filter(pk=holiday.pk).exists()
    done = client.post(reverse("roles:holidays"), {"delete": holiday.pk, "confirm": "yes"}, follow=True)
    assert not Holiday.objects.filter(pk=holiday.pk).exists()
    assert f"Removed {holiday}." in done.content.decode()


def test_ad_hoc_task_form(client_as, manager, staff):
    client = client_as(manager)
    response = client.post(
        reverse("roles:adhoc-task"),
        {
            "employee": staff.pk,
            "title_zh": "拍照",
            "due_date": (timezone.localdate() + datetime.timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 302
    past = client.post(reverse("roles:adhoc-task"), {"employee": staff.pk, "title_zh": "x", "due_date": "2020-01-01"})
    assert "cannot be in the past" in past.content.decode()


def test_user_text_is_escaped(client_as, staff, manager):
    give(staff, manager, '<script>alert("x")</script>')
    body = client_as(staff).get(reverse("roles:my-checklist")).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body


def test_dashboard_tables_show_figures_and_links_and_escape_text(client_as, manager):
    today = timezone.localdate()
    person = EmployeeFactory(full_name="<b>Zhang</b>")
    services.tick_item(item_id=give(person, manager, "done task").pk, user=manager.user)
    give(person, manager, "open task")
    late = give(person, manager, "<i>late</i> task")
    ChecklistItem.objects.filter(pk=late.pk).update(
        period_start=today - datetime.timedelta(days=3), due_date=today - datetime.timedelta(days=2)
    )
    services.refresh_day_summaries(due_date=today)
    services.refresh_day_summaries(due_date=today - datetime.timedelta(days=2))
    body = client_as(manager).get(reverse("roles:checklist-dashboard")).content.decode()
    history = reverse("roles:person-history", args=[person.pk])
    row = body.split(f'data-testid="person-{person.pk}"')[1].split("</tr>")[0]
    assert f'<a href="{history}">&lt;b&gt;Zhang&lt;/b&gt; ({person.employee_number})</a>' in row
    assert (
        '<td class="nowrap" data-label="Done">1 / 2</td>' in row
        and '<progress class="bar" value="50" max="100"' in row
        and '<td data-label="On time">50%</td>' in row
        # overdue now, as the card and the list count it
        and '<td data-label="Overdue now"><span class="late">1</span></td>' in row
    )
    department = body.split(f'data-testid="department-{person.role.department_id}"')[1].split("</tr>")[0]
    assert '<td class="nowrap" data-label="Done">1 / 2</td>' in department
    overdue = body.split('id="overdue"')[1].split("</table>")[0]
    assert (
        f'<td class="late date" data-label="Due">{today - datetime.timedelta(days=2)}</td>'
        f'<td class="name card-title card-two" data-label="Person">'
        f'<a href="{history}">&lt;b&gt;Zhang&lt;/b&gt;</a></td>'
        f'<td data-label="Department">{person.role.department.name}</td>'
        f'<td class="card-two" data-label="Task">&lt;i&gt;late&lt;/i&gt; task</td>' in overdue
    )
    assert "<b>Zhang</b>" not in body and "<i>late</i>" not in body


def test_dashboard_empty_states(client_as, manager):
    body = client_as(manager).get(reverse("roles:checklist-dashboard")).content.decode()
    assert body.count("No items due in this period.") == 3
    assert "Nothing is overdue." in body


@pytest.mark.parametrize("value", ["abc", "", "1e5", "-1", "١", "99999999999999999999"])
@pytest.mark.parametrize("where", ["role-duties", "duty-assign", "holidays"])
def test_ids_posted_to_manager_forms_that_are_not_whole_numbers_give_404(client_as, manager, staff, where, value):
    duty = DutyFactory(role=staff.role)
    url, body = {
        "role-duties": (reverse("roles:role-duties", args=[staff.role.code]), {"duty": value, "action": "up"}),
        "duty-assign": (reverse("roles:duty-assign", args=[duty.pk]), {"end": value}),
        "holidays": (reverse("roles:holidays"), {"delete": value}),
    }[where]
    assert client_as(manager).post(url, body).status_code == 404


def test_an_on_demand_duty_without_its_deadline_is_refused_at_the_field(client_as, manager, staff):
    """Found by a tester: the database constraint's message stood at the top of the form while the deadline box,
    far below on a phone, was not marked."""
    response = client_as(manager).post(
        reverse("roles:duty-create", args=[staff.role.code]),
        {"text_zh": "差评回访", "cadence": "on_demand", "assignment_mode": "role", "is_active": "on"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["deadline_working_days"] == ["Give the deadline in working days."]
    assert not form.non_field_errors()
    assert not DutyTemplate.objects.filter(text_zh="差评回访").exists()


def test_dashboard_shows_a_dash_where_nothing_was_due(client_as, manager):
    """Found by a tester: departments, roles and people with nothing due showed "0 / 0" and an empty bar at 0%,
    which reads as a failure; now a dash, as the on-time column already did."""
    from types import SimpleNamespace

    from roles.templatetags.checklist_tags import completion_bars

    idle = SimpleNamespace(key=7, label="仓储部", done=0, total=0, percent=0, on_time_percent=None, overdue=0)
    busy = SimpleNamespace(key=8, label="客服部", done=1, total=2, percent=50, on_time_percent=50, overdue=1)
    html = str(completion_bars([idle, busy], "部门", "department"))
    idle_row = html.split('data-testid="department-7"')[1].split("</tr>")[0]
    assert "0 / 0" not in idle_row and "<progress" not in idle_row
    assert (
        '<td class="nowrap" data-label="Done">—</td><td class="bar-col card-wide" data-label="Completion">—</td>'
        '<td data-label="On time">—</td>' in idle_row
    )
    busy_row = html.split('data-testid="department-8"')[1].split("</tr>")[0]
    assert '<td class="nowrap" data-label="Done">1 / 2</td>' in busy_row
    assert '<progress class="bar" value="50"' in busy_row
    body = client_as(manager).get(reverse("roles:checklist-dashboard")).content.decode()
    overall = body.split('data-testid="overall-rate"')[1].split("</article>")[0]
    assert ">—</p>" in overall and "Nothing due" in overall
