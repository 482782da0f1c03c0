import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from roles import services
from roles.choices import AccessGroup, EmployeeStatus
from roles.exceptions import OrgConflict
from roles.models import Department, Employee

from ..factories import DepartmentFactory, EmployeeFactory, RoleFactory, id_number_with_check

pytestmark = pytest.mark.django_db


def employee_values(role, **overrides):
    values = {
        "employee_number": "E9001",
        "full_name": "测试员",
        "role": role,
        "hire_date": datetime.date(2025, 3, 1),
        "phone": "13900001111",
        "bank_account": "6222000011112222333",
        "id_number": id_number_with_check("33010619950505123"),
    }
    values.update(overrides)
    return values


def test_create_employee_creates_login_with_the_roles_group(manager):
    role = RoleFactory(access_group=AccessGroup.WAREHOUSE)
    employee = services.create_employee(
        username="newbie", password="long-enough-pass-1", by=manager.user, **employee_values(role)
    )
    assert employee.user.check_password("long-enough-pass-1")
    assert list(employee.user.groups.values_list("name", flat=True)) == ["Warehouse"]


def test_create_employee_refuses_weak_password_and_saves_nothing(superuser):
    role = RoleFactory()
    with pytest.raises(ValidationError) as error:
        services.create_employee(username="weak", password="123", by=superuser, **employee_values(role))
    assert "password" in error.value.message_dict
    assert not Employee.objects.exists()


def test_create_employee_refuses_a_taken_username(superuser):
    existing = EmployeeFactory()
    with pytest.raises(ValidationError) as error:
        services.create_employee(
            username=existing.user.username.upper(),
            password="long-enough-pass-1",
            by=superuser,
            **employee_values(existing.role),
        )
    assert "username" in error.value.message_dict


def test_bad_id_number_leaves_no_half_created_login(superuser):
    role = RoleFactory()
    with pytest.raises(ValidationError) as error:
        services.create_employee(
            username="halfway", password="long-enough-pass-1", by=superuser, **employee_values(role, id_number="123")
        )
    assert "id_number" in error.value.message_dict
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="halfway").exists()


def test_changing_role_moves_the_access_group(superuser):
    employee = EmployeeFactory(role=RoleFactory(access_group=AccessGroup.STAFF))
    services.update_employee(employee=employee, role=RoleFactory(access_group=AccessGroup.FINANCE), by=superuser)
    assert list(employee.user.groups.values_list("name", flat=True)) == ["Finance"]


def test_changing_a_roles_group_moves_its_people(manager, superuser):
    role = RoleFactory(access_group=AccessGroup.STAFF)
    employee = EmployeeFactory(role=role)
    services.update_employee(employee=employee, phone="13900002222", by=manager.user)
    services.save_role(role=role, access_group=AccessGroup.MANAGER, by=superuser)
    assert list(employee.user.groups.values_list("name", flat=True)) == ["Manager"]


def test_recording_leaving_disables_the_login_and_keeps_the_record(manager):
    employee = EmployeeFactory()
    services.record_leaving(employee=employee, leave_date=datetime.date(2025, 1, 31), by=manager.user)
    employee.refresh_from_db()
    employee.user.refresh_from_db()
    assert employee.status == EmployeeStatus.LEFT
    assert not employee.user.is_active
    assert not employee.user.groups.exists()


def test_leaving_before_hire_is_a_field_error(manager):
    employee = EmployeeFactory(hire_date=datetime.date(2025, 2, 1))
    with pytest.raises(ValidationError, match="leave date cannot be before"):
        services.record_leaving(employee=employee, leave_date=datetime.date(2025, 1, 1), by=manager.user)


def test_reporting_line_cannot_loop(manager):
    top = RoleFactory()
    middle = RoleFactory(reports_to=top)
    bottom = RoleFactory(reports_to=middle)
    with pytest.raises(ValidationError) as error:
        services.save_role(role=top, reports_to=bottom, by=manager.user)
    assert "reports_to" in error.value.message_dict


def test_pay_grade_max_below_min_is_a_field_error(manager):
    department = DepartmentFactory()
    with pytest.raises(ValidationError) as error:
        services.save_role(
            department=department,
            code="x",
            title_zh="x",
            title_en="x",
            pay_grade_min=Decimal("3000"),
            pay_grade_max=Decimal("2000"),
            by=manager.user,
        )
    assert "pay_grade_max" in error.value.message_dict


def test_duplicate_department_code_is_a_field_error():
    DepartmentFactory(code="design")
    with pytest.raises(ValidationError) as error:
        services.save_department(code="design", name_zh="美编部", name_en="Design")
    assert "code" in error.value.message_dict


def test_oversize_name_is_refused():
    with pytest.raises(ValidationError) as error:
        services.save_department(code="long", name_zh="长" * 101, name_en="Long")
    assert "name_zh" in error.value.message_dict
    assert not Department.objects.filter(code="long").exists()


def test_department_with_roles_cannot_be_deleted():
    role = RoleFactory()
    with pytest.raises(OrgConflict):
        services.delete_department(department=role.department)
    services.delete_role(role=role)
    services.delete_department(department=role.department)
    assert not Department.objects.filter(pk=role.department.pk).exists()


def test_role_with_history_cannot_be_deleted():
    employee = EmployeeFactory(status=EmployeeStatus.LEFT, leave_date=datetime.date(2024, 5, 1))
    with pytest.raises(OrgConflict):
        services.delete_role(role=employee.role)
