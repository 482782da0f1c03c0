"""Every write to the org chart goes through these functions: they hold the rules, views and the API call them."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop_ops.deletion import delete_record
from shop_ops.encryption import digest

from ..choices import AccessGroup, EmployeeStatus
from ..exceptions import GrantRefused, OrgConflict, OwnPayRefused, RightsRemovalRefused
from ..logins import clean_login_name
from ..models import Department, Employee, Role
from ..permissions import OPERATOR, PRIVILEGED_ACCESS_GROUPS, can_grant_access_group, is_own_pay
from ..validators import check_date_window, years_from

DEPARTMENT_FIELDS = {"code", "name_zh", "name_en", "description_zh", "description_en", "sort_order"}
ROLE_FIELDS = {
    "department",
    "code",
    "title_zh",
    "title_en",
    "headcount",
    "reports_to",
    "pay_grade_min",
    "pay_grade_max",
    "access_group",
    "sort_order",
    "source",
}
EMPLOYEE_FIELDS = {
    "employee_number",
    "full_name",
    "role",
    "hire_date",
    "leave_date",
    "status",
    "phone",
    "bank_account",
    "id_number",
}
# The fields of an employee record that payroll reads (`payroll.calculation`: the role, and with it the department
# and the pay grade, and the dates that say which days of a month are paid); the status goes with the leave date.
PAY_FIELDS = ("role", "hire_date", "leave_date", "status", "full_name")


def _assign(instance, allowed: set[str], values: dict[str, Any]) -> None:
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"Unknown fields for {type(instance).__name__}: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(instance, name, value)


@transaction.atomic
def save_department(*, department: Department | None = None, **values: Any) -> Department:
    """Create a department, or change one; validated against every model rule before it is written."""
    department = department or Department()
    _assign(department, DEPARTMENT_FIELDS, values)
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def delete_department(*, department: Department) -> None:
    """Delete an empty department; one that still holds roles is refused."""
    if department.roles.exists():
        raise OrgConflict(_("This department still has roles; move or delete them first."))
    delete_record(department)


def _check_reporting_line(role: Role) -> None:
    seen = {role.pk} if role.pk else set()
    boss = role.reports_to
    while boss is not None:
        if boss.pk in seen:
            raise ValidationError({"reports_to": _("This reporting line would go round in a circle.")})
        seen.add(boss.pk)
        boss = boss.reports_to


def check_may_grant(*, by, group: str, field: str, role: Role) -> None:
    """Refuse (GrantRefused, 403) when `by` may not give `group` rights; the rule is
    `roles.permissions.can_grant_access_group`, and every service that gives rights comes through here."""
    if not can_grant_access_group(by, group):
        raise GrantRefused(
            _(
                "Only a superuser can give %(group)s rights; the role “%(role)s” carries them. Ask an administrator, "
                "or choose a role with Staff or Warehouse rights."
            )
            % {"group": AccessGroup(group).label, "role": role.title or role.code},
            field=field,
        )


def check_not_own_pay(*, by, employee: Employee | None = None, role: Role | None = None, field: str | None = None):
    """Refuse (OwnPayRefused, 403) when `by` would enter or change their own pay (`roles.permissions.is_own_pay`):
    every payroll input about a person, and a role's pay grade and salary structure, come through here."""
    if is_own_pay(by, employee=employee, role=role):
        raise OwnPayRefused(_("You cannot enter or change your own pay; another manager or finance must."), field=field)


@transaction.atomic
def save_role(*, role: Role | None = None, by, **values: Any) -> Role:
    """Create or change a role; a reporting line that loops back on itself is refused, and so is giving the role
    Finance or Manager rights without being a superuser (`by` is the user making the change)."""
    role = role or Role()
    # Read from the database, not the instance: a ModelForm has already written the new values onto it.
    old = Role.objects.select_for_update().filter(pk=role.pk).values("access_group", "pay_grade_min", "pay_grade_max")
    old = old.first() or {}
    old_group = old.get("access_group")
    _assign(role, ROLE_FIELDS, values)
    for name in ("pay_grade_min", "pay_grade_max"):
        if old and old[name] != getattr(role, name):
            check_not_own_pay(by=by, role=role, field=name)
    if role.pay_grade_min is not None and role.pay_grade_max is not None and role.pay_grade_min > role.pay_grade_max:
        raise ValidationError({"pay_grade_max": _("The maximum must not be below the minimum.")})
    role.full_clean()
    _check_reporting_line(role)
    if role.access_group != old_group:
        check_may_grant(by=by, group=role.access_group, field="access_group", role=role)
        _check_role_take_away(by=by, role=role, old_group=old_group)
    role.save()
    if old_group is not None and old_group != role.access_group:
        for employee in role.employees.select_related("user"):
            _sync_access_group(employee)
    return role


