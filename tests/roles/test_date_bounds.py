"""Dates are bounded to a sane window: hire and leave dates within the last 100 years to one year ahead, someone
marked left has left by today (else they stay on every payroll), task deadlines and duty assignments within two
years. Service and API."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from roles import services
from roles.choices import EmployeeStatus

from ..factories import DutyFactory

pytestmark = pytest.mark.django_db


def test_a_leaver_with_a_leave_date_in_the_future_is_refused(manager, staff):
    with pytest.raises(ValidationError) as refused:
        services.update_employee(
            employee=staff,
            status=EmployeeStatus.LEFT,
            leave_date=timezone.localdate() + datetime.timedelta(days=1),
            by=manager.user,
        )
    assert "leave date of today or earlier" in str(refused.value.message_dict["leave_date"])
    staff.user.refresh_from_db()
    assert staff.user.is_active
    services.record_leaving(employee=staff, leave_date=timezone.localdate(), by=manager.user)


@pytest.mark.parametrize(
    "field, value", [("hire_date", datetime.date(1, 1, 1)), ("leave_date", datetime.date(9999, 12, 31))]
)
def test_hire_and_leave_dates_outside_the_window_are_refused(manager, staff, field, value):
    with pytest.raises(ValidationError) as refused:
        services.update_employee(employee=staff, by=manager.user, **{field: value})
    assert "Enter a date from" in str(refused.value.message_dict[field])


def test_api_the_attackers_dates_are_400(api_as, manager, staff):
    client = api_as(manager)
    response = client.patch(
        f"/api/employees/{staff.pk}/", {"status": "left", "leave_date": "9999-12-31"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert client.patch(f"/api/employees/{staff.pk}/", {"hire_date": "0001-01-01"}, format="json").status_code == 400
    staff.refresh_from_db()
    assert staff.status == EmployeeStatus.ACTIVE and staff.user.is_active
    response = client.post(
        "/api/checklist-items/",
        {"employee": staff.pk, "title_zh": "任务", "due_date": "9999-12-31"},
        format="json",
    )
    assert response.status_code == 400, response.content
    duty = DutyFactory(role=staff.role)
    response = client.post(
        "/api/duty-assignments/", {"duty": duty.pk, "employee": staff.pk, "valid_from": "9999-12-31"}, format="json"
    )
    assert response.status_code == 400, response.content


def test_a_task_or_assignment_within_two_years_is_fine(manager, staff):
    soon = timezone.localdate() + datetime.timedelta(days=300)
    services.add_ad_hoc_task(employee=staff, title_zh="盘点", due_date=soon, by=manager.user)
    services.assign_duty(duty=DutyFactory(role=staff.role), employee=staff, valid_from=soon, by=manager.user)
