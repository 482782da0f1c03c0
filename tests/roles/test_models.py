import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from roles.choices import EmployeeStatus
from roles.masking import mask_bank_account, mask_id_number, mask_phone
from roles.models import Role
from roles.validators import validate_id_number

from ..factories import DepartmentFactory, EmployeeFactory, RoleFactory, id_number_with_check

pytestmark = pytest.mark.django_db


def test_two_current_employees_cannot_share_a_number():
    EmployeeFactory(employee_number="E0100")
    with pytest.raises(IntegrityError), transaction.atomic():
        EmployeeFactory(employee_number="E0100")


def test_a_former_employees_number_can_be_reused():
    EmployeeFactory(employee_number="E0101", status=EmployeeStatus.LEFT, leave_date=datetime.date(2024, 6, 1))
    EmployeeFactory(employee_number="E0101")


def test_leave_before_hire_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        EmployeeFactory(hire_date=datetime.date(2024, 5, 1), leave_date=datetime.date(2024, 4, 30))


def test_a_leaver_without_leave_date_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        EmployeeFactory(status=EmployeeStatus.LEFT, leave_date=None)


def test_a_role_outside_a_department_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Role.objects.create(
            department_id=None,
            code="orphan",
            title_zh="孤",
            title_en="Orphan",
            pay_grade_min=1,
            pay_grade_max=2,
        )


def test_pay_grade_min_above_max_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleFactory(pay_grade_min=5000, pay_grade_max=4000)


def test_role_cannot_report_to_itself_in_the_database():
    role = RoleFactory()
    role.reports_to_id = role.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        role.save()


def test_model_validation_names_the_constraint_message():
    department = DepartmentFactory()
    EmployeeFactory(employee_number="E0200", role__department=department)
    duplicate = EmployeeFactory.build(employee_number="E0200", role=RoleFactory())
    duplicate.user.save()
    duplicate.user_id = duplicate.user.pk
    with pytest.raises(ValidationError, match="already has this employee number"):
        duplicate.full_clean()


def test_personal_numbers_are_masked():
    assert mask_bank_account("6222021234567890123") == "***************0123"
    assert mask_id_number("33010619900101123X") == "330***********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_bank_account("") == ""


def test_id_number_checksum():
    good = id_number_with_check("11010519491231002")
    assert good == "11010519491231002X"
    validate_id_number(good)
    with pytest.raises(ValidationError, match="check character"):
        validate_id_number("110105194912310021")
    with pytest.raises(ValidationError, match="birth date"):
        validate_id_number(id_number_with_check("11010519491332002"))
    with pytest.raises(ValidationError, match="17 digits"):
        validate_id_number("1101051949")


def test_titles_follow_the_active_language():
    from django.utils import translation

    role = RoleFactory(title_zh="客服人员", title_en="Customer service staff")
    with translation.override("en"):
        assert role.title == "Customer service staff"
    with translation.override("zh-hans"):
        assert role.title == "客服人员"
