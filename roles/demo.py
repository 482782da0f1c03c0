"""Loading the org chart of the seed documents (fixtures/org_seed.json) into the database, idempotently."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from . import services
from .models import Department, Employee, Role
from .permissions import OPERATOR

SEED_FILE = Path(settings.BASE_DIR) / "fixtures" / "org_seed.json"


@dataclass
class DemoLogin:
    username: str
    full_name: str
    role: str
    group: str


def read_seed(path: Path = SEED_FILE) -> dict:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _changed(instance, values: dict) -> bool:
    return any(getattr(instance, name) != value for name, value in values.items())


@transaction.atomic
def load_org(*, seed: dict, password: str) -> tuple[list[DemoLogin], dict[str, int]]:
    """Create or update departments, roles and one demo employee per role; a second run changes nothing."""
    created = {"departments": 0, "roles": 0, "employees": 0, "updated": 0}
    departments: dict[str, Department] = {}
    for item in seed["departments"]:
        values = {key: item[key] for key in ("name_zh", "name_en", "description_zh", "description_en", "sort_order")}
        department = Department.objects.filter(code=item["code"]).first()
        if department is None:
            department = services.save_department(code=item["code"], **values)
            created["departments"] += 1
        elif _changed(department, values):
            department = services.save_department(department=department, **values)
            created["updated"] += 1
        departments[item["code"]] = department

    roles: dict[str, Role] = {}
    for order, item in enumerate(seed["roles"], start=1):
        values = {
            "department": departments[item["department"]],
            "title_zh": item["title_zh"],
            "title_en": item["title_en"],
            "headcount": item["headcount"],
            "pay_grade_min": Decimal(item["pay_grade_min"]),
            "pay_grade_max": Decimal(item["pay_grade_max"]),
            "access_group": item["group"],
            "sort_order": order,
            "source": item.get("source", ""),
        }
        role = Role.objects.filter(code=item["code"]).first()
        if role is None:
            role = services.save_role(code=item["code"], by=OPERATOR, **values)
            created["roles"] += 1
        elif _changed(role, values):
            role = services.save_role(role=role, by=OPERATOR, **values)
            created["updated"] += 1
        roles[item["code"]] = role
    for item in seed["roles"]:
        boss = roles.get(item["reports_to"]) if item.get("reports_to") else None
        role = roles[item["code"]]
        if role.reports_to_id != (boss.pk if boss else None):
            services.save_role(role=role, reports_to=boss, by=OPERATOR)

    logins = []
    User = get_user_model()
    for item in seed["demo_employees"]:
        role = roles[item["role"]]
        values = {
            "employee_number": item["employee_number"],
            "full_name": item["full_name"],
            "role": role,
            "hire_date": datetime.date.fromisoformat(item["hire_date"]),
            "phone": item["phone"],
            "bank_account": item["bank_account"],
            "id_number": item["id_number"],
        }
        employee = Employee.objects.filter(user__username=item["username"]).first()
        if employee is None and not User.objects.filter(username=item["username"]).exists():
            services.create_employee(username=item["username"], password=password, by=OPERATOR, **values)
            created["employees"] += 1
        elif employee is not None and _changed(employee, values):
            services.update_employee(employee=employee, by=OPERATOR, **values)
            created["updated"] += 1
        logins.append(DemoLogin(item["username"], item["full_name"], role.title_zh, role.access_group))
    return logins, created


@transaction.atomic
def ensure_superuser(*, username: str, password: str) -> bool:
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return False
    User.objects.create_superuser(username=username, password=password, email="")
    return True
