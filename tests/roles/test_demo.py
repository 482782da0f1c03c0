"""The demo data carries every department and role of the seed documents, and loading it twice changes nothing."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from roles.demo import read_seed
from roles.models import Department, Employee, Role

pytestmark = pytest.mark.django_db

SEED_DEPARTMENTS = {"管理层", "美编部", "营销部", "仓储部", "财务部"}
SEED_ROLES = {
    "店长(运营总监或副总)",
    "电商部经理",
    "设计美工",
    "文案策划",
    "美工编辑",
    "运营推广",
    "推广策划和实施专员",
    "客服专员",
    "客服人员",
    "仓库主管",
    "入库员",
    "打单员",
    "配货员",
    "打包员",
    "发货人员",
    "财务",
}


def load(**kwargs) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **kwargs)
    return out.getvalue()


def snapshot():
    return (
        list(Department.objects.values().order_by("code")),
        list(Role.objects.values().order_by("code")),
        list(Employee.objects.values().order_by("employee_number")),
        list(get_user_model().objects.values("username", "password", "is_active").order_by("username")),
    )


def test_demo_data_carries_every_department_and_role_of_the_seeds():
    output = load()
    assert set(Department.objects.values_list("name_zh", flat=True)) == SEED_DEPARTMENTS
    assert set(Role.objects.values_list("title_zh", flat=True)) == SEED_ROLES
    assert not Role.objects.filter(title_en="").exists()
    assert Role.objects.get(code="promotion_specialist").headcount == 2
    assert Role.objects.get(code="cs_staff").headcount == 3
    assert Role.objects.get(code="ecommerce_manager").pay_grade_max == 50000
    for role in Role.objects.all():
        assert role.employees.count() == 1, role.code
    assert "manager" in output and "finance" in output


def test_loading_twice_changes_nothing():
    load()
    before = snapshot()
    second = load(quiet_logins=True)
    assert "0 departments, 0 roles, 0 employees created; 0 updated" in second
    assert snapshot() == before


def test_demo_logins_work_with_their_groups(client):
    load(password="demo-pass-for-test")
    expected = {"manager": "Manager", "finance": "Finance", "wh_supervisor": "Warehouse", "cs": "Staff"}
    for username, group in expected.items():
        user = get_user_model().objects.get(username=username)
        assert user.groups.get().name == group
        assert client.login(username=username, password="demo-pass-for-test")


def test_seed_file_keeps_the_duties_for_the_checklist_module():
    seed = read_seed()
    duties = {role["code"]: role["duties"] for role in seed["roles"]}
    assert len(duties["operations_promoter"]) == 23
    assert any("7天一优化" in duty["text_zh"] for duty in duties["operations_promoter"])
    assert all(duty["text_en"] for role_duties in duties.values() for duty in role_duties)
