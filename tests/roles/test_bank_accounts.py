"""One bank account, one current employee: a "ghost" employee (or a colleague's record) paid into an account another
employee who has not left already uses is refused, whatever spacing or full-width digits it is typed with."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from roles import services
from roles.choices import EmployeeStatus
from roles.models import Employee

from ..factories import EmployeeFactory, RoleFactory

pytestmark = pytest.mark.django_db

TAKEN = "6222000011110000001"
FREE = "6222000011110000009"


@pytest.fixture
def holder(db):
    return EmployeeFactory(bank_account=TAKEN, employee_number="E0100")


def _message(number="E0100"):
    return f"This bank account is already used by employee {number}."


def test_the_keyed_hash_is_kept_with_the_account(holder):
    from shop_ops.encryption import digest

    assert holder.bank_account_digest == digest(TAKEN) == digest("６２２２ 0000-1111 0000 001")
    assert TAKEN not in holder.bank_account_digest


@pytest.mark.parametrize("typed", [TAKEN, "6222 0000 1111 0000 001", "６２２２００００１１１１００００００１"])
def test_a_new_employee_with_a_current_employees_account_is_refused(holder, manager, typed):
    with pytest.raises(ValidationError) as refused:
        services.create_employee(
            username="ghost",
            password="a-good-long-password",
            by=manager.user,
            employee_number="E0999",
            full_name="幽灵",
            role=RoleFactory(),
            hire_date=datetime.date(2025, 1, 1),
            bank_account=typed,
        )
    assert refused.value.message_dict == {"bank_account": [_message()]}
    assert not Employee.objects.filter(employee_number="E0999").exists()


def test_changing_an_account_to_a_current_employees_is_refused(holder, manager):
    other = EmployeeFactory(bank_account=FREE)
    with pytest.raises(ValidationError) as refused:
        services.update_employee(employee=other, by=manager.user, bank_account=TAKEN)
    assert refused.value.message_dict == {"bank_account": [_message()]}
    other.refresh_from_db()
    assert other.bank_account == FREE


def test_a_leavers_account_may_be_used_and_their_return_is_checked(holder, manager):
    services.record_leaving(employee=holder, leave_date=datetime.date(2025, 6, 30), by=manager.user)
    other = services.update_employee(employee=EmployeeFactory(bank_account=FREE), by=manager.user, bank_account=TAKEN)
    assert other.bank_account == TAKEN
    with pytest.raises(ValidationError) as refused:
        services.update_employee(employee=holder, by=manager.user, status=EmployeeStatus.ACTIVE, leave_date=None)
    assert refused.value.message_dict == {"bank_account": [_message(other.employee_number)]}


def test_keeping_ones_own_account_and_other_changes_pass(holder, manager):
    assert services.update_employee(employee=holder, by=manager.user, bank_account=TAKEN).bank_account == TAKEN
    assert services.update_employee(employee=holder, by=manager.user, full_name="改名").full_name == "改名"


def test_api_refuses_at_the_field(api_as, holder, manager):
    other = EmployeeFactory(bank_account=FREE)
    response = api_as(manager).patch(f"/api/employees/{other.pk}/", {"bank_account": TAKEN}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["bank_account"] == [_message()]
    other.refresh_from_db()
    assert other.bank_account == FREE


def test_page_shows_the_refusal_at_the_field(client_as, holder, manager):
    role = RoleFactory()
    response = client_as(manager).post(
        reverse("roles:employee-create"),
        {
            "username": "ghost",
            "password": "a-good-long-password",
            "employee_number": "E0999",
            "full_name": "幽灵",
            "role": role.pk,
            "hire_date": "2025-04-01",
            "status": "active",
            "phone": "",
            "bank_account": "6222 0000 1111 0000 001",
            "id_number": "",
        },
    )
    assert response.status_code == 200
    assert _message() in response.context["form"].errors["bank_account"]
    assert not Employee.objects.filter(employee_number="E0999").exists()
