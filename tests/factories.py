import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from roles.choices import AccessGroup, EmployeeStatus
from roles.models import Department, Employee, Role


def id_number_with_check(body17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, weights, strict=True)) % 11]


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"dept-{n}")
    name_zh = factory.Sequence(lambda n: f"部门{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    department = factory.SubFactory(DepartmentFactory)
    code = factory.Sequence(lambda n: f"role-{n}")
    title_zh = factory.Sequence(lambda n: f"岗位{n}")
    title_en = factory.Sequence(lambda n: f"Role {n}")
    headcount = 1
    pay_grade_min = Decimal("2000.00")
    pay_grade_max = Decimal("5000.00")
    access_group = AccessGroup.STAFF


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create:
            for name in extracted or ():
                # get_or_create: a transactional test's flush deletes the groups the data migration made.
                self.groups.add(Group.objects.get_or_create(name=name)[0])
            self.save()


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    user = factory.SubFactory(UserFactory)
    employee_number = factory.Sequence(lambda n: f"T{n:05d}")
    full_name = factory.Sequence(lambda n: f"员工{n}")
    role = factory.SubFactory(RoleFactory)
    hire_date = datetime.date(2024, 1, 1)
    status = EmployeeStatus.ACTIVE
    phone = "13812345678"
    # One account each: an account another current employee uses is refused (roles/services/org.py).
    bank_account = factory.Sequence(lambda n: f"622202{n:013d}")
    id_number = factory.LazyFunction(lambda: id_number_with_check("33010619900101123"))


class DutyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "roles.DutyTemplate"

    role = factory.SubFactory(RoleFactory)
    text_zh = factory.Sequence(lambda n: f"职责{n}")
    text_en = factory.Sequence(lambda n: f"Duty {n}")
    cadence = "daily"
