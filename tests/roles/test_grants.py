"""Who may give which rights: one rule (`roles.permissions.can_grant_access_group`) behind every service that
creates a login, moves a person into a role, brings a leaver back or changes a role's access group; refused in
the API (403, JSON error shape) and in the pages (form error); grants recorded in the audit trail with who."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.services import issue_api_token
from roles import services
from roles.choices import AccessGroup, EmployeeStatus
from roles.exceptions import GrantRefused
from roles.models import Employee, Role
from roles.permissions import OPERATOR, can_grant_access_group
from roles.selectors.audit import audit_entries

from ..factories import EmployeeFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

PRIVILEGED = [AccessGroup.FINANCE, AccessGroup.MANAGER]
ORDINARY = [AccessGroup.STAFF, AccessGroup.WAREHOUSE]
EVERY_GROUP = ("anonymous", "staff", "customer_service", "warehouse", "finance", "manager", "superuser", "made")


@pytest.fixture
def customer_service(db):
    role = Role.objects.filter(code="cs_staff").first() or RoleFactory(code="cs_staff", access_group="Staff")
    return EmployeeFactory(role=role, user=UserFactory(groups=[AccessGroup.STAFF]))


@pytest.fixture
def made(db):
    """A login made for the purpose: marked staff for the admin site, in a group named like a right, no employee
    record. None of that is a right to grant anything."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Managers")[0])
    return user


@pytest.fixture
def who(request):
    def get(name):
        if name == "anonymous":
            return None
        value = request.getfixturevalue(name)
        return getattr(value, "user", value)

    return get


def new_person(role, username="newcomer", **overrides):
    values = {
        "employee_number": "E8001",
        "full_name": "新人",
        "role": role,
        "hire_date": datetime.date(2026, 1, 5),
        "phone": "13900001111",
    }
    values.update(overrides)
    return {"username": username, "password": "long-enough-pass-1", **values}


# --- The rule ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EVERY_GROUP)
@pytest.mark.parametrize("group", [*PRIVILEGED, *ORDINARY])
def test_the_rule_for_every_group(who, name, group):
    user = who(name)
    allowed = name == "superuser" or (name == "manager" and group in ORDINARY)
    assert can_grant_access_group(user, group) is allowed


def test_the_operator_at_the_command_line_may_grant_anything():
    assert all(can_grant_access_group(OPERATOR, group) for group in AccessGroup.values)


def test_a_deactivated_superuser_grants_nothing(superuser):
    superuser.is_active = False
    assert not can_grant_access_group(superuser, AccessGroup.FINANCE)


# --- Services ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", PRIVILEGED)
def test_a_manager_cannot_create_a_login_with_finance_or_manager_rights(manager, group):
    role = RoleFactory(access_group=group)
    with pytest.raises(GrantRefused, match="Only a superuser") as refused:
        services.create_employee(by=manager.user, **new_person(role))
    assert refused.value.field == "role"
    assert not get_user_model().objects.filter(username="newcomer").exists()
    assert not Employee.objects.filter(employee_number="E8001").exists()


@pytest.mark.parametrize("group", PRIVILEGED)
def test_a_manager_cannot_create_a_dormant_finance_login_entered_as_already_gone(manager, group):
    """Found by an attack: `status=left` skipped the rule, leaving a Finance login whose password the manager chose,
    one rehire away from Finance rights."""
    role = RoleFactory(access_group=group)
    person = new_person(role, status=EmployeeStatus.LEFT, leave_date=datetime.date(2026, 2, 1))
    with pytest.raises(GrantRefused, match="Only a superuser"):
        services.create_employee(by=manager.user, **person)
    assert not get_user_model().objects.filter(username="newcomer").exists()


@pytest.mark.parametrize("group", ORDINARY)
def test_a_manager_still_creates_staff_and_warehouse_people(manager, group):
    employee = services.create_employee(by=manager.user, **new_person(RoleFactory(access_group=group)))
    assert list(employee.user.groups.values_list("name", flat=True)) == [group]


