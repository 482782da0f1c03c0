"""Who may do what in the payroll. Every page and endpoint of `payroll` names one of these rules.

| rule                     | who                                                         |
|--------------------------|-------------------------------------------------------------|
| can_view_own_payslips    | any signed-in user with an employee record (their own only) |
| can_view_all_payslips    | Manager, Finance                                            |
| can_run_payroll          | Finance: start, approve, mark paid, export, sales figures  |
| can_enter_adjustments    | Manager: bonuses, penalties, corrections, attendance import |
| can_enter_attendance     | Manager, Finance                                            |
| can_edit_structures      | Manager: structures, formulas, what-if, pay profiles        |
| can_view_payroll_inputs  | Manager, Finance                                            |

Superusers pass every rule. Full bank account numbers leave the server only in Finance's export.
"""

from __future__ import annotations

from rest_framework import permissions

from roles.choices import AccessGroup
from roles.permissions import in_group


def can_view_own_payslips(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def can_view_all_payslips(user) -> bool:
    return in_group(user, AccessGroup.MANAGER, AccessGroup.FINANCE)


def can_run_payroll(user) -> bool:
    return in_group(user, AccessGroup.FINANCE)


def can_enter_adjustments(user) -> bool:
    return in_group(user, AccessGroup.MANAGER)


def can_enter_attendance(user) -> bool:
    return in_group(user, AccessGroup.MANAGER, AccessGroup.FINANCE)


def can_edit_structures(user) -> bool:
    return in_group(user, AccessGroup.MANAGER)


def can_view_payroll_inputs(user) -> bool:
    return in_group(user, AccessGroup.MANAGER, AccessGroup.FINANCE)


def can_view_payslip(user, payslip) -> bool:
    return can_view_all_payslips(user) or (
        getattr(user, "is_authenticated", False) and payslip.employee.user_id == user.pk
    )


class Rule(permissions.BasePermission):
    """API: reads need `read_rule`, writes `write_rule` (both rules of this module)."""

    read_rule = staticmethod(can_view_payroll_inputs)
    write_rule = staticmethod(can_run_payroll)

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return self.read_rule(request.user)
        return self.write_rule(request.user)


def rule(read, write) -> type[Rule]:
    return type(
        f"Rule_{read.__name__}_{write.__name__}",
        (Rule,),
        {"read_rule": staticmethod(read), "write_rule": staticmethod(write)},
    )