def _check_role_take_away(*, by, role: Role, old_group: str | None) -> None:
    """Changing the access group of a Finance or Manager role takes the rights from everyone in it: a superuser's
    change, and never from the last active holders of Finance rights."""
    if old_group not in PRIVILEGED_ACCESS_GROUPS:
        return
    holders = list(role.employees.exclude(status=EmployeeStatus.LEFT).filter(user__is_active=True))
    if not holders:
        return
    if by is not OPERATOR and not getattr(by, "is_superuser", False):
        raise RightsRemovalRefused(
            _("Only a superuser can take %(group)s rights away from someone; the people in “%(role)s” would lose them.")
            % {"group": AccessGroup(old_group).label, "role": role.title or role.code},
            field="access_group",
        )
    if old_group == AccessGroup.FINANCE and not _other_finance_holders(exclude_user_ids={e.user_id for e in holders}):
        raise RightsRemovalRefused(
            _(
                "The people in “%(role)s” are the last active logins with Finance rights; give someone else Finance "
                "rights first."
            )
            % {"role": role.title or role.code},
            field="access_group",
        )


@transaction.atomic
def delete_role(*, role: Role) -> None:
    """Delete a role nobody holds, not even a former employee (their history points at it)."""
    if role.employees.exists():
        raise OrgConflict(_("People hold or held this role; it cannot be deleted. Reduce its headcount instead."))
    delete_record(role)


def ensure_access_groups() -> list[Group]:
    """The four access groups (a migration creates them; this restores them after a database flush)."""
    return [Group.objects.get_or_create(name=name)[0] for name in AccessGroup.values]


def _sync_access_group(employee: Employee) -> None:
    """The user's access group follows their role; other access groups are removed."""
    user = employee.user
    access_groups = ensure_access_groups()
    user.groups.remove(*[g for g in access_groups if g.name != employee.role.access_group])
    if employee.status != EmployeeStatus.LEFT:
        user.groups.add(*[g for g in access_groups if g.name == employee.role.access_group])
    user.is_active = employee.status != EmployeeStatus.LEFT
    user.save(update_fields=["is_active"])


def _rights_after(employee: Employee) -> str | None:
    """The access group an employee's login holds: their role's, none once they have left."""
    return None if employee.status == EmployeeStatus.LEFT else employee.role.access_group


def _check_dates(employee: Employee) -> None:
    """Hire and leave dates lie within the last 100 years and the next one; someone marked as left has left by
    today (a leaver with a leave date in the future would stay on every payroll until then)."""
    today = timezone.localdate()
    for field in ("hire_date", "leave_date"):
        check_date_window(
            getattr(employee, field), field=field, earliest=years_from(today, -100), latest=years_from(today, 1)
        )
    if employee.status == EmployeeStatus.LEFT and employee.leave_date is not None and employee.leave_date > today:
        raise ValidationError(
            {
                "leave_date": _(
                    "Someone who has left has a leave date of today or earlier; record the leaving on the day, or "
                    "keep them active until then."
                )
            }
        )


def _check_bank_account_unused(employee: Employee) -> None:
    """A salary is paid into one person's account: an account already held by another employee who has not left
    is refused (a "ghost" employee paid into a colleague's or the manager's own account). Compared by the keyed hash
    of the normalised number (spaces, hyphens, full-width digits do not make a different account)."""
    wanted = digest(employee.bank_account or "")
    if not wanted or employee.status == EmployeeStatus.LEFT:
        return
    holder = (
        Employee.objects.current()
        .filter(bank_account_digest=wanted)
        .exclude(pk=employee.pk)
        .order_by("employee_number")
        .values_list("employee_number", flat=True)
        .first()
    )
    if holder is not None:
        raise ValidationError(
            {"bank_account": _("This bank account is already used by employee %(number)s.") % {"number": holder}}
        )


def check_may_take_away(*, by, employee: Employee, before: str | None, after: str | None) -> None:
    """Taking Finance or Manager rights from someone else (a move to a role of another access group, marking them
    left, which disables the login) needs a superuser, like giving them (separation of duties); and the last active
    holder of Finance rights never loses them (payroll could not be approved)."""
    if before not in PRIVILEGED_ACCESS_GROUPS or after == before:
        return
    is_self = getattr(by, "pk", None) is not None and employee.user_id == by.pk
    if by is not OPERATOR and not is_self and not getattr(by, "is_superuser", False):
        raise RightsRemovalRefused(
            _(
                "Only a superuser can take %(group)s rights away from someone; %(person)s would lose them. Ask an "
                "administrator."
            )
            % {"group": AccessGroup(before).label, "person": employee.full_name},
            field="role",
        )
    if before == AccessGroup.FINANCE and not _other_finance_holders(exclude_user_ids={employee.user_id}):
        raise RightsRemovalRefused(
            _(
                "%(person)s is the last active login with Finance rights; give someone else Finance rights first, "
                "or payroll could not be approved."
            )
            % {"person": employee.full_name},
            field="role",
        )