@pytest.mark.parametrize("group", PRIVILEGED)
def test_a_superuser_creates_finance_and_manager_people(superuser, group):
    employee = services.create_employee(by=superuser, **new_person(RoleFactory(access_group=group)))
    assert list(employee.user.groups.values_list("name", flat=True)) == [group]


@pytest.mark.parametrize("group", PRIVILEGED)
def test_a_manager_cannot_move_someone_into_a_finance_or_manager_role(manager, staff, group):
    with pytest.raises(GrantRefused):
        services.update_employee(employee=staff, role=RoleFactory(access_group=group), by=manager.user)
    staff.refresh_from_db()
    assert staff.role.access_group == AccessGroup.STAFF
    assert list(staff.user.groups.values_list("name", flat=True)) == ["Staff"]


def test_a_manager_cannot_move_themself_into_finance(manager):
    with pytest.raises(GrantRefused):
        services.update_employee(employee=manager, role=RoleFactory(access_group="Finance"), by=manager.user)
    assert list(manager.user.groups.values_list("name", flat=True)) == ["Manager"]


def test_a_manager_moves_people_between_staff_and_warehouse(manager, staff):
    services.update_employee(employee=staff, role=RoleFactory(access_group="Warehouse"), by=manager.user)
    assert list(staff.user.groups.values_list("name", flat=True)) == ["Warehouse"]


def test_a_manager_edits_the_accountant_without_granting_anything(manager, finance):
    """Keeping rights someone already holds is no grant: a phone number or another Finance role is fine."""
    services.update_employee(employee=finance, phone="13900002222", by=manager.user)
    services.update_employee(employee=finance, role=RoleFactory(access_group="Finance"), by=manager.user)
    assert list(finance.user.groups.values_list("name", flat=True)) == ["Finance"]


def test_a_manager_cannot_bring_a_departed_accountant_back(manager, finance, superuser):
    EmployeeFactory(role=finance.role, user=UserFactory(groups=["Finance"]))  # not the last Finance login
    services.record_leaving(employee=finance, leave_date=datetime.date(2026, 1, 31), by=superuser)
    with pytest.raises(GrantRefused):
        services.update_employee(employee=finance, status=EmployeeStatus.ACTIVE, leave_date=None, by=manager.user)
    finance.user.refresh_from_db()
    assert not finance.user.is_active
    services.update_employee(employee=finance, status=EmployeeStatus.ACTIVE, leave_date=None, by=superuser)
    finance.user.refresh_from_db()
    assert finance.user.is_active and finance.user.groups.get().name == "Finance"


@pytest.mark.parametrize("group", PRIVILEGED)
def test_a_manager_cannot_give_a_role_finance_or_manager_rights(manager, staff, group):
    with pytest.raises(GrantRefused) as refused:
        services.save_role(role=staff.role, access_group=group, by=manager.user)
    assert refused.value.field == "access_group"
    staff.role.refresh_from_db()
    assert staff.role.access_group == AccessGroup.STAFF
    assert list(staff.user.groups.values_list("name", flat=True)) == ["Staff"]


def test_a_manager_cannot_create_a_role_with_finance_rights(manager):
    department = RoleFactory().department
    with pytest.raises(GrantRefused):
        services.save_role(
            department=department,
            code="acct2",
            title_zh="会计2",
            title_en="Accountant 2",
            pay_grade_min=1000,
            pay_grade_max=2000,
            access_group="Finance",
            by=manager.user,
        )
    assert not Role.objects.filter(code="acct2").exists()


def test_a_manager_still_edits_a_finance_role_and_gives_roles_warehouse_rights(manager, finance, staff):
    services.save_role(role=finance.role, headcount=2, by=manager.user)
    services.save_role(role=staff.role, access_group="Warehouse", by=manager.user)
    assert list(staff.user.groups.values_list("name", flat=True)) == ["Warehouse"]


def test_a_superuser_changes_a_roles_group_and_its_people_follow(superuser, staff):
    services.save_role(role=staff.role, access_group="Manager", by=superuser)
    assert list(staff.user.groups.values_list("name", flat=True)) == ["Manager"]


# --- API, every group --------------------------------------------------------------------------------------------


