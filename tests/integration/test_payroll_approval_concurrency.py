"""Approval against concurrent approvals and input changes, on PostgreSQL's row locks (issue 12, section 2)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from payroll import selectors, services
from payroll.choices import RunStatus
from payroll.exceptions import PayrollConflict, RunInputsChanged
from payroll.models import Adjustment, PayrollRun
from roles.exceptions import ItemPayApproved
from roles.models import ChecklistItem
from roles.permissions import OPERATOR
from roles.services import checklists as checklist_services
from roles.services import org as org_services

from ..payroll.conftest import MONTH, payroll_world, run_month, sales_employee  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the row locks are tested on PostgreSQL.")


def _in_threads(*targets):
    errors, results = [], []

    def wrap(target):
        try:
            results.append(target())
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_two_approvals_at_once_approve_once(sales_employee, finance):  # noqa: F811
    sales_employee()
    run = run_month()
    approve = lambda: services.approve_run(run=run, user=finance.user)  # noqa: E731
    results, errors = _in_threads(approve, approve)
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], PayrollConflict) and "is approved" in errors[0].message
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED


def test_a_change_committed_while_approval_runs_is_caught(sales_employee, finance, monkeypatch):  # noqa: F811
    """The change commits after the approval locked the run but before it read the inputs: refused."""
    employee = sales_employee()
    run = run_month()
    real = selectors.month_inputs_fingerprint

    def change_then_read(month):
        # Another connection (another request) records the leaver and commits, while this approval holds the lock.
        _results, errors = _in_threads(
            lambda: org_services.record_leaving(employee=employee, by=OPERATOR, leave_date=MONTH.replace(day=2))
        )
        assert not errors, errors
        return real(month)

    monkeypatch.setattr(selectors.fingerprints, "month_inputs_fingerprint", change_then_read)
    with pytest.raises(RunInputsChanged, match="days worked"):
        services.approve_run(run=run, user=finance.user)
    assert PayrollRun.objects.get(pk=run.pk).status == RunStatus.READY


def _approve_while_waiting(run, user, monkeypatch, change, refused):
    """Approve `run`; while the approval holds the run's row and reads the month's inputs, `change` runs on another
    connection (another request). Returns whether the change was still waiting on the lock after 2 s, and what it
    ended with: "done", or the message of the `refused` error it raised."""
    real = selectors.month_inputs_fingerprint
    outcome = {}

    def attempt():
        try:
            change()
            outcome["result"] = "done"
        except refused as error:
            outcome["result"] = error.message
        finally:
            connections.close_all()

    def read_while_change_waits(month):
        thread = threading.Thread(target=attempt)
        thread.start()
        thread.join(timeout=2)  # it cannot finish: the approval holds the run's row
        outcome["waited"] = thread.is_alive()
        outcome["thread"] = thread
        return real(month)

    monkeypatch.setattr(selectors.fingerprints, "month_inputs_fingerprint", read_while_change_waits)
    services.approve_run(run=run, user=user)
    outcome["thread"].join(timeout=30)
    return outcome["waited"], outcome.get("result")


def test_a_pay_input_waits_for_the_approval_and_is_then_refused(sales_employee, finance, manager, monkeypatch):  # noqa: F811
    """A bonus entered while the month is being approved waits on the run's row lock, then finds it read-only."""
    employee = sales_employee()
    run = run_month()

    def add_bonus():
        services.add_adjustment(
            month=MONTH, employee=employee, kind="bonus", amount=Decimal("9"), reason="late", user=manager.user
        )

    waited, result = _approve_while_waiting(run, finance.user, monkeypatch, add_bonus, PayrollConflict)
    assert waited is True
    assert "read-only" in result
    assert not Adjustment.objects.filter(employee=employee).exists()


def test_a_tick_waits_for_the_approval_and_is_then_refused(sales_employee, finance, monkeypatch):  # noqa: F811
    """A checklist item of the month ticked while the month is being approved waits on the run's row lock (taken
    through roles' pay-approved check), then finds the month read-only: the completion rate approved stays."""
    employee = sales_employee()
    due = datetime.date(2026, 3, 10)
    item = ChecklistItem.objects.create(
        employee=employee, kind="ad_hoc", period_start=due, due_date=due, title_zh="盘点"
    )
    checklist_services.refresh_day_summaries(due_date=due, employee_id=employee.pk)
    run = run_month()

    def tick():
        checklist_services.tick_item(item_id=item.pk, user=employee.user)

    waited, result = _approve_while_waiting(run, finance.user, monkeypatch, tick, ItemPayApproved)
    assert waited is True
    assert "read-only" in result
    item.refresh_from_db()
    assert item.status == "open"
