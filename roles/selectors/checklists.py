"""Reads of the duty checklists: a person's checklist, completion figures, overdue lists.

Completion rate = items due in the period (up to today) that were done by their due date ÷ items due in the
period. It is the figure other modules read (payroll's KPI bonus) through `checklist_completion_rates`.
A missed item (roles/cadence.py) counts as due and not done; it is not overdue.
Figures come from ChecklistDaySummary (one row per person and day), which the services keep in step with items.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from shop_ops.prepared import PreparedQuery

from ..choices import Cadence, ItemKind, ItemStatus, Period
from ..models import ChecklistDaySummary, ChecklistItem, DutyTemplate, Employee

RATE_PLACES = Decimal("0.0001")


# Who ticked an item is shown by name (|person): their encrypted numbers are never read with it.
DONE_BY_SECRETS = ("done_by__employee__bank_account", "done_by__employee__id_number")


def period_range(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar days of 'today', 'this week' (Monday to Sunday) or 'this month' around `today`."""
    if period == Period.WEEK:
        start = today - datetime.timedelta(days=today.isoweekday() - 1)
        return start, start + datetime.timedelta(days=6)
    if period == Period.MONTH:
        return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return today, today


def whole_percent(part, whole=1) -> int | None:
    """The one rounding rule for every percentage the checklists show: part / whole as a whole percent, rounded
    half up (11/14 = 78.57 -> 79; 0.785 -> 79). None when there is nothing to divide by."""
    if part is None or not whole:
        return None
    return int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rate(done: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(done) / Decimal(total)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _days_due(start: datetime.date, end: datetime.date, today: datetime.date) -> QuerySet[ChecklistDaySummary]:
    # Items not yet due do not count against anyone.
    return ChecklistDaySummary.objects.filter(due_date__gte=start, due_date__lte=min(end, today))


def _figures(today: datetime.date) -> dict:
    # Named apart from the summary's own fields, which F() below refers to.
    return {
        "all_items": Sum("total"),
        "done_items": Sum("done"),
        "on_time_items": Sum("on_time"),
        "overdue_items": Sum(F("total") - F("done") - F("missed"), filter=Q(due_date__lt=today)),
        "missed_items": Sum("missed"),
    }


def checklist_completion_rates(
    *, start: datetime.date, end: datetime.date, employee_ids: Iterable[int] | None = None, today=None
) -> dict[int, Decimal]:
    """Per employee id: the share of items due in [start, end] done by their due date, a Decimal in [0, 1] to
    4 places (half up). Employees with nothing due in the period are absent. One query."""
    from django.utils import timezone

    today = today or timezone.localdate()
    days = _days_due(start, end, today)
    if employee_ids is not None:
        days = days.filter(employee_id__in=list(employee_ids))
    rows = days.values("employee_id").annotate(**_figures(today)).order_by()
    return {row["employee_id"]: rate(row["on_time_items"], row["all_items"]) for row in rows if row["all_items"]}


@dataclass
class CompletionRow:
    key: object
    label: str
    total: int
    done: int
    on_time: int
    overdue: int
    missed: int = 0

    @property
    def rate(self) -> Decimal | None:
        return rate(self.done, self.total)

    @property
    def on_time_rate(self) -> Decimal | None:
        return rate(self.on_time, self.total)

    @property
    def percent(self) -> int:
        return whole_percent(self.done, self.total) or 0

    @property
    def on_time_percent(self) -> int | None:
        return whole_percent(self.on_time, self.total)

    def add(self, total: int, done: int, on_time: int, overdue: int, missed: int = 0) -> None:
        self.total += total
        self.done += done
        self.on_time += on_time
        self.overdue += overdue
        self.missed += missed


GROUPINGS = ("department", "role", "employee")


@dataclass
class CompletionTable:
    overall: CompletionRow
    by_department: list[CompletionRow]
    by_role: list[CompletionRow]
    by_person: Sequence[CompletionRow]

    def rows(self, group_by: str) -> list[CompletionRow]:
        return {"department": self.by_department, "role": self.by_role, "employee": self.by_person}[group_by]


# Who a row of the dashboard is about: name, number, role and department (each name in both languages).
_PERSON_FIELDS = (
    "employee_id",
    "employee__full_name",
    "employee__employee_number",
    "employee__role_id",
    "employee__role__title_zh",
    "employee__role__title_en",
    "employee__role__department_id",
    "employee__role__department__name_zh",
    "employee__role__department__name_en",
)


def _people_figures(start: datetime.date, last: datetime.date, today: datetime.date):
    """Per person with items due in [start, last]: the person fields and the summed figures."""
    return _days_due(start, last, today).values_list(*_PERSON_FIELDS).annotate(**_figures(today)).order_by()


def _overdue_by_person(today: datetime.date):
    """Per person with open items past their due date: the same person fields and how many such items."""
    return ChecklistItem.objects.overdue(today).values_list(*_PERSON_FIELDS).annotate(overdue=Count("id")).order_by()


# The managers' dashboard runs this on every view: compiled once per process.
_PEOPLE_FIGURES = PreparedQuery(_people_figures, datetime.date, datetime.date, datetime.date)


def completion_table(
    *, start: datetime.date, end: datetime.date, today: datetime.date, department_id: int | None = None
) -> CompletionTable:
    """Completion overall and by department, role and person, in one query whatever the size.

    The day summaries are summed per employee in the database; the roll-up to roles and departments happens
    here over at most one row per employee.
    """
    from django.utils.translation import get_language

    # "Overdue" is one thing on the whole dashboard: open items past their due date now, whatever the period (the
    # card and the list below count the same items), so a person with overdue items shows even with none due.
    people = {
        row[0]: [*row[:9], *(value or 0 for value in row[9:12]), 0, row[13] or 0]
        for row in _PEOPLE_FIGURES.rows(start, min(end, today), today)
    }
    for *info, overdue in _overdue_by_person(today):
        people.setdefault(info[0], [*info, 0, 0, 0, 0, 0])[12] = overdue
    chinese = (get_language() or "zh").startswith("zh")
    # One sum per person, into their role; departments and the overall figure are summed from the roles (a few
    # dozen), and a person's own row is made only when a page shows it.
    role_sums: dict[int, list] = {}
    people_shown: list[tuple] = []
    for pk, name, number, role_id, role_zh, role_en, dept_id, dept_zh, dept_en, *counts in people.values():
        if not counts[0] and not counts[3]:
            continue
        sums = role_sums.get(role_id)
        if sums is None:
            label = (role_zh if chinese else role_en) or role_zh
            sums = role_sums[role_id] = [dept_id, (dept_zh if chinese else dept_en) or dept_zh, label, 0, 0, 0, 0, 0]
        sums[3] += counts[0]
        sums[4] += counts[1]
        sums[5] += counts[2]
        sums[6] += counts[3]
        sums[7] += counts[4]
        if not department_id or dept_id == department_id:
            people_shown.append((f"{name} ({number})", str(pk), pk, counts))
    overall = CompletionRow(None, "", 0, 0, 0, 0)
    departments: dict[int, CompletionRow] = {}
    roles: list[CompletionRow] = []
    for role_id, (dept_id, dept_label, label, *counts) in role_sums.items():
        department = departments.get(dept_id)
        if department is None:
            department = departments[dept_id] = CompletionRow(dept_id, dept_label, 0, 0, 0, 0)
        department.add(*counts)
        if department_id and dept_id != department_id:
            continue
        overall.add(*counts)
        roles.append(CompletionRow(role_id, label, *counts))
    people_shown.sort(key=lambda person: person[:2])

    def by_label(rows):
        return sorted(rows, key=lambda row: (row.label, str(row.key)))

    return CompletionTable(overall, by_label(departments.values()), by_label(roles), PersonRows(people_shown))


class PersonRows(Sequence):
    """The per-person rows, sorted, each made into a CompletionRow only when read: the dashboard shows 50 a page."""

    def __init__(self, people: list[tuple]):
        self._people = people

    def __len__(self) -> int:
        return len(self._people)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [CompletionRow(pk, label, *counts) for label, _, pk, counts in self._people[index]]
        label, _, pk, counts = self._people[index]
        return CompletionRow(pk, label, *counts)


def completion_by(
    *, group_by: str, start: datetime.date, end: datetime.date, today: datetime.date, department_id=None
) -> list[CompletionRow]:
    """The completion rows of one grouping ('department', 'role' or 'employee')."""
    if group_by not in GROUPINGS:
        raise ValueError(f"Unknown grouping {group_by!r}")
    return completion_table(start=start, end=end, today=today, department_id=department_id).rows(group_by)


def overdue_items(*, today: datetime.date, department_id=None) -> QuerySet[ChecklistItem]:
    """Open items past their due date, oldest first, with what the dashboard's list shows (title, person,
    department) and nothing more."""
    items = (
        ChecklistItem.objects.overdue(today)
        .select_related("employee", "employee__role__department")
        .only(
            "due_date",
            "title_zh",
            "title_en",
            "employee__full_name",
            "employee__role__department__name_zh",
            "employee__role__department__name_en",
        )
    )
    if department_id:
        items = items.filter(employee__role__department_id=department_id)
    return items.order_by("due_date", "employee__full_name", "id")


def my_checklist(*, employee: Employee | int, today: datetime.date) -> QuerySet[ChecklistItem]:
    """Today's items, everything still open from before (overdue), open one-off tasks, and what was done today."""
    return (
        ChecklistItem.objects.filter(employee=employee)
        .filter(
            Q(due_date=today)
            | Q(status=ItemStatus.OPEN, due_date__lt=today)
            | Q(status=ItemStatus.OPEN, kind__in=[ItemKind.AD_HOC, ItemKind.ON_DEMAND], period_start__lte=today)
            | Q(done_on=today)
        )
        .select_related("done_by__employee", "duty")
        .defer(*DONE_BY_SECRETS)
        .order_by("due_date", "duty__sort_order", "id")
    )


# "My checklist" is the page staff open most (on their phones, all day): its two queries are compiled once.
_MY_CHECKLIST = PreparedQuery(
    lambda employee_id, today: my_checklist(employee=employee_id, today=today), int, datetime.date
)


def startable_duties(*, employee_id: int, role_id: int, today: datetime.date) -> QuerySet[DutyTemplate]:
    """The on-demand duties a person may start (by themself, or a manager for them): active ones of their own role,
    or of a duty they are assigned to today. The one definition: the page lists these and the service refuses
    any other, so nobody adds items of other roles' duties to their own checklist."""
    assigned = Q(
        assignments__employee_id=employee_id,
        assignments__valid_from__lte=today,
    ) & (Q(assignments__valid_to__isnull=True) | Q(assignments__valid_to__gte=today))
    return (
        DutyTemplate.objects.filter(cadence=Cadence.ON_DEMAND, is_active=True)
        .filter(Q(role_id=role_id) | assigned)
        .distinct()
        .order_by("sort_order", "id")
    )


_ON_DEMAND_DUTIES = PreparedQuery(
    lambda employee_id, role_id, today: startable_duties(employee_id=employee_id, role_id=role_id, today=today),
    int,
    int,
    datetime.date,
)


def my_checklist_items(*, employee: Employee, today: datetime.date) -> list[ChecklistItem]:
    """`my_checklist` as a list, with its SQL compiled once per process."""
    return _MY_CHECKLIST.objects(employee.pk, today)


def my_checklist_progress(*, employee: Employee, today: datetime.date) -> dict[str, int]:
    """How many of the items on a person's checklist are done: `done_count` and `total`. Duties a person started
    themself are on the list but not counted, as in the completion rate (the dashboard's figures)."""
    items = [item for item in my_checklist_items(employee=employee, today=today) if not item.self_assigned]
    return {"done_count": sum(1 for item in items if item.status == ItemStatus.DONE), "total": len(items)}


def on_demand_duties(*, employee: Employee, today: datetime.date) -> list[DutyTemplate]:
    """`startable_duties` of a person as a list (a person starts one when it is needed), in the role's order."""
    return _ON_DEMAND_DUTIES.objects(employee.pk, employee.role_id, today)


def person_history(*, employee: Employee, start: datetime.date, end: datetime.date) -> QuerySet[ChecklistItem]:
    return (
        ChecklistItem.objects.filter(employee=employee, due_date__gte=start, due_date__lte=end)
        .select_related("done_by__employee")
        .defer(*DONE_BY_SECRETS)
        .order_by("-due_date", "id")
    )


def daily_completion(*, employee: Employee, start: datetime.date, end: datetime.date, today: datetime.date):
    """Per due day: total and done, for a person's history chart; one query."""
    rows = _days_due(start, end, today).filter(employee=employee, total__gt=0).order_by("due_date")
    return [CompletionRow(row.due_date, str(row.due_date), row.total, row.done, row.on_time, 0) for row in rows]


def items_visible_to(*, user) -> QuerySet[ChecklistItem]:
    """Managers see every item; everyone else only their own."""
    from ..permissions import can_manage_org

    items = ChecklistItem.objects.select_related("employee", "employee__role", "done_by__employee").defer(
        "employee__bank_account",
        "employee__id_number",  # never shown with a checklist item; not decrypted
        *DONE_BY_SECRETS,
    )
    if can_manage_org(user):
        return items
    return items.filter(employee__user_id=user.pk)