def _post_employee(api, user, role, username="acct-new"):
    if user is not None:
        api.force_authenticate(user)
    return api.post(
        "/api/employees/",
        {
            "new_username": username,
            "password": "a-good-long-password",
            "employee_number": "E0778",
            "full_name": "会计甲",
            "role": role.pk,
            "hire_date": "2025-05-05",
            "bank_account": "6222000011112222555",
        },
        format="json",
    )


API_EXPECTED = {
    "anonymous": 401,
    "staff": 403,
    "customer_service": 403,
    "warehouse": 403,
    "finance": 403,
    "manager": 403,
    "superuser": 201,
    "made": 403,
}


@pytest.mark.parametrize("name", EVERY_GROUP)
def test_api_creating_a_finance_login_for_every_group(api, who, name):
    response = _post_employee(api, who(name), RoleFactory(access_group="Finance"))
    assert response.status_code == API_EXPECTED[name], response.json()
    assert Employee.objects.filter(employee_number="E0778").exists() is (name == "superuser")
    if name == "manager":
        body = response.json()
        assert "Only a superuser can give Finance rights" in body["detail"]
        assert body["errors"] == {"role": [body["detail"]]}


@pytest.mark.parametrize("name", EVERY_GROUP)
def test_api_giving_the_pickers_role_manager_rights_for_every_group(api, who, name, warehouse):
    user = who(name)
    if user is not None:
        api.force_authenticate(user)
    response = api.patch(f"/api/roles/{warehouse.role_id}/", {"access_group": "Manager"}, format="json")
    assert response.status_code == {"superuser": 200, "anonymous": 401}.get(name, 403), response.json()
    expected = "Manager" if name == "superuser" else "Warehouse"
    assert list(warehouse.user.groups.values_list("name", flat=True)) == [expected]
    if name == "manager":
        assert response.json()["errors"] == {"access_group": [response.json()["detail"]]}


def test_api_manager_cannot_move_a_person_into_a_manager_role(api_as, manager, warehouse):
    response = api_as(manager).patch(
        f"/api/employees/{warehouse.pk}/", {"role": RoleFactory(access_group="Manager").pk}, format="json"
    )
    assert response.status_code == 403
    assert "Only a superuser can give Manager rights" in response.json()["detail"]
    warehouse.refresh_from_db()
    assert warehouse.role.access_group == "Warehouse"


def test_api_manager_still_creates_a_warehouse_login(api_as, manager):
    response = _post_employee(api_as(manager), None, RoleFactory(access_group="Warehouse"), username="Packer2")
    assert response.status_code == 201, response.json()
    assert response.json()["username"] == "packer2"


# --- Pages -----------------------------------------------------------------------------------------------------


def _employee_form(role, **extra):
    return {
        "employee_number": "E0900",
        "full_name": "会计乙",
        "role": role.pk,
        "hire_date": "2025-06-01",
        "status": "active",
        "phone": "13900003333",
        "bank_account": "",
        "id_number": "",
        **extra,
    }


def test_page_manager_cannot_add_a_person_to_a_finance_role(client_as, manager):
    role = RoleFactory(access_group="Finance")
    response = client_as(manager).post(
        reverse("roles:employee-create"),
        _employee_form(role, username="acct3", password="a-good-long-password", bank_account="6222000011112222555"),
    )
    assert response.status_code == 200
    assert "Only a superuser can give Finance rights" in response.context["form"].errors["role"][0]
    assert not Employee.objects.filter(employee_number="E0900").exists()


def test_page_superuser_adds_a_person_to_a_finance_role(client_as, superuser):
    role = RoleFactory(access_group="Finance")
    response = client_as(superuser).post(
        reverse("roles:employee-create"),
        _employee_form(role, username="acct3", password="a-good-long-password", bank_account="6222000011112222555"),
    )
    assert response.status_code == 302
    assert Employee.objects.get(employee_number="E0900").user.groups.get().name == "Finance"


