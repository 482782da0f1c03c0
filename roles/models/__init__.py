from .checklists import ChecklistItem, DutyAssignment, DutyTemplate, Holiday
from .org import MONEY, Department, Employee, EmployeeQuerySet, Role

__all__ = [
    "MONEY",
    "ChecklistItem",
    "Department",
    "DutyAssignment",
    "DutyTemplate",
    "Employee",
    "EmployeeQuerySet",
    "Holiday",
    "Role",
]
