"""The dashboard's arithmetic, as a tester checked it: one rounding rule for every percentage, and "overdue" the
same count on the card, in the department/role/person columns and in the list."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from roles import services
from roles.choices import ItemKind, ItemStatus
from roles.models import ChecklistItem
from roles.selectors.checklists import CompletionRow, whole_percent
from roles.templatetags.checklist_tags import as_percent

from ..factories import DepartmentFactory, EmployeeFactory, RoleFactory


def test_eleven_of_fourteen_is_79_percent_for_completion_and_on_time_alike():
    row = CompletionRow(None, "", total=14, done=11, on_time=11, overdue=0)
    assert row.percent == 79 and row.on_time_percent == 79
    assert whole_percent(1, 8) == 13  # 12.5 rounds half up
    assert whole_percent(1, 200) == 1  # 0.5 rounds half up
    assert whole_percent(3, 0) is None
    assert as_percent("0.7857") == "79%" and as_percent(None) == "—"


def _item(employee, due, done=False):
    now = timezone.now()
    return ChecklistItem.objects.create(
        employee=employee,
        kind=ItemKind.AD_HOC,
        period_start=due,
        due_date=due,
        title_zh="整理",
        status=ItemStatus.DONE if done else ItemStatus.OPEN,
        done_at=now if done else None,
        done_on=due if done else None,
    )


@pytest.mark.parametrize("period", ["today", "week", "month"])
def test_overdue_is_the_same_count_on_the_card_in_the_columns_and_in_the_list(client_as, manager, period):
    today = timezone.localdate()
    long_ago, yesterday = today - datetime.timedelta(days=40), today - datetime.timedelta(days=1)
    packers = EmployeeFactory(role=RoleFactory(department=DepartmentFactory()))
    service = EmployeeFactory(role=RoleFactory(department=DepartmentFactory()))
    for due in (long_ago, long_ago, yesterday):
        _item(packers, due)
    _item(packers, yesterday, done=True)
    _item(service, long_ago)
    _item(service, today)  # due today: not overdue yet
    for due in (long_ago, yesterday, today):
        services.refresh_day_summaries(due_date=due)

    response = client_as(manager).get(reverse("roles:checklist-dashboard"), {"period": period})
    context = response.context
    by_department = sum(row.overdue for row in context["by_department"])
    by_role = sum(row.overdue for row in context["by_role"])
    by_person = sum(row.overdue for row in context["by_person"])
    listed = context["overdue_page"].paginator.count
    assert listed == 4
    assert context["overall"].overdue == by_department == by_role == by_person == listed
    page = response.content.decode()
    assert 'data-testid="overdue-count">4<' in page and "Overdue now" in page


def test_role_department_and_overall_figures_add_up_to_the_people_and_a_page_makes_only_its_rows(db):
    from roles.selectors import completion_table

    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    shop, office = DepartmentFactory(), DepartmentFactory()
    tills, shelves, desks = RoleFactory(department=shop), RoleFactory(department=shop), RoleFactory(department=office)
    people = [
        EmployeeFactory(role=role, full_name=name)
        for role, name in [(tills, "丙"), (tills, "甲"), (shelves, "乙"), (desks, "丁")]
    ]
    for number, person in enumerate(people):
        for done in range(number + 2):
            _item(person, yesterday, done=done % 2 == 0)
    services.refresh_day_summaries(due_date=yesterday)

    def figures(row):
        return (row.total, row.done, row.on_time, row.overdue, row.missed)

    def added(rows):
        return tuple(map(sum, zip(*(figures(row) for row in rows), strict=True)))

    table = completion_table(start=yesterday, end=today, today=today)
    assert [row.key for row in table.by_person] == [
        person.pk for person in sorted(people, key=lambda p: f"{p.full_name} ({p.employee_number})")
    ]
    assert figures(table.overall) == added(table.by_person) == added(table.by_role) == added(table.by_department)
    assert figures(table.overall) == (14, 8, 8, 6, 0)
    for department, roles in ((shop, (tills, shelves)), (office, (desks,))):
        row = next(row for row in table.by_department if row.key == department.pk)
        assert figures(row) == added(row for row in table.by_role if row.key in {role.pk for role in roles})
    # One department: its people and roles only; every department still listed with its own figures.
    only_shop = completion_table(start=yesterday, end=today, today=today, department_id=shop.pk)
    assert {row.key for row in only_shop.by_person} == {person.pk for person in people[:3]}
    assert {row.key for row in only_shop.by_role} == {tills.pk, shelves.pk}
    assert (
        figures(only_shop.overall)
        == added(only_shop.by_person)
        == figures(next(row for row in only_shop.by_department if row.key == shop.pk))
    )
    assert len(only_shop.by_department) == 2
    # The person rows read by index and by slice alike (the dashboard's paginator takes a slice).
    assert [figures(row) for row in table.by_person[1:3]] == [figures(table.by_person[1]), figures(table.by_person[2])]
    assert len(table.by_person) == 4 and isinstance(table.by_person[-1], CompletionRow)