def test_page_manager_cannot_move_a_person_into_a_manager_role(client_as, manager, staff):
    role = RoleFactory(access_group="Manager")
    form = _employee_form(role, employee_number=staff.employee_number, full_name=staff.full_name)
    response = client_as(manager).post(reverse("roles:employee-edit", args=[staff.pk]), form)
    assert response.status_code == 200
    assert "Only a superuser can give Manager rights" in response.context["form"].errors["role"][0]
    staff.refresh_from_db()
    assert staff.role.access_group == "Staff"


def _role_form(role=None, **extra):
    values = {
        "department": (role.department_id if role else RoleFactory().department_id),
        "code": role.code if role else "auditor",
        "title_zh": role.title_zh if role else "审计",
        "title_en": role.title_en if role else "Auditor",
        "headcount": 1,
        "pay_grade_min": "1000",
        "pay_grade_max": "2000",
        "access_group": role.access_group if role else "Staff",
        "sort_order": 0,
        "source": "",
    }
    values.update(extra)
    return values


def test_page_manager_cannot_create_a_finance_role(client_as, manager):
    response = client_as(manager).post(reverse("roles:role-create"), _role_form(access_group="Finance"))
    assert response.status_code == 200
    assert "Only a superuser can give Finance rights" in response.context["form"].errors["access_group"][0]
    assert not Role.objects.filter(code="auditor").exists()


def test_page_manager_cannot_give_a_role_manager_rights(client_as, manager, warehouse):
    role = warehouse.role
    response = client_as(manager).post(
        reverse("roles:role-edit", args=[role.code]), _role_form(role, access_group="Manager")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["access_group"]
    role.refresh_from_db()
    assert role.access_group == "Warehouse"


def test_page_manager_edits_a_role_without_touching_its_rights(client_as, manager, finance):
    role = finance.role
    response = client_as(manager).post(reverse("roles:role-edit", args=[role.code]), _role_form(role, headcount=3))
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.headcount == 3


# --- Second paths ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["staff", "warehouse", "finance", "manager", "made"])
def test_the_admin_site_is_closed_to_everyone_but_superusers(client_as, who, name):
    user = who(name)
    if name == "made":
        user.is_staff = False  # the admin asks for is_staff; only superusers are made staff by the shop
        user.save()
    response = client_as(user).get("/admin/auth/user/add/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_no_service_makes_a_login_admin_staff(superuser):
    employee = services.create_employee(by=superuser, **new_person(RoleFactory(access_group="Manager")))
    assert not employee.user.is_staff and not employee.user.is_superuser


# --- Audit -------------------------------------------------------------------------------------------------------


def test_a_grant_shows_in_the_audit_trail_with_who_made_it(api, client_as, superuser, finance):
    _token, key = issue_api_token(user=superuser)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    role = RoleFactory(access_group="Finance")
    assert _post_employee(api, None, role, username="acct9").status_code == 201
    entries, _total, _ = audit_entries(kind="auth.user", username=superuser.username)
    grants = [
        entry for entry in entries if ("groups", "—", "Finance") in [(c.field, c.old, c.new) for c in entry.changes]
    ]
    assert len(grants) == 1 and grants[0].object_label == "acct9"
    page = client_as(finance).get(reverse("roles:audit"), {"kind": "auth.user"}).content.decode()
    assert "acct9" in page and superuser.username in page and "Finance" in page


def test_a_roles_new_rights_show_in_the_audit_trail(client_as, superuser, staff):
    client_as(superuser).post(
        reverse("roles:role-edit", args=[staff.role.code]), _role_form(staff.role, access_group="Manager")
    )
    roles, _, _ = audit_entries(kind="roles.role", username=superuser.username)
    assert ("access_group", "Staff", "Manager") in [(c.field, c.old, c.new) for c in roles[0].changes]
    users, _, _ = audit_entries(kind="auth.user", username=superuser.username)
    assert any(("groups", "—", "Manager") in [(c.field, c.old, c.new) for c in entry.changes] for entry in users)


def test_an_unknown_access_group_is_a_field_error_not_a_crash(superuser, staff):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.save_role(role=staff.role, access_group="Root", by=superuser)
    assert "access_group" in error.value.message_dict
