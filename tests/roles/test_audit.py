import pytest
from django.urls import reverse

from roles import services
from roles.selectors.audit import audit_entries, audited_models

from ..factories import EmployeeFactory, RoleFactory

pytestmark = pytest.mark.django_db


def test_org_duties_and_logins_are_audited():
    expected = {"auth.user", "roles.department", "roles.role", "roles.employee", "roles.dutytemplate", "roles.holiday"}
    assert expected <= set(audited_models())


def test_a_change_of_access_group_is_recorded(superuser):
    employee = EmployeeFactory(role=RoleFactory(access_group="Staff"))
    services.update_employee(employee=employee, role=RoleFactory(access_group="Finance"), by=superuser)
    history = employee.user.history.order_by("-history_date").first()
    assert [group.group.name for group in history.groups.all()] == ["Finance"]


def test_a_bank_account_change_is_recorded_with_who_and_masked_values(client_as, manager, finance):
    employee = EmployeeFactory(bank_account="6222000011112222333")
    client = client_as(manager)
    client.post(
        reverse("roles:employee-edit", args=[employee.pk]),
        {
            "employee_number": employee.employee_number,
            "full_name": employee.full_name,
            "role": employee.role_id,
            "hire_date": employee.hire_date.isoformat(),
            "status": "active",
            "phone": employee.phone,
            "bank_account": "６２２２ ９９９９-８８８８ ７７７７ ６６６",  # full width, in groups: stored plain
            "id_number": "",
        },
    )
    employee.refresh_from_db()
    assert employee.bank_account == "6222999988887777666"
    entries, total, _ = audit_entries(kind="roles.employee", username=manager.user.username)
    assert total == 1
    change = {change.field: (change.old, change.new) for change in entries[0].changes}
    assert change["bank_account"] == ("***************2333", "***************7666")
    page = client_as(finance).get(reverse("roles:audit"), {"kind": "roles.employee"}).content.decode()
    assert "***************7666" in page
    assert "6222999988887777666" not in page
    assert manager.full_name in page  # who made the change, by name (|person)


def test_role_changes_show_before_and_after(manager):
    role = RoleFactory(headcount=1)
    services.save_role(role=role, headcount=3, by=manager.user)
    entries, _, _ = audit_entries(kind="roles.role")
    assert ("headcount", "1", "3") in [(c.field, c.old, c.new) for c in entries[0].changes]


@pytest.mark.parametrize(
    ("who", "allowed"), [("staff", False), ("warehouse", False), ("finance", True), ("manager", True)]
)
def test_audit_page_is_for_finance_and_managers(request, client_as, who, allowed):
    response = client_as(request.getfixturevalue(who)).get(reverse("roles:audit"))
    assert response.status_code == (200 if allowed else 302)


def test_audit_page_paginates_across_models(client_as, manager):
    for _ in range(30):
        RoleFactory()
    response = client_as(manager).get(reverse("roles:audit"), {"page": 2})
    assert response.status_code == 200
    assert response.context["page"].number == 2
    assert len(response.context["page"].object_list) == 25


def test_list_values_that_are_not_links_show_as_they_are(client_as, manager):
    """A duty's weekdays are a list too, but not a many-to-many link: shown as the list, the page still opens."""
    from roles.models import DutyTemplate

    from ..factories import DutyFactory

    duty = DutyFactory(cadence="weekly", weekdays=[1])
    services.save_duty(duty=DutyTemplate.objects.get(pk=duty.pk), weekdays=[1, 3])
    entries, _, _ = audit_entries(kind="roles.dutytemplate")
    assert ("weekdays", "1", "1, 3") in [(c.field, c.old, c.new) for c in entries[0].changes]
    assert client_as(manager).get(reverse("roles:audit"), {"kind": "roles.dutytemplate"}).status_code == 200


def test_audit_pages_stop_at_the_cap_and_say_how_to_reach_older_entries(client_as, manager, monkeypatch):
    from roles.selectors import audit

    monkeypatch.setattr(audit, "MAX_AUDIT_ENTRIES", 50)
    for _ in range(80):
        RoleFactory()
    client = client_as(manager)
    response = client.get(reverse("roles:audit"), {"page": 99999})
    assert response.context["page"].number == 2  # the last page within the cap, not page 4
    assert response.context["page"].paginator.num_pages == 2
    assert 'data-testid="audit-beyond-pages"' in response.content.decode()
    dated = client.get(reverse("roles:audit"), {"since": "2000-01-01", "page": 1})
    assert dated.status_code == 200
    few = client.get(reverse("roles:audit"), {"kind": "roles.role", "user": manager.user.username})
    assert 'data-testid="audit-beyond-pages"' not in few.content.decode()
