import datetime

import pytest
from django.utils import timezone

from roles import services
from roles.models import ChecklistItem, DutyTemplate

from ..factories import DutyFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def todays_items(staff, other_staff, manager):
    mine = services.add_ad_hoc_task(employee=staff, title_zh="我的", due_date=timezone.localdate(), by=manager.user)
    theirs = services.add_ad_hoc_task(
        employee=other_staff, title_zh="别人的", due_date=timezone.localdate(), by=manager.user
    )
    return mine, theirs


def test_staff_list_only_their_own_items(api_as, staff, todays_items):
    mine, theirs = todays_items
    body = api_as(staff).get("/api/checklist-items/").json()
    assert [i["id"] for i in body["results"]] == [mine.pk]
    assert api_as(staff).get(f"/api/checklist-items/{theirs.pk}/").status_code == 404


def test_ticking_someone_elses_item_is_403_and_changes_nothing(api_as, staff, todays_items):
    _, theirs = todays_items
    response = api_as(staff).post(f"/api/checklist-items/{theirs.pk}/tick/", {"note": "x"}, format="json")
    assert response.status_code == 403
    assert "not your" in response.json()["detail"]
    theirs.refresh_from_db()
    assert theirs.status == "open" and theirs.note == ""


def test_tick_and_untick_by_api(api_as, staff, todays_items):
    mine, _ = todays_items
    client = api_as(staff)
    ticked = client.post(f"/api/checklist-items/{mine.pk}/tick/", {"note": "完成"}, format="json").json()
    assert ticked["status"] == "done" and ticked["done_by"] == staff.user.username and ticked["note"] == "完成"
    unticked = client.post(f"/api/checklist-items/{mine.pk}/untick/").json()
    assert unticked["status"] == "open"
    assert client.post("/api/checklist-items/999999/tick/").status_code == 404


