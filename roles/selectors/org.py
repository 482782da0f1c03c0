"""Reads of the org chart, shaped for pages and the API with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from shop_ops.encryption import digest, normalise_number
from shop_ops.numbers import is_ascii_whole_number

from ..choices import EmployeeStatus
from ..models import Department, Employee, Role

# An employee's fields stored encrypted: never read (nor decrypted) just to show who did something.
EMPLOYEE_SECRETS = ("bank_account", "id_number")


def with_names(queryset: QuerySet, *user_fields: str) -> QuerySet:
    """`queryset` with the employee of each login it names (created_by, entered_by...) read in the same query, so
    |person shows people's names without a query per row; their encrypted numbers are left unread."""
    related = [f"{name}__employee" for name in user_fields]
    return queryset.select_related(*related).defer(
        *(f"{path}__{secret}" for path in related for secret in EMPLOYEE_SECRETS)
    )


@dataclass
class RoleSeat:
    role: Role
    people: list[Employee]
    filled: int
    vacancies: int
    over: int


@dataclass
class DepartmentBranch:
    department: Department
    seats: list[RoleSeat] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return sum(seat.role.headcount for seat in self.seats)

    @property
    def filled(self) -> int:
        return sum(seat.filled for seat in self.seats)

    @property
    def vacancies(self) -> int:
        return sum(seat.vacancies for seat in self.seats)


def _current_people() -> Prefetch:
    return Prefetch(
        "employees",
        queryset=Employee.objects.current()
        .without_personal_numbers()
        .select_related("user")
        .order_by("employee_number"),
        to_attr="current_people",
    )


def _seat(role: Role) -> RoleSeat:
    people = role.current_people
    filled = len(people)
    return RoleSeat(
        role=role,
        people=people,
        filled=filled,
        vacancies=max(role.headcount - filled, 0),
        over=max(filled - role.headcount, 0),
    )


def org_chart(*, department: Department | None = None) -> list[DepartmentBranch]:
    """Departments → roles → current people, with planned and filled headcount; three queries in all."""
    departments = Department.objects.prefetch_related(
        Prefetch(
            "roles",
            queryset=Role.objects.select_related("reports_to").prefetch_related(_current_people()),
        )
    )
    if department is not None:
        departments = departments.filter(pk=department.pk)
    return [DepartmentBranch(department=dept, seats=[_seat(role) for role in dept.roles.all()]) for dept in departments]


def role_seat(*, role: Role) -> RoleSeat:
    role = Role.objects.select_related("department", "reports_to").prefetch_related(_current_people()).get(pk=role.pk)
    return _seat(role)


def roles_with_counts() -> QuerySet[Role]:
    return Role.objects.select_related("department", "reports_to").annotate(
        filled=Count("employees", filter=~Q(employees__status=EmployeeStatus.LEFT))
    )


def employees_visible_to(*, user) -> QuerySet[Employee]:
    """All employees for managers and finance; only their own record for everyone else."""
    from ..permissions import can_view_all_employees

    employees = Employee.objects.select_related("user", "role", "role__department")
    if can_view_all_employees(user):
        return employees
    return employees.filter(user_id=user.pk)


def looks_like_id_number(text: str) -> bool:
    """A whole ID number (18 characters once spaces, hyphens and full-width digits are normalised)."""
    text = normalise_number(text)
    return len(text) == 18 and is_ascii_whole_number(text[:17]) and text[17] in "0123456789X"


def with_id_number(*, queryset: QuerySet[Employee], id_number: str) -> QuerySet[Employee]:
    """Employees whose ID number is exactly `id_number` (spaces, hyphens and a small x allowed), found through its
    keyed hash: the stored number is encrypted, and a part of a number finds nothing on purpose."""
    wanted = digest(id_number)
    return queryset.filter(id_number_digest=wanted) if wanted else queryset.none()


def search_employees(*, queryset: QuerySet[Employee], text: str) -> QuerySet[Employee]:
    """Name, employee number, login or role title by substring. Never by ID number: the search text travels in the
    page address, so a whole ID number is looked up by `with_id_number` from a request body instead."""
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(full_name__icontains=text)
        | Q(employee_number__icontains=text)
        | Q(user__username__icontains=text)
        | Q(role__title_zh__icontains=text)
        | Q(role__title_en__icontains=text)
    )
