"""The audit trail of the payroll: structures and formulas, inputs, pay settings and every state of a run."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from payroll import services
from payroll.choices import ComponentKind, RunStatus
from payroll.engine import ComponentSpec
from roles.selectors.audit import audit_entries, audited_models

from .conftest import COMPONENTS, MONTH

pytestmark = pytest.mark.django_db
D = Decimal

# Payslips and their lines are the computed output of a run: the run's states are audited, the rows are immutable
# once approved (database triggers) and recomputed wholesale while in draft.
# Payslips and lines are guarded by the locked-run triggers; an export job is its own record (who asked, when,
# from which computation) and its progress updates would only be noise in the history.
NOT_AUDITED = {"payslip", "payslipline", "payrollexport"}


def test_every_payroll_model_that_holds_money_or_rules_is_audited():
    models = {model._meta.model_name for model in apps.get_app_config("payroll").get_models()}
    historical = {model for model in models if model.startswith("historical")}
    audited = {name.split(".", 1)[1] for name in audited_models() if name.startswith("payroll.")}
    assert audited == models - historical - NOT_AUDITED


def test_run_states_are_recorded_with_who_but_progress_is_not(sales_employee, finance, api_as):
    for _ in range(3):
        sales_employee()
    run = services.start_run(month=MONTH, user=finance.user, queue=False)
    services.compute_run(run_id=run.pk, attempt=run.attempt, batch_size=1)  # several batches of progress
    assert api_as(finance).post(f"/api/payroll/runs/{run.pk}/approve/").status_code == 200
    statuses = list(run.history.order_by("history_date", "history_id").values_list("status", flat=True))
    assert statuses == [RunStatus.DRAFT, RunStatus.RUNNING, RunStatus.READY, RunStatus.APPROVED]
    entries, total, _ = audit_entries(kind="payroll.payrollrun", username=finance.user.username)
    assert total == 1
    changes = [(c.field, c.old, c.new) for c in entries[0].changes]
    assert ("status", RunStatus.READY.label, RunStatus.APPROVED.label) in changes


def test_a_formula_change_records_removed_and_added_components(payroll_world, manager):
    structure, version = payroll_world["structure"], payroll_world["version"]
    changed = [*COMPONENTS[:-1], ComponentSpec("room_and_board", "Room and board", ComponentKind.BENEFIT, "1200")]
    services.save_structure_version(
        structure=structure, effective_from=version.effective_from, components=changed, user=manager.user
    )
    history = apps.get_model("payroll", "HistoricalComponent").objects.filter(version_id=version.pk)
    removed = history.filter(history_type="-").values_list("formula", flat=True)
    added = history.filter(history_type="+", history_user=manager.user).values_list("formula", flat=True)
    assert "1000" in removed and "1200" in added
    assert added.count() == len(COMPONENTS)


def test_bonus_entered_and_deleted_is_on_the_audit_page(sales_employee, manager, finance, client_as, api_as):
    employee = sales_employee()
    response = api_as(manager).post(
        "/api/payroll/adjustments/",
        {"month": "2026-03", "employee": employee.pk, "kind": "bonus", "amount": "888.00", "reason": "双十一冲刺"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert api_as(manager).delete(f"/api/payroll/adjustments/{response.json()['id']}/").status_code == 204
    entries, total, _ = audit_entries(kind="payroll.adjustment", username=manager.user.username)
    assert total == 2
    assert [entry.change for entry in entries] == ["deleted", "created"]
    page = client_as(finance).get(reverse("roles:audit"), {"kind": "payroll.adjustment"}).content.decode()
    assert manager.full_name in page  # who made the change, by name (|person)


def test_pay_settings_changes_show_before_and_after(sales_employee, manager, finance, payroll_world, api_as):
    employee = sales_employee(base="8000.00")
    response = api_as(manager).post(
        "/api/payroll/pay-profiles/", {"employee": employee.pk, "base_salary": "9000.00"}, format="json"
    )
    assert response.status_code == 201, response.content
    entries, _, _ = audit_entries(kind="payroll.payprofile", username=manager.user.username)
    assert ("base_salary", "¥8,000.00", "¥9,000.00") in [(c.field, c.old, c.new) for c in entries[0].changes]
    response = api_as(finance).post("/api/payroll/pool-rules/", {"department": "marketing", "rate": "0.35"})
    assert response.status_code == 201, response.content
    entries, _, _ = audit_entries(kind="payroll.profitpoolrule", username=finance.user.username)
    assert ("rate", "0.4000", "0.3500") in [(c.field, c.old, c.new) for c in entries[0].changes]
    services.save_sales_figure(
        month=datetime.date(2026, 2, 1),
        department=payroll_world["department"],
        sales=D("100000"),
        gross_profit=D("30000"),
        user=None,
    )
    entries, total, _ = audit_entries(kind="payroll.salesfigure")
    assert (total, entries[0].who) == (1, "system")
