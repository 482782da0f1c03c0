"""Who may do what with the org chart. Every page and endpoint of `roles` names one of these rules.

| rule                    | who                                  |
|-------------------------|--------------------------------------|
| can_view_org            | any signed-in user                   |
| can_manage_org          | Manager (and superusers)             |
| can_view_all_employees  | Manager, Finance (and superusers)    |
| can_view_employee       | the above, or the employee themself  |
| can_grant_access_group  | Staff, Warehouse: Manager (and       |
|                         | superusers); Finance, Manager:       |
|                         | superusers only                      |
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import AccessMixin
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from rest_framework import permissions

from .choices import AccessGroup


def group_names(user) -> frozenset[str]:
    """The user's group names, read once per request object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_shopops_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._shopops_group_names = cached
    return cached


def in_group(user, *groups: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or bool(group_names(user) & set(groups))


def can_view_org(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def can_manage_org(user) -> bool:
    return in_group(user, AccessGroup.MANAGER)


def can_view_all_employees(user) -> bool:
    return in_group(user, AccessGroup.MANAGER, AccessGroup.FINANCE)


def can_view_employee(user, employee) -> bool:
    return can_view_all_employees(user) or (getattr(user, "is_authenticated", False) and employee.user_id == user.pk)


# Finance approves payroll and downloads full bank accounts; Manager changes the org chart and everyone's records.
# Rights a manager could otherwise give to a login of their own making, or to themselves.
PRIVILEGED_ACCESS_GROUPS = frozenset({AccessGroup.FINANCE, AccessGroup.MANAGER})


class _Operator:
    """The person at the server's command line (load_demo, a restore): trusted with every grant."""

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = _Operator()


def can_grant_access_group(user, group: str) -> bool:
    """Who may give a login an access group: by a new login in a role, by moving a person into a role, by
    bringing a leaver back, or by changing a role's access group. Finance and Manager rights need a superuser
    (separation of duties: a manager cannot make an accountant or another manager); Staff and Warehouse rights
    are the managers' to give. The one rule every such service checks."""
    if user is OPERATOR:
        return True
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if group in PRIVILEGED_ACCESS_GROUPS:
        return user.is_superuser
    return can_manage_org(user)


def is_own_pay(user, *, employee=None, role=None) -> bool:
    """Whether `user` would be entering or changing their own pay: an input about their own employee record, or
    the pay grade or salary structure of the role they hold. A login without an employee record (a superuser, the
    operator, a service called with no user) is paid by nobody here and is never refused."""
    own = getattr(user, "employee", None) if getattr(user, "is_authenticated", False) else None
    if own is None:
        return False
    if employee is not None and employee.pk == own.pk:
        return True
    return role is not None and role.pk is not None and role.pk == own.role_id


class RuleRequiredMixin(AccessMixin):
    """Page access by rule: anonymous users go to the login page, signed-in users without the right go home
    with a message saying so."""

    rule = staticmethod(can_view_org)

    def has_access(self) -> bool:
        return self.rule(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.has_access():
            messages.error(request, _("You do not have permission to open that page."))
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)


class ManageOrgOrReadOnly(permissions.BasePermission):
    """API: any signed-in user may read departments and roles; only managers may change them."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return can_view_org(request.user)
        return can_manage_org(request.user)


class EmployeeAccess(permissions.BasePermission):
    """API: managers change employees; finance reads all; everyone else reads only their own record."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_manage_org(request.user)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return can_view_employee(request.user, obj)
        return can_manage_org(request.user)


# Checklists
# | rule                      | who                                                   |
# |---------------------------|-------------------------------------------------------|
# | can_manage_checklists     | Manager: duties, assignments, holidays, ad-hoc tasks, dashboard |
# | has_checklist             | anyone linked to an employee record (My checklist)    |
# | can_view_history_of       | Manager, or the employee themself                     |


def can_manage_checklists(user) -> bool:
    return in_group(user, AccessGroup.MANAGER)


def has_checklist(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and hasattr(user, "employee")


# Where each person's day starts: the `/` page sends them there after signing in. The first that fits wins, the
# broadest responsibility first (a manager who also keeps the books starts on the dashboard); the top bar and the
# start pages' links reach the rest. Each condition is the access rule of the page it names (Manager: the checklist
# dashboard; Finance: payroll.permissions.can_run_payroll; Warehouse: inventory.permissions.can_operate_stock), so a
# start page never refuses the person sent to it. URL names only: roles imports neither payroll nor inventory.
START_PAGES = (
    (AccessGroup.MANAGER, "roles:checklist-dashboard"),
    (AccessGroup.FINANCE, "payroll:waiting"),
    (AccessGroup.WAREHOUSE, "inventory:queue"),
)


def start_page(user) -> str | None:
    """The URL name of `user`'s start page; None for a login with no group and no employee record (they get the
    general home page)."""
    for group, url_name in START_PAGES:
        if in_group(user, group):
            return url_name
    return "roles:my-checklist" if has_checklist(user) else None


def can_view_history_of(user, employee) -> bool:
    return can_manage_checklists(user) or (getattr(user, "is_authenticated", False) and employee.user_id == user.pk)


class ManageChecklistsOrReadOnly(permissions.BasePermission):
    """API: duties and the holiday calendar are readable by any signed-in user, changed by managers."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return can_manage_checklists(request.user)


class ManageChecklists(permissions.BasePermission):
    """API: managers only (assignments, statistics of everyone)."""

    def has_permission(self, request, view):
        return can_manage_checklists(request.user)


def can_view_audit(user) -> bool:
    """The audit trail (who changed what): Finance and managers."""
    return in_group(user, AccessGroup.MANAGER, AccessGroup.FINANCE)
