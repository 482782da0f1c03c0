"""The signed-in user of a request: one prepared query for user, employee, role and groups; sessions read with a
prepared query. Nothing is cached between requests, so changes of group, role, password or activity apply at
once."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from inventory.permissions import is_customer_service
from roles.choices import AccessGroup
from roles.permissions import group_names
from shop_ops.auth import ModelBackend, load_signed_in_user
from shop_ops.prepared import PreparedQuery
from shop_ops.sessions import SessionStore

from .factories import EmployeeFactory, RoleFactory, UserFactory


def test_user_employee_role_and_groups_come_in_one_query(manager, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(manager.user.pk)
        assert user == manager.user
        assert user.employee == manager
        assert user.employee.user is user
        assert user.employee.role.code == manager.role.code
        assert user.employee.hire_date == manager.hire_date  # a date, after the database's converters
        assert group_names(user) == {AccessGroup.MANAGER}
        assert not is_customer_service(user)


def test_user_without_employee_or_groups(db, django_assert_num_queries):
    plain = UserFactory()
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(plain.pk)
        assert not hasattr(user, "employee")
        assert group_names(user) == frozenset()


def test_several_groups_and_unknown_ids(db):
    user = UserFactory(groups=[AccessGroup.FINANCE, AccessGroup.WAREHOUSE])
    assert group_names(ModelBackend().get_user(user.pk)) == {AccessGroup.FINANCE, AccessGroup.WAREHOUSE}
    assert ModelBackend().get_user(user.pk + 1000) is None
    assert ModelBackend().get_user("not a number") is None


def test_customer_service_rule_reads_the_loaded_role(db, django_assert_num_queries):
    employee = EmployeeFactory(role=RoleFactory(code="cs_staff"), user=UserFactory(groups=[AccessGroup.STAFF]))
    user = load_signed_in_user(employee.user.pk)
    with django_assert_num_queries(0):
        assert is_customer_service(user)


def test_inactive_user_is_signed_out(client, staff):
    client.force_login(staff.user)
    assert client.get(reverse("roles:my-checklist")).status_code == 200
    staff.user.is_active = False
    staff.user.save()
    response = client.get(reverse("roles:my-checklist"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_group_change_applies_on_the_next_request(client, staff):
    client.force_login(staff.user)
    dashboard = reverse("roles:checklist-dashboard")
    assert client.get(dashboard).status_code == 302  # not a manager: sent home with a message
    staff.user.groups.add(Group.objects.get_or_create(name=AccessGroup.MANAGER)[0])
    assert client.get(dashboard).status_code == 200
    staff.user.groups.clear()
    assert client.get(dashboard).status_code == 302


def test_password_change_elsewhere_signs_the_session_out(client, staff):
    client.force_login(staff.user)
    staff.user.set_password("a-new-password-456")
    staff.user.save()
    assert client.get(reverse("roles:my-checklist")).status_code == 302


def test_session_engine_reads_saves_expires_and_deletes(db):
    store = SessionStore()
    store["answer"] = 42
    store.create()
    key = store.session_key
    assert SessionStore(key)["answer"] == 42
    assert SessionStore("no-such-session-key-000000000000").get("answer") is None

    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    expired = SessionStore(key)
    assert expired.get("answer") is None
    assert expired.session_key is None  # a new key is made on save, as with Django's db engine

    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + datetime.timedelta(days=1))
    SessionStore(key).delete()
    assert not Session.objects.filter(session_key=key).exists()


def test_logout_ends_the_session(client, staff):
    client.force_login(staff.user)
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("roles:my-checklist")).status_code == 302


def test_prepared_query_refuses_a_marker_it_cannot_find_once(db):
    from roles.models import Role

    twice = PreparedQuery(lambda code: Role.objects.filter(code=code, title_en=code).values_list("pk"), str)
    with pytest.raises(ValueError, match="appears 2 times"):
        twice.rows("x")
    absent = PreparedQuery(lambda code: Role.objects.filter(code="fixed").values_list("pk"), str)
    with pytest.raises(ValueError, match="appears 0 times"):
        absent.rows("x")


def test_prepared_query_returns_what_the_queryset_returns(db):
    from roles.models import Role

    roles = RoleFactory.create_batch(3)
    query = PreparedQuery(
        lambda code: Role.objects.filter(code=code).values_list("code", "pay_grade_min", "department__code"), str
    )
    for role in roles:
        expected = list(Role.objects.filter(code=role.code).values_list("code", "pay_grade_min", "department__code"))
        assert query.rows(role.code) == expected
    assert query.rows("no-such-role") == []


def test_prepared_objects_match_the_queryset_with_related_objects_and_dates(staff, django_assert_num_queries):
    from roles import selectors
    from roles.choices import ItemKind, ItemStatus
    from roles.models import ChecklistItem

    today = datetime.date(2026, 3, 10)
    made = []
    for due, status in [
        (today, ItemStatus.OPEN),
        (today, ItemStatus.DONE),
        (today - datetime.timedelta(days=2), ItemStatus.OPEN),
        (today - datetime.timedelta(days=2), ItemStatus.DONE),
        (today + datetime.timedelta(days=1), ItemStatus.OPEN),
    ]:
        made.append(
            ChecklistItem.objects.create(
                employee=staff,
                kind=ItemKind.AD_HOC,
                period_start=min(due, today),
                due_date=due,
                status=status,
                title_zh="任务",
                title_en="Task",
                done_by=staff.user if status == ItemStatus.DONE else None,
                done_on=due if status == ItemStatus.DONE else None,
                done_at=timezone.now() if status == ItemStatus.DONE else None,
            )
        )
    expected = list(selectors.my_checklist(employee=staff, today=today))
    assert len(expected) == 4  # the older done item is not shown; the future ad-hoc task is
    with django_assert_num_queries(1):
        found = selectors.my_checklist_items(employee=staff, today=today)
        assert [(i.pk, i.due_date, i.status) for i in found] == [(i.pk, i.due_date, i.status) for i in expected]
        assert {i.done_by.username for i in found if i.done_by_id} == {staff.user.username}
    # Another day is another parameter, not the first day's answer.
    assert [i.pk for i in selectors.my_checklist_items(employee=staff, today=today + datetime.timedelta(days=1))] == [
        i.pk for i in selectors.my_checklist(employee=staff, today=today + datetime.timedelta(days=1))
    ]


def test_prepared_objects_defer_what_only_leaves_out(db, django_assert_num_queries):
    from roles.models import Role

    role = RoleFactory(title_en="Packer")
    query = PreparedQuery(
        lambda pk: Role.objects.filter(pk=pk).only("code", "department").select_related("department"), int
    )
    with django_assert_num_queries(1):
        (found,) = query.objects(role.pk)
        assert found.code == role.code and found.department.code == role.department.code
    with django_assert_num_queries(1):
        assert found.title_en == "Packer"  # deferred: read when asked for


def test_postgres_prepares_repeated_queries(manager):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("Prepared statements are PostgreSQL's (SQLite has no server to prepare them on).")
    for _ in range(6):
        load_signed_in_user(manager.user.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any("auth_user" in statement and "JSON_AGG" in statement for statement in statements), statements


def test_navigation_links_follow_group_role_and_language(client, staff, settings):
    """The navigation's links are rendered once per language and access (shop_ops/context_processors.py): a change
    of group or language shows at once, and one user's links never show for another."""
    client.force_login(staff.user)
    home, dashboard = reverse("home"), reverse("roles:checklist-dashboard")
    assert f'href="{dashboard}"' not in client.get(home).content.decode()
    staff.user.groups.add(Group.objects.get_or_create(name=AccessGroup.MANAGER)[0])
    assert f'href="{dashboard}"' in client.get(home).content.decode()
    staff.user.groups.clear()
    assert f'href="{dashboard}"' not in client.get(home).content.decode()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = client.get(home).content.decode()
    assert ">组织架构<" in body and '<option value="zh-hans" selected>' in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(home).content.decode()
    assert ">Org chart<" in body and '<option value="en" selected>' in body

    plain = UserFactory()  # no employee record: no "My profile" link
    client.force_login(plain)
    assert f'href="{reverse("roles:my-profile")}"' not in client.get(home).content.decode()
    client.force_login(staff.user)
    assert f'href="{reverse("roles:my-profile")}"' in client.get(home).content.decode()


def test_prepared_query_parameters_are_ints_strings_or_dates():
    with pytest.raises(TypeError, match="not float"):
        PreparedQuery(lambda amount: None, float)
