"""Nobody changes the fields of their own employee record that payroll reads (role, and with it department and pay
grade; hire and leave dates; status): that is their own pay (roles.services.org.PAY_FIELDS, refused through
check_not_own_pay). Service, API and page; the rest of one's own record stays editable, and others still change
those fields."""

import datetime

import pytest
from django.urls import reverse

from roles import services
from roles.choices import AccessGroup, EmployeeStatus
from roles.exceptions import OwnPayRefused

from ..factories import DepartmentFactory, EmployeeFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

OWN_PAY = "You cannot enter or change your own pay; another manager or finance must."


@pytest.fixture
def richer_manager_role():
    """Another Manager role (in another department, with a higher pay grade): moving into it grants nothing new."""
    return RoleFactory(department=DepartmentFactory(), access_group=AccessGroup.MANAGER, pay_grade_max=90000)


def own_pay_changes(manager, richer_manager_role):
    return {
        "role": {"role": richer_manager_role},
        "hire_date": {"hire_date": manager.hire_date - datetime.timedelta(days=365)},
        "leave_date": {"leave_date": datetime.date(2026, 1, 31)},
        "status": {"status": EmployeeStatus.ON_LEAVE},
    }


@pytest.mark.parametrize("field", ["role", "hire_date", "leave_date", "status"])
def test_a_manager_cannot_change_a_pay_field_of_their_own_record(manager, richer_manager_role, field):
    before = (manager.role_id, manager.hire_date, manager.leave_date, manager.status)
    with pytest.raises(OwnPayRefused, match="own pay") as refused:
        services.update_employee(
            employee=manager, by=manager.user, **own_pay_changes(manager, richer_manager_role)[field]
        )
    assert refused.value.field == field
    manager.refresh_from_db()
    assert (manager.role_id, manager.hire_date, manager.leave_date, manager.status) == before


def test_recording_ones_own_leaving_is_someone_elses_too(manager, superuser):
    with pytest.raises(OwnPayRefused):
        services.record_leaving(employee=manager, leave_date=datetime.date(2026, 1, 31), by=manager.user)
    assert services.record_leaving(employee=manager, leave_date=datetime.date(2026, 1, 31), by=superuser).leave_date


def test_the_rest_of_ones_own_record_stays_editable(manager):
    """A phone number is no pay; sending the pay fields unchanged (as the page's form does) is fine."""
    services.update_employee(
        employee=manager,
        by=manager.user,
        phone="13900002222",
        full_name=manager.full_name,
        role=manager.role,
        hire_date=manager.hire_date,
        leave_date=None,
        status=manager.status,
    )
    manager.refresh_from_db()
    assert manager.phone == "13900002222"


def test_nobody_renames_themselves(manager, api_as):
    """Found by an attacker: a manager renamed themselves as the accountant (杨静), and the audit and every "entered
    by" then showed their bonus as hers. The name is also the one salary is transferred to (户名)."""
    before = manager.full_name
    with pytest.raises(OwnPayRefused, match="your own name") as refused:
        services.update_employee(employee=manager, by=manager.user, full_name="杨静")
    assert refused.value.field == "full_name"
    response = api_as(manager).patch(f"/api/employees/{manager.pk}/", {"full_name": "杨静"}, format="json")
    assert response.status_code == 403 and "full_name" in response.json()["errors"]
    manager.refresh_from_db()
    assert manager.full_name == before


def test_the_audit_names_a_person_with_their_login(manager, client_as):
    from roles.selectors.audit import identified

    assert identified(manager.user) == f"{manager.full_name} ({manager.user.username})"
    other = EmployeeFactory(role=manager.role)
    client = client_as(manager)
    form = {"employee_number": other.employee_number, "full_name": other.full_name, "role": other.role_id}
    form |= {"hire_date": other.hire_date.isoformat(), "status": "active", "phone": "13900003333"}
    assert client.post(reverse("roles:employee-edit", args=[other.pk]), form).status_code == 302
    page = client.get(reverse("roles:audit"), {"kind": "roles.employee"}).content.decode()
    assert f"{manager.full_name} ({manager.user.username})" in page


def test_another_manager_or_a_superuser_still_changes_them(manager, richer_manager_role, superuser):
    other = EmployeeFactory(role=manager.role, user=UserFactory(groups=[AccessGroup.MANAGER]))
    services.update_employee(employee=manager, hire_date=datetime.date(2020, 1, 1), by=other.user)
    services.update_employee(employee=manager, role=richer_manager_role, by=superuser)
    manager.refresh_from_db()
    assert manager.hire_date == datetime.date(2020, 1, 1) and manager.role == richer_manager_role


def test_a_superuser_with_an_employee_record_is_refused_like_anyone(richer_manager_role):
    """As check_not_own_pay reads it: only a login without an employee record is paid by nobody here."""
    paid_superuser = EmployeeFactory(
        role=richer_manager_role, user=UserFactory(is_superuser=True, groups=[AccessGroup.MANAGER])
    )
    with pytest.raises(OwnPayRefused):
        services.update_employee(employee=paid_superuser, role=RoleFactory(), by=paid_superuser.user)


def test_api_own_role_change_is_403_and_changes_nothing(api_as, manager, richer_manager_role):
    client = api_as(manager)
    response = client.patch(f"/api/employees/{manager.pk}/", {"role": richer_manager_role.pk}, format="json")
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["detail"] == OWN_PAY and body["errors"] == {"role": [OWN_PAY]}
    response = client.patch(f"/api/employees/{manager.pk}/", {"hire_date": "2000-01-01"}, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["errors"] == {"hire_date": [OWN_PAY]}
    manager.refresh_from_db()
    assert manager.role_id != richer_manager_role.pk and manager.hire_date != datetime.date(2000, 1, 1)
    response = client.patch(f"/api/employees/{manager.pk}/", {"phone": "13900003333"}, format="json")
    assert response.status_code == 200, response.content


def test_page_shows_the_refusal_at_the_field_and_keeps_what_was_typed(client_as, manager, richer_manager_role):
    values = {
        "employee_number": manager.employee_number,
        "full_name": manager.full_name,
        "role": richer_manager_role.pk,
        "hire_date": manager.hire_date.isoformat(),
        "leave_date": "",
        "status": manager.status,
        "phone": "13900004444",
        "bank_account": "",
        "id_number": "",
    }
    response = client_as(manager).post(reverse("roles:employee-edit", args=[manager.pk]), values)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"role": [OWN_PAY]}
    assert 'value="13900004444"' in response.content.decode()  # what was typed stays in the form
    manager.refresh_from_db()
    assert manager.role_id != richer_manager_role.pk and manager.phone != "13900004444"
    values["role"] = manager.role_id
    response = client_as(manager).post(reverse("roles:employee-edit", args=[manager.pk]), values)
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.phone == "13900004444"