def test_oversize_note_is_a_field_error(api_as, staff, todays_items):
    mine, _ = todays_items
    response = api_as(staff).post(f"/api/checklist-items/{mine.pk}/tick/", {"note": "x" * 1001}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()["errors"]


def test_future_item_tick_is_a_clear_400(api_as, staff):
    duty = DutyFactory(role=staff.role)
    future = timezone.localdate() + datetime.timedelta(days=2)
    item = ChecklistItem.objects.create(employee=staff, duty=duty, period_start=future, due_date=future, title_zh="x")
    response = api_as(staff).post(f"/api/checklist-items/{item.pk}/tick/")
    assert response.status_code == 400
    assert "future day" in response.json()["detail"]


def test_filters_by_status_department_and_date_range(api_as, manager, staff, other_staff, todays_items):
    mine, _ = todays_items
    client = api_as(manager)
    services.tick_item(item_id=mine.pk, user=staff.user)
    assert client.get("/api/checklist-items/", {"status": "done"}).json()["count"] == 1
    assert client.get("/api/checklist-items/", {"status": "overdue"}).json()["count"] == 0
    by_department = client.get("/api/checklist-items/", {"department": staff.role.department_id}).json()
    assert [i["id"] for i in by_department["results"]] == [mine.pk]
    today = timezone.localdate().isoformat()
    assert client.get("/api/checklist-items/", {"due_date_after": today, "due_date_before": today}).json()["count"] == 2
    assert client.get("/api/checklist-items/", {"status": "bogus"}).status_code == 400
    assert client.get("/api/checklist-items/", {"emplyee": 1}).status_code == 400


def test_manager_creates_duty_with_bad_cadence_gets_field_errors(api_as, manager, staff):
    client = api_as(manager)
    bad = client.post("/api/duties/", {"role": staff.role_id, "text_zh": "盘点", "cadence": "monthly"}, format="json")
    assert bad.status_code == 400
    assert "month_day" in bad.json()["errors"]
    good = client.post(
        "/api/duties/",
        {"role": staff.role_id, "text_zh": "盘点", "text_en": "Stock count", "cadence": "monthly", "month_day": 31},
        format="json",
    )
    assert good.status_code == 201, good.json()
    assert good.json()["cadence_description"] == "monthly, day 31"


def test_staff_cannot_change_duties(api_as, staff):
    response = api_as(staff).post("/api/duties/", {"role": staff.role_id, "text_zh": "x"}, format="json")
    assert response.status_code == 403


def test_duty_with_history_cannot_be_deleted(api_as, manager, staff):
    duty = DutyFactory(role=staff.role, cadence="on_demand", deadline_working_days=2)
    services.trigger_on_demand_duty(duty=duty, employee=staff, by=staff.user)
    response = api_as(manager).delete(f"/api/duties/{duty.pk}/")
    assert response.status_code == 409
    assert DutyTemplate.objects.filter(pk=duty.pk).exists()


def test_start_on_demand_duty_by_api(api_as, staff):
    duty = DutyFactory(role=staff.role, cadence="on_demand", deadline_working_days=2)
    response = api_as(staff).post(f"/api/duties/{duty.pk}/start/", {"note": "差评"}, format="json")
    assert response.status_code == 201
    assert response.json()["kind"] == "on_demand"


def test_assignments_are_manager_only(api_as, manager, staff):
    duty = DutyFactory(role=staff.role)
    other = EmployeeFactory()
    assert api_as(staff).get("/api/duty-assignments/").status_code == 403
    created = api_as(manager).post("/api/duty-assignments/", {"duty": duty.pk, "employee": other.pk}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["valid_from"] == (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert api_as(manager).delete(f"/api/duty-assignments/{created.json()['id']}/").status_code == 204


def test_ad_hoc_task_by_api(api_as, manager, staff):
    payload = {"employee": staff.pk, "title_zh": "补货", "due_date": timezone.localdate().isoformat()}
    assert api_as(staff).post("/api/checklist-items/", payload, format="json").status_code == 403
    created = api_as(manager).post("/api/checklist-items/", payload, format="json")
    assert created.status_code == 201
    past = api_as(manager).post("/api/checklist-items/", {**payload, "due_date": "2020-01-01"}, format="json")
    assert past.status_code == 400 and "due_date" in past.json()["errors"]


def test_completion_stats(api_as, manager, staff, todays_items):
    mine, _ = todays_items
    services.tick_item(item_id=mine.pk, user=staff.user)
    rows = api_as(manager).get("/api/checklist-stats/", {"group_by": "employee", "period": "today"}).json()
    by_key = {row["key"]: row for row in rows}
    assert by_key[staff.pk]["rate"] == "1.0000"
    own = api_as(staff).get("/api/checklist-stats/", {"period": "today"}).json()
    assert [row["key"] for row in own] == [staff.pk]
    assert api_as(manager).get("/api/checklist-stats/", {"group_by": "shop"}).status_code == 400
    assert api_as(manager).get("/api/checklist-stats/", {"start": "2026-13-01"}).status_code == 400


def test_holidays_read_for_all_write_for_managers(api_as, manager, staff):
    assert api_as(staff).get("/api/holidays/", {"year": 2026}).json()["count"] >= 30
    payload = {"date": "2027-01-01", "kind": "holiday", "name_zh": "元旦", "name_en": "New Year"}
    assert api_as(staff).post("/api/holidays/", payload, format="json").status_code == 403
    assert api_as(manager).post("/api/holidays/", payload, format="json").status_code == 201
    duplicate = api_as(manager).post("/api/holidays/", payload, format="json")
    assert duplicate.status_code == 400 and "date" in duplicate.json()["errors"]


def test_item_list_query_count_is_flat(api_as, manager, django_assert_max_num_queries):
    client = api_as(manager)
    for _ in range(3):
        services.add_ad_hoc_task(
            employee=EmployeeFactory(), title_zh="x", due_date=timezone.localdate(), by=manager.user
        )
    with django_assert_max_num_queries(10) as few:
        client.get("/api/checklist-items/")
    for _ in range(20):
        services.add_ad_hoc_task(
            employee=EmployeeFactory(), title_zh="x", due_date=timezone.localdate(), by=manager.user
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/checklist-items/")
