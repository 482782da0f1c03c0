from .checklists import ChecklistDaySummary, ChecklistItem, DutyAssignment, DutyTemplate, Holiday
from .org import MONEY, Department, Employee, EmployeeQuerySet, Role

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
