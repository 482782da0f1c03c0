"""Taking Finance or Manager rights away from someone else (moving them to a role of another access group, marking
them left, changing their role's access group) needs a superuser, like giving them; the last active holder of
Finance rights never loses them. Service and API."""

import datetime

import pytest

from roles import services
from roles.choices import AccessGroup, EmployeeStatus
from roles.exceptions import RightsRemovalRefused

from ..factories import EmployeeFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

LAST_FINANCE = "is the last active login with Finance rights"


def test_a_manager_cannot_demote_the_accountant(manager, finance, staff):
    with pytest.raises(RightsRemovalRefused, match="Only a superuser can take Finance rights away"):
        services.update_employee(employee=finance, role=staff.role, by=manager.user)
    finance.refresh_from_db()
    assert finance.role.access_group == AccessGroup.FINANCE
    assert finance.user.groups.get().name == AccessGroup.FINANCE


def test_a_manager_cannot_mark_another_manager_left_or_demote_them(manager, staff):
    other = EmployeeFactory(role=manager.role, user=UserFactory(groups=[AccessGroup.MANAGER]))
    with pytest.raises(RightsRemovalRefused):
        services.record_leaving(employee=other, leave_date=datetime.date(2026, 1, 31), by=manager.user)
    with pytest.raises(RightsRemovalRefused):
        services.update_employee(employee=other, role=staff.role, by=manager.user)
    other.user.refresh_from_db()
    assert other.user.is_active


def test_a_manager_cannot_take_the_rights_of_a_finance_role_away(manager, finance):
    with pytest.raises(RightsRemovalRefused) as refused:
        services.save_role(role=finance.role, access_group=AccessGroup.STAFF, by=manager.user)
    assert refused.value.field == "access_group"


def test_a_superuser_takes_rights_away_but_never_from_the_last_finance(superuser, finance, staff):
    with pytest.raises(RightsRemovalRefused, match=LAST_FINANCE):
        services.update_employee(employee=finance, role=staff.role, by=superuser)
    with pytest.raises(RightsRemovalRefused, match=LAST_FINANCE):
        services.record_leaving(employee=finance, leave_date=datetime.date(2026, 1, 31), by=superuser)
    with pytest.raises(RightsRemovalRefused, match="last active logins with Finance rights"):
        services.save_role(role=finance.role, access_group=AccessGroup.STAFF, by=superuser)
    second = EmployeeFactory(role=RoleFactory(access_group="Finance"), user=UserFactory(groups=["Finance"]))
    services.update_employee(employee=finance, role=staff.role, by=superuser)
    assert finance.user.groups.get().name == AccessGroup.STAFF
    with pytest.raises(RightsRemovalRefused, match=LAST_FINANCE):
        services.record_leaving(employee=second, leave_date=datetime.date(2026, 1, 31), by=superuser)


def test_staff_and_warehouse_people_are_still_the_managers_to_move_and_let_go(manager, staff, warehouse):
    services.update_employee(employee=staff, role=warehouse.role, by=manager.user)
    services.record_leaving(employee=warehouse, leave_date=datetime.date(2026, 1, 31), by=manager.user)
    warehouse.user.refresh_from_db()
    assert not warehouse.user.is_active


def test_api_manager_demoting_the_only_finance_is_403_and_changes_nothing(api_as, manager, finance, staff):
    response = api_as(manager).patch(f"/api/employees/{finance.pk}/", {"role": staff.role_id}, format="json")
    assert response.status_code == 403, response.content
    assert "Only a superuser can take Finance rights away" in response.json()["detail"]
    finance.refresh_from_db()
    assert finance.role.access_group == AccessGroup.FINANCE and finance.status == EmployeeStatus.ACTIVE
