"""Every page and every API endpoint × every group, in one table, walked by one test.

Outcomes (GET requests): pages answer `ok` (200), send anonymous users to `login`, and send signed-in users
without the right `home` with a message; the API answers `ok` (200), `401`/`403`, or `404` for records the
user may not see. A URL missing from the table fails the test, so a new endpoint must state who may use it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.services import issue_api_token

# "customer_service" is a Staff member in a 客服 role: the warehouse hands them flagged orders. "no_group" is a
# login made for the purpose with no group and no employee record.
GROUPS = ("anonymous", "staff", "customer_service", "warehouse", "finance", "manager", "superuser", "no_group")
LOGIN_AS = {
    "staff": "designer",
    "customer_service": "cs",
    "warehouse": "packer",
    "finance": "finance",
    "manager": "manager",
    "superuser": "admin",
}


def row(
    anonymous="login",
    staff="home",
    warehouse="home",
    finance="home",
    manager="ok",
    superuser="ok",
    cs=None,
    no_group=None,
):
    """Outcomes per group; customer service as staff and the group-less login as staff unless given."""
    values = (
        anonymous,
        staff,
        staff if cs is None else cs,
        warehouse,
        finance,
        manager,
        superuser,
        staff if no_group is None else no_group,
    )
    return dict(zip(GROUPS, values, strict=True))


EVERYONE = row(staff="ok", warehouse="ok", finance="ok")
MANAGERS = row()
MANAGERS_FINANCE = row(finance="ok")
PUBLIC = row(anonymous="ok", staff="ok", warehouse="ok", finance="ok")
API_EVERYONE = row(anonymous="401", staff="ok", warehouse="ok", finance="ok")
API_MANAGERS = row(anonymous="401", staff="403", warehouse="403", finance="403")
API_HIDDEN_FROM_STAFF = row(anonymous="401", staff="404", warehouse="404", finance="ok")
STOCK_VIEW = row(warehouse="ok", finance="ok")
STOCK_OPERATE = row(warehouse="ok")
FINANCE_ONLY = row(finance="ok", manager="home")
API_PAYROLL_INPUTS = row(anonymous="401", staff="403", warehouse="403", finance="ok")
API_STOCK_VIEW = row(anonymous="401", staff="403", warehouse="ok", finance="ok")
API_STOCK_OPERATE = row(anonymous="401", staff="403", warehouse="ok", finance="403")

# URL name → (kwargs key or None, outcomes). Keys refer to `objects()` below.
MATRIX: dict[str, tuple[str | None, dict]] = {
    # Core
    "home": (None, EVERYONE),
    # Signing in leads here: each person goes where their day starts (roles.permissions.start_page).
    "start": (
        None,
        row(
            staff="checklist",
            warehouse="queue",
            finance="waiting",
            manager="dashboard",
            superuser="dashboard",
            no_group="home",
        ),
    ),
    "login": (
        None,
        row(anonymous="ok", staff="start", warehouse="start", finance="start", manager="start", superuser="start"),
    ),
    "health": (None, PUBLIC),
    "api-schema": (None, PUBLIC),
    "api-docs": (None, PUBLIC),
    "api-root": (None, API_EVERYONE),
    # Org chart pages
    "roles:org-chart": (None, EVERYONE),
    "roles:department-detail": ("department_code", EVERYONE),
    "roles:role-detail": ("role_code", EVERYONE),
    "roles:my-profile": (
        None,
        row(staff="mine", warehouse="mine", finance="mine", manager="mine", superuser="home", no_group="home"),
    ),
    "roles:department-create": (None, MANAGERS),
    "roles:department-edit": ("department_code", MANAGERS),
    "roles:department-delete": ("department_code", MANAGERS),
    "roles:role-create": (None, MANAGERS),
    "roles:role-edit": ("role_code", MANAGERS),
    "roles:role-delete": ("role_code", MANAGERS),
    "roles:employee-list": (None, MANAGERS_FINANCE),
    "roles:employee-create": (None, MANAGERS),
    "roles:employee-detail": ("other_employee", MANAGERS_FINANCE),
    "roles:employee-edit": ("other_employee", MANAGERS),
    "roles:audit": (None, MANAGERS_FINANCE),
    # Checklist pages
    "roles:my-checklist": (None, row(staff="ok", warehouse="ok", finance="ok", superuser="home", no_group="home")),
    "roles:checklist-dashboard": (None, MANAGERS),
    "roles:person-history": ("other_employee", MANAGERS),
    "roles:adhoc-task": (None, MANAGERS),
    "roles:holidays": (None, MANAGERS),
    "roles:duty-edit": ("duty", MANAGERS),
    "roles:duty-assign": ("duty", MANAGERS),
    "roles:role-duties": ("role_code", MANAGERS),
    "roles:duty-create": ("role_code", MANAGERS),
    # Org chart API
    "department-list": (None, API_EVERYONE),
    "department-detail": ("department", API_EVERYONE),
    "role-list": (None, API_EVERYONE),
    "role-detail": ("role", API_EVERYONE),
    "employee-list": (None, API_EVERYONE),  # staff get only their own record: tested in tests/roles/test_api.py
    "employee-detail": ("other_employee", API_HIDDEN_FROM_STAFF | {"manager": "ok"}),
    "employee-me": (
        None,
        row(anonymous="401", staff="ok", warehouse="ok", finance="ok", superuser="404", no_group="404"),
    ),
    "api-token": (
        None,
        row(anonymous="405", staff="405", warehouse="405", finance="405", manager="405", superuser="405"),
    ),
    # Sign-in (accounts/): the two-factor step sends a login that does not need it (OTP_REQUIRED is off here, or
    # the login is Staff or Warehouse) on to the page it came for; its own tests switch it on.
    "accounts:two-factor": (
        None,
        row(staff="start", warehouse="start", finance="start", manager="start", superuser="start"),
    ),
    "accounts:two-factor-setup": (
        None,
        row(staff="start", warehouse="start", finance="start", manager="start", superuser="start"),
    ),
    "accounts:security": (None, row(staff="ok", warehouse="ok", finance="ok")),
    # Checklist API
    "duty-list": (None, API_EVERYONE),
    "duty-detail": ("duty", API_EVERYONE),
    "duty-assignment-list": (None, API_MANAGERS),
    "checklist-item-list": (None, API_EVERYONE),  # own items only: tests/checklists/test_api.py
    "checklist-item-detail": ("manager_item", row(anonymous="401", staff="404", warehouse="404", finance="404")),
    "checklist-stats": (None, API_EVERYONE),
    "holiday-list": (None, API_EVERYONE),
    "holiday-detail": ("holiday", API_EVERYONE),
    # Warehouse pages (inventory/permissions.py): view = Warehouse, Finance, Manager; operate = Warehouse, Manager
    **{
        f"inventory:{name}": (key, STOCK_VIEW)
        for name, key in [
            ("stock-list", None),
            ("sku-detail", "sku"),
            ("catalogue-skus", None),
            ("catalogue-products", None),
            ("catalogue-materials", None),
            ("catalogue-warehouses", None),
            ("catalogue-locations", None),
            ("movement-list", None),
            ("count-list", None),
            ("count-detail", "count"),
            ("job-progress", "job"),
            ("loss-report-list", None),
            ("loss-report-detail", "loss_report"),
            ("summary", None),
            ("purchase-request-list", None),
        ]
    },
    **{
        f"inventory:{name}": (key, STOCK_OPERATE)
        for name, key in [
            ("product-create", None),
            ("sku-create", None),
            ("sku-edit", "sku"),
            ("warehouse-create", None),
            ("warehouse-edit", "warehouse"),
            ("location-create", None),
            ("location-edit", "location"),
            ("movement-create", None),
            ("transfer", None),
            ("import", None),
            ("count-open", None),
            ("count-close", "count"),
            ("purchase-request-create", None),
            ("order-list", None),
            ("order-detail", "order"),
            ("picking-list", None),
            ("queue", None),
        ]
    },
    "inventory:flagged-orders": (None, row(warehouse="ok", cs="ok")),
    # Sending a rejected loss report back corrects stock: the warehouse supervisor's or a manager's, as closing a
    # count is (the matrix's warehouse login is a packer).
    "inventory:loss-report-recheck": ("loss_report", row()),
    # Warehouse API
    **{
        f"inventory-{name}": (key, API_STOCK_VIEW)
        for name, key in [
            ("sku-list", None),
            ("sku-detail", "sku"),
            ("warehouse-list", None),
            ("warehouse-detail", "warehouse"),
            ("location-list", None),
            ("location-detail", "location"),
            ("level-list", None),
            ("level-detail", "level"),
            ("movement-list", None),
            ("movement-detail", "movement"),
            ("count-list", None),
            ("count-detail", "count"),
            ("count-lines", "count"),
            ("loss-report-list", None),
            ("loss-report-detail", "loss_report"),
            ("purchase-request-list", None),
            ("purchase-request-detail", "purchase_request"),
            ("summary", None),
            ("job-list", None),
            ("job-detail", "job"),
        ]
    },
    **{
        f"inventory-{name}": (key, API_STOCK_OPERATE)
        for name, key in [
            ("order-list", None),
            ("order-detail", "order"),
            ("order-picking-list", None),
        ]
    },
    "inventory-order-flagged": (None, row(anonymous="401", staff="403", warehouse="ok", finance="403", cs="ok")),
    # Payroll pages (payroll/permissions.py): payslips are everyone's own; inputs and runs are Finance's and
    # managers' to read; running, approving, paying and exporting (full bank accounts) are Finance's alone.
    "payroll:payslip-list": (None, EVERYONE),
    "payroll:payslip-detail": ("manager_payslip", MANAGERS_FINANCE),
    "payroll:run-list": (None, row(staff="payslips", warehouse="payslips", finance="ok")),
    "payroll:waiting": (None, FINANCE_ONLY),
    "payroll:run-detail": ("month", MANAGERS_FINANCE),
    "payroll:run-progress": ("month", MANAGERS_FINANCE),
    "payroll:run-approve": ("month", FINANCE_ONLY),
    "payroll:run-paid": ("month", FINANCE_ONLY),
    "payroll:export-progress": ("payroll_export", FINANCE_ONLY),
    "payroll:export-download": ("payroll_export", FINANCE_ONLY),
    "payroll:inputs": ("month", MANAGERS_FINANCE),
    "payroll:import-template": (None, MANAGERS_FINANCE),
    "payroll:structure-list": (None, MANAGERS_FINANCE),
    "payroll:structure-detail": ("structure", MANAGERS_FINANCE),
    "payroll:structure-edit": ("structure", MANAGERS),
    "payroll:adjustment-delete": ("adjustment", MANAGERS),
    "payroll:insurance-list": (None, MANAGERS_FINANCE),
    "payroll:insurance-new": (None, FINANCE_ONLY),
    "payroll:insurance-edit": ("insurance_policy", FINANCE_ONLY),
    "payroll:profile-list": (None, MANAGERS_FINANCE),
    "payroll:profile-edit": ("other_employee", MANAGERS),
    "payroll:pool-rule-list": (None, MANAGERS_FINANCE),
    "payroll:pool-rule-edit": ("department_code", FINANCE_ONLY),
    "payroll:variance-threshold": (None, MANAGERS_FINANCE),
    "payroll:variance-threshold-edit": (None, FINANCE_ONLY),
    "payroll:tax-opening-list": (None, MANAGERS_FINANCE),
    "payroll:tax-opening-new": (None, FINANCE_ONLY),
    "payroll:tax-opening-edit": ("tax_opening", FINANCE_ONLY),
    "payroll:deduction-list": (None, MANAGERS_FINANCE),
    "payroll:deduction-template": (None, MANAGERS_FINANCE),
    "payroll:deduction-new": (None, FINANCE_ONLY),
    "payroll:deduction-edit": ("special_deduction", FINANCE_ONLY),
    "payroll:deduction-end": ("special_deduction", FINANCE_ONLY),
    # Payroll API
    "payroll-payslip-list": (None, API_EVERYONE),  # own payslips only: tests/payroll/test_api.py
    "payroll-payslip-detail": ("manager_payslip", API_HIDDEN_FROM_STAFF | {"manager": "ok"}),
    # Special deductions: everyone reads their own (tests/payroll/test_deductions.py), managers and finance all.
    "payroll-special-deduction-list": (None, API_EVERYONE),
    "payroll-special-deduction-detail": ("special_deduction", API_HIDDEN_FROM_STAFF | {"manager": "ok"}),
    **{
        f"payroll-{name}": (key, row(anonymous="401", staff="403", warehouse="403", finance="ok", manager="403"))
        for name, key in [
            ("export-list", None),
            ("export-detail", "payroll_export"),
            ("export-download", "payroll_export"),
        ]
    },
    **{
        f"payroll-{name}": (key, API_PAYROLL_INPUTS)
        for name, key in [
            ("run-list", None),
            ("run-detail", "run"),
            ("structure-list", None),
            ("structure-detail", "structure"),
            ("component-list", None),
            ("component-detail", "component"),
            ("sales-list", None),
            ("sales-detail", "sales"),
            ("adjustment-list", None),
            ("adjustment-detail", "adjustment"),
            ("attendance-list", None),
            ("insurance-policy-list", None),
            ("insurance-policy-detail", "insurance_policy"),
            ("pay-profile-list", None),
            ("pay-profile-detail", "pay_profile"),
            ("pool-rule-list", None),
            ("pool-rule-detail", "pool_rule"),
            ("tax-opening-list", None),
            ("tax-opening-detail", "tax_opening"),
        ]
    },
}
# Customer service opening an order that is not waiting for them is sent to their list with a message, not home.
MATRIX["inventory:order-detail"] = ("order", {**MATRIX["inventory:order-detail"][1], "customer_service": "cs-list"})
# POST-only or action URLs: checked by their own tests (CSRF, ownership, state); listed so the table stays complete.
POST_ONLY = {
    "logout",
    "accounts:sign-out-everywhere",
    "api-logout",
    "api-logoutall",
    "set_language",
    "inventory:sku-listed",
    "inventory:count-line",
    "inventory:loss-report-review",
    "inventory:summary-export",
    "inventory:purchase-request-status",
    "inventory:order-advance",
    "inventory:order-flag",
    "inventory:order-pack",
    "inventory:order-ship",
    "inventory:order-resolve",
    "inventory:order-cancel",
    "inventory:job-download",
    "inventory-job-download",
    "inventory-count-cancel",
    "inventory-count-close",
    "inventory-count-record",
    "inventory-import",
    "inventory-loss-report-approve",
    "inventory-loss-report-reject",
    "inventory-order-advance",
    "inventory-order-flag",
    "inventory-order-pack",
    "inventory-order-resolve",
    "inventory-order-ship",
    "inventory-purchase-request-status",
    "inventory-summary-export",
    "inventory-transfer",
    "payroll-run-start",
    "payroll-run-export",
    "payroll:run-export",
    "payroll-run-approve",
    "payroll-run-mark-paid",
    "payroll-structure-preview",
    "payroll-structure-versions",
    # No attendance rows in the demo; the list above walks the same rule.
    "payroll-attendance-detail",
    "roles:item-tick",
    "roles:item-untick",
    "roles:duty-start",
    "checklist-item-tick",
    "checklist-item-untick",
    "duty-start",
    "duty-assignment-detail",
    "employee-find-by-id-number",  # POST only: tests/test_encryption.py
}


def url_names() -> set[str]:
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
                if not str(pattern.pattern).startswith("admin"):
                    yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns))


def objects() -> dict:
    from roles.models import ChecklistItem, Department, DutyTemplate, Employee, Holiday, Role

    manager = Employee.objects.get(user__username="manager")
    from roles import services

    item = services.add_ad_hoc_task(employee=manager, title_zh="矩阵", due_date=_today(), by=manager.user)
    duty = DutyTemplate.objects.order_by("pk").first()
    return {
        "department_code": {"code": "marketing"},
        "role_code": {"code": "cs_staff"},
        "department": {"pk": Department.objects.get(code="marketing").pk},
        "role": {"pk": Role.objects.get(code="cs_staff").pk},
        "other_employee": {"pk": manager.pk},
        "duty": {"pk": duty.pk},
        "holiday": {"pk": Holiday.objects.order_by("pk").first().pk},
        "manager_item": {"pk": ChecklistItem.objects.get(pk=item.pk).pk},
        **inventory_objects(),
        **payroll_objects(),
    }


def payroll_objects() -> dict:
    from payroll import models as pay

    def first(model, **filters):
        return {"pk": model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True).first()}

    from django.contrib.auth import get_user_model

    from payroll.services import request_export

    run = pay.PayrollRun.objects.filter(status="paid").order_by("pk").first()
    adjustment = pay.Adjustment.objects.order_by("pk").first()
    export = request_export(run=run, user=get_user_model().objects.get(username="finance"))  # small: written at once
    return {
        "payroll_export": {"pk": export.pk},
        "month": {"month": run.label},
        "run": {"pk": run.pk},
        "manager_payslip": first(pay.Payslip, employee__user__username="manager", run=run),
        "structure": first(pay.SalaryStructure),
        "component": first(pay.Component),
        "sales": first(pay.SalesFigure),
        "adjustment": {"pk": adjustment.pk},
        "attendance": first(pay.Attendance),
        "insurance_policy": first(pay.InsurancePolicy),
        "pay_profile": first(pay.PayProfile),
        "pool_rule": first(pay.ProfitPoolRule),
        "tax_opening": {"pk": tax_opening().pk},
        "special_deduction": {"pk": special_deduction().pk},
    }


def tax_opening():
    from payroll import services
    from roles.models import Employee

    employee = Employee.objects.get(user__username="cs")
    money = {name: Decimal("0.00") for name in ("special_deductions", "additional_deductions", "tax_withheld")}
    return services.save_tax_opening_balance(
        employee=employee, year=2025, income=Decimal("1000.00"), user=None, **money
    )


def special_deduction():
    from payroll import services
    from payroll.choices import DeductionCategory
    from roles.models import Employee

    employee = Employee.objects.get(user__username="manager")
    return services.save_special_deduction(
        employee=employee,
        category=DeductionCategory.CHILDREN_EDUCATION,
        start_month=datetime.date(2026, 1, 1),
        share=Decimal("0.5"),
        note="小明",
        user=None,
    )


def inventory_objects() -> dict:
    from inventory import models as stock

    def first(model):
        return {"pk": model.objects.order_by("pk").values_list("pk", flat=True).first()}

    from django.contrib.auth import get_user_model

    count = stock.StockCount.objects.order_by("pk").first()
    job = stock.InventoryJob.objects.create(
        kind="summary_export",
        month=count.period,
        status="done",
        requested_by=get_user_model().objects.get(username="manager"),
    )
    line = count.lines.order_by("pk").first()
    return {
        "sku": first(stock.Sku),
        "warehouse": first(stock.Warehouse),
        "location": first(stock.Location),
        "level": first(stock.StockLevel),
        "movement": first(stock.StockMovement),
        "count": {"pk": count.pk},
        "count_line": {"pk": count.pk, "line": line.pk},
        "loss_report": first(stock.LossReport),
        "purchase_request": first(stock.PurchaseRequest),
        "order": first(stock.Order),
        "job": {"pk": job.pk},
    }


def _today():
    from django.utils import timezone

    return timezone.localdate()


def outcome(response, is_api: bool) -> str:
    status = response.status_code
    if is_api:
        return "ok" if status == 200 else str(status)
    if status == 200:
        return "ok"
    if status == 302:
        target = response.url
        if target.startswith(reverse("login")):
            return "login"
        if target == reverse("home"):
            return "home"
        for start_name, label in START_PAGE_OUTCOMES.items():
            if target == reverse(start_name):
                return label
        if target.startswith("/employees/"):
            return "mine"
        if target == reverse("payroll:payslip-list"):
            return "payslips"
        if target == reverse("inventory:flagged-orders"):
            return "cs-list"
        return f"302 {target}"
    return str(status)


START_PAGE_OUTCOMES = {
    "start": "start",
    "roles:my-checklist": "checklist",
    "inventory:queue": "queue",
    "payroll:waiting": "waiting",
    "roles:checklist-dashboard": "dashboard",
}


# Every answer, whatever its status, carries the browser policies (shop_ops/settings.py, "Security").
SECURITY_HEADERS = ("Content-Security-Policy", "Permissions-Policy")


@pytest.mark.django_db
def test_every_url_is_in_the_matrix():
    missing = sorted(url_names() - set(MATRIX) - POST_ONLY)
    assert not missing, f"Add these URLs to the permission matrix: {missing}"


@pytest.mark.django_db
def test_permission_matrix(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the export files the table downloads
    call_command("load_demo", password="matrix-pass-123", stdout=StringIO())
    from django.contrib.auth import get_user_model

    users = {group: get_user_model().objects.get(username=name) for group, name in LOGIN_AS.items()}
    users["no_group"] = get_user_model().objects.create_user("no-group", password="matrix-pass-123")
    kwargs = objects()
    tokens = {group: issue_api_token(user=user)[1] for group, user in users.items()}
    failures = []
    for name, (key, expected) in sorted(MATRIX.items()):
        url = reverse(name, kwargs=kwargs[key] if key else None)
        is_api = url.startswith("/api/") and name not in {"api-schema", "api-docs"}
        for group in GROUPS:
            client.logout()
            headers = {}
            if group != "anonymous":
                if is_api:
                    headers["HTTP_AUTHORIZATION"] = f"Token {tokens[group]}"
                else:
                    client.force_login(users[group])
            response = client.get(url, **headers)
            got = outcome(response, is_api)
            if got != expected[group]:
                failures.append(f"{name} ({url}) as {group}: expected {expected[group]}, got {got}")
            missing = [header for header in SECURITY_HEADERS if not response.has_header(header)]
            if missing:
                failures.append(f"{name} ({url}) as {group}: no {', '.join(missing)} header")
    assert not failures, "\n".join(failures)