def _other_finance_holders(*, exclude_user_ids: set[int]) -> bool:
    """Whether an active employee login other than those excluded holds Finance rights through their role."""
    return (
        Employee.objects.exclude(status=EmployeeStatus.LEFT)
        .filter(role__access_group=AccessGroup.FINANCE, user__is_active=True)
        .exclude(user_id__in=exclude_user_ids)
        .exists()
    )


def _lock_role(employee: Employee) -> None:
    """Read the employee's role afresh under a row lock, so the rights checked are the rights given even while a
    superuser changes the role's access group at the same moment (`save_role` takes the same lock)."""
    if employee.role_id is not None:
        employee.role = Role.objects.select_for_update().get(pk=employee.role_id)


@transaction.atomic
def create_employee(*, username: str, password: str, by, **values: Any) -> Employee:
    """Create an employee with their login; the login gets the access group of the role, which `by` must be
    allowed to give. The login name is cleaned to its normal form and may not look like an existing one."""
    User = get_user_model()
    try:
        username = clean_login_name(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    user = User(username=username, first_name=values.get("full_name", "")[:150])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    employee = Employee(user=user)
    _assign(employee, EMPLOYEE_FIELDS, values)
    _check_dates(employee)
    _lock_role(employee)
    # The role's rights, even for a person entered as already gone: a dormant Finance login whose password a
    # manager chose is one rehire away from Finance rights.
    if employee.role_id is not None:
        check_may_grant(by=by, group=employee.role.access_group, field="role", role=employee.role)
    _check_bank_account_unused(employee)
    employee.full_clean()
    employee.save()
    _sync_access_group(employee)
    return employee


@transaction.atomic
def update_employee(*, employee: Employee, by, **values: Any) -> Employee:
    """Change an employee; a new role brings its access group (which `by` must be allowed to give, as must a
    leaver brought back), leaving the shop disables the login. Nobody changes the fields of their own record that
    payroll reads (`PAY_FIELDS`): that is their own pay."""
    employee = Employee.objects.select_for_update().select_related("user", "role").get(pk=employee.pk)
    before = _rights_after(employee) if employee.user.is_active else None
    old_pay = _pay_values(employee)
    account_before, was_left = digest(employee.bank_account or ""), employee.status == EmployeeStatus.LEFT
    _assign(employee, EMPLOYEE_FIELDS, values)
    if employee.status == EmployeeStatus.LEFT and employee.leave_date is None:
        raise ValidationError({"leave_date": _("An employee who has left needs a leave date.")})
    _check_dates(employee)
    _lock_role(employee)
    after = _rights_after(employee)
    if after is not None and after != before:
        check_may_grant(by=by, group=after, field="role", role=employee.role)
    check_may_take_away(by=by, employee=employee, before=before, after=after)
    _check_pay_fields_not_own(by=by, employee=employee, old=old_pay)
    if was_left or digest(employee.bank_account or "") != account_before:
        # Only a new account (or a leaver coming back) is checked: a shared account recorded before this rule does
        # not block every other change to the two records.
        _check_bank_account_unused(employee)
    employee.full_clean()
    employee.save()
    if "full_name" in values:
        employee.user.first_name = employee.full_name[:150]
        employee.user.save(update_fields=["first_name"])
    _sync_access_group(employee)
    return employee


def _pay_values(employee: Employee) -> dict[str, Any]:
    return {name: getattr(employee, "role_id" if name == "role" else name) for name in PAY_FIELDS}


def _check_pay_fields_not_own(*, by, employee: Employee, old: dict[str, Any]) -> None:
    """A change of a field payroll reads on one's own record is a change of one's own pay (a role with a larger
    profit share, an earlier hire date...): refused like any other own-pay input, at the first field changed."""
    new = _pay_values(employee)
    for name in PAY_FIELDS:
        if new[name] != old[name]:
            if name == "full_name" and is_own_pay(by, employee=employee):
                # The name salary is paid to (户名), and the one the audit and every page show for one's actions.
                raise OwnPayRefused(
                    _("You cannot change your own name: your pay is transferred to it; another manager must."),
                    field=name,
                )
            check_not_own_pay(by=by, employee=employee, field=name)


@transaction.atomic
def record_leaving(*, employee: Employee, leave_date: datetime.date, by) -> Employee:
    """Mark an employee as left on a date; their history stays, their login stops working."""
    return update_employee(employee=employee, status=EmployeeStatus.LEFT, leave_date=leave_date, by=by)
