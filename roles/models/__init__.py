from .audit import register_user_history
from .checklists import ChecklistDaySummary, ChecklistItem, DutyAssignment, DutyTemplate, Holiday
from .org import MONEY, Department, Employee, EmployeeQuerySet, Role

# Logins and their group membership (who may do what) are audited as well; password hashes and login times are not.
register_user_history()

__all__ = [
    "MONEY",
    "ChecklistDaySummary",
    "ChecklistItem",
    "Department",
    "DutyAssignment",
    "DutyTemplate",
    "Employee",
    "EmployeeQuerySet",
    "Holiday",
    "Role",
]
