"""The audit page reads the way a person would write it: sign-ins apart from changes, names instead of ids,
是/否, labels of choices, local time to the minute, deleted records by the name they had (issue 13)."""

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation

from roles import services
from roles.models.audit import SIGN_IN_REASON
from roles.selectors.audit import audit_entries

from ..factories import DepartmentFactory, EmployeeFactory, RoleFactory

pytestmark = pytest.mark.django_db


def changes_of(entry):
    return {change.field: (change.old, change.new) for change in entry.changes}


def test_a_sign_in_is_listed_apart_from_the_changes(client_as, manager):
    _, changes_before, _ = audit_entries(kind="auth.user")
    client_as(manager)  # signs in: Django saves last_login
    user_history = manager.user.history.order_by("-history_date", "-history_id").first()
    assert user_history.history_change_reason == SIGN_IN_REASON
    assert audit_entries(kind="auth.user")[1] == changes_before
    sign_ins, total, _ = audit_entries(sign_ins=True, username=manager.user.username)
    assert total == 1 and sign_ins[0].who == manager.user.username

    page = client_as(manager).get(reverse("roles:audit")).content.decode()
    assert "?list=sign-ins" in page
    listed = client_as(manager).get(reverse("roles:audit"), {"list": "sign-ins"})
    assert listed.context["sign_ins"] is True
    assert [entry.who for entry in listed.context["page"]] == [manager.user.username] * 3


def test_a_change_after_a_sign_in_is_a_change_again(client_as, manager):
    client_as(manager)
    user = manager.user
    user.first_name = "Mei"
    user.save()
    entries, _, _ = audit_entries(kind="auth.user", username=None)
    assert changes_of(entries[0])["first_name"] == ("—", "Mei")


def test_booleans_groups_choices_and_links_read_as_words(superuser):
    finance_role = RoleFactory(access_group="Finance", title_en="Accountant")
    employee = EmployeeFactory(role=RoleFactory(access_group="Staff", title_en="Designer"))
    services.update_employee(employee=employee, role=finance_role, by=superuser)
    entries, _, _ = audit_entries(kind="roles.employee")
    assert changes_of(entries[0])["role"] == ("Designer", "Accountant")
    logins, _, _ = audit_entries(kind="auth.user")
    groups = next(changes_of(entry)["groups"] for entry in logins if "groups" in changes_of(entry))
    assert groups[1] == "Finance" and "{" not in groups[0] + groups[1]

    user = employee.user
    user.is_active = False
    user.save()
    entries, _, _ = audit_entries(kind="auth.user")
    assert changes_of(entries[0])["is_active"] == ("Yes", "No")
    assert [change.label for change in entries[0].changes if change.field == "is_active"] == ["Active"]

    role = RoleFactory(access_group="Staff")
    services.save_role(role=role, access_group="Warehouse", by=superuser)
    entries, _, _ = audit_entries(kind="roles.role")
    assert changes_of(entries[0])["access_group"] == ("Staff", "Warehouse")


def test_times_are_local_to_the_minute(manager):
    role = RoleFactory(headcount=1)
    services.save_role(role=role, headcount=2, by=manager.user)
    entry = audit_entries(kind="roles.role")[0][0]
    recorded = role.history.order_by("-history_date").first().history_date
    assert entry.when == timezone.localtime(recorded).replace(second=0, microsecond=0)
    assert str(entry.when.tzinfo) == "Asia/Shanghai"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", entry.when_text)

    user = manager.user
    user.date_joined = datetime.datetime(2026, 3, 1, 16, 30, 12, 345678, tzinfo=datetime.UTC)
    user.save()
    joined = changes_of(audit_entries(kind="auth.user")[0][0])["date_joined"][1]
    assert joined == "2026-03-02 00:30"  # Asia/Shanghai, no seconds, no microseconds


def test_a_deleted_record_shows_the_name_it_had():
    department = DepartmentFactory(name_zh="快闪部", name_en="Pop-up")
    pk = department.pk
    services.delete_department(department=department)
    entry = audit_entries(kind="roles.department")[0][0]
    assert entry.change == "deleted"
    assert entry.object_label == "Pop-up" and entry.object_label != f"#{pk}"


def test_the_chinese_audit_page_has_no_english_words(client_as, superuser, manager):
    role = RoleFactory(access_group="Staff")
    services.save_role(role=role, access_group="Warehouse", by=superuser)
    user = EmployeeFactory().user
    user.is_active = False
    user.save()
    with translation.override("zh-hans"):
        client = client_as(manager)
        page = client.get(reverse("roles:audit"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "修改" in page, page[-3000:]
    assert "否" in page and "仓库" in page
    for english in ("changed", "created", "deleted", "True", "False", ">system<"):
        assert english not in page
    assert not re.search(r"\d\d:\d\d:\d\d", page)  # to the minute


def test_the_migration_marks_the_sign_ins_recorded_before_it(manager):
    user = manager.user
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])  # a sign-in
    user.groups.add(Group.objects.get_or_create(name="Finance")[0])  # a change that keeps every field the same
    historical = apps.get_model("roles", "HistoricalUser")
    historical.objects.filter(id=user.pk).update(history_change_reason=None)  # as rows were written before
    migration = importlib.import_module("roles.migrations.0009_mark_sign_ins_in_user_history")
    migration.mark_sign_ins(apps, None)
    reasons = list(
        historical.objects.filter(id=user.pk)
        .order_by("history_date", "history_id")
        .values_list("history_change_reason", flat=True)
    )
    assert reasons[-2] == SIGN_IN_REASON
    assert reasons[-1] is None  # the group change stays a change
    assert reasons[0] is None  # so does the creation
