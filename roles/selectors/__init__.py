"""Reads of the roles app: the org chart (org) and the duty checklists (checklists)."""

from .checklists import (
    checklist_completion_rates,
    completion_by,
    completion_table,
    daily_completion,
    items_visible_to,
    my_checklist,
    my_checklist_items,
    on_demand_duties,
    overdue_items,
    period_range,
    person_history,
    startable_duties,
)
from .org import (
    DepartmentBranch,
    RoleSeat,
    employees_visible_to,
    org_chart,
    role_seat,
    roles_with_counts,
    search_employees,
    with_id_number,
)

__all__ = [
    "DepartmentBranch",
    "RoleSeat",
    "checklist_completion_rates",
    "completion_by",
    "completion_table",
    "daily_completion",
    "employees_visible_to",
    "items_visible_to",
    "my_checklist",
    "my_checklist_items",
    "on_demand_duties",
    "org_chart",
    "overdue_items",
    "period_range",
    "person_history",
    "role_seat",
    "roles_with_counts",
    "search_employees",
    "startable_duties",
    "with_id_number",
]
