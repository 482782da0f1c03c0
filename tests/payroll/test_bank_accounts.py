"""The bank-transfer sheet pays the accounts as they were when the month was approved: an account changed afterwards
(by a manager, to an account of their own) does not divert an approved salary."""

import importlib
import io
from types import SimpleNamespace

import openpyxl
import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from payroll import services
from payroll.exports import export_run
from payroll.models import Payslip
from roles import services as org_services

from .conftest import MONTH, run_month

pytestmark = pytest.mark.django_db

OLD = "6222000011110000001"
OTHER = "6222000011110000002"
NEW = "6222999900001111999"


def _bank_sheet(path_or_bytes) -> dict[str, str]:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    sheet = openpyxl.load_workbook(source)["Bank transfer"]
    return {sheet.cell(row, 1).value: sheet.cell(row, 3).value for row in range(2, sheet.max_row + 1)}


@pytest.fixture
def approved(sales_employee, finance):
    victim = sales_employee(base="8000.00", bank_account=OLD)
    sales_employee(base="9000.00", bank_account=OTHER)
    run = run_month()
    services.approve_run(run=run, user=finance.user)
    run.refresh_from_db()
    return run, victim


def test_approval_snapshots_each_account_encrypted(approved):
    run, victim = approved
    assert Payslip.objects.get(run=run, employee=victim).bank_account == OLD
    assert not Payslip.objects.filter(run=run, bank_account__isnull=True).exists()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT bank_account FROM {Payslip._meta.db_table}")  # noqa: S608
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all(token.startswith("gAAAAA") and OLD not in token for token in stored)


def test_an_account_changed_after_approval_is_not_paid(approved, manager, tmp_path):
    run, victim = approved
    org_services.update_employee(employee=victim, by=manager.user, bank_account=NEW)
    accounts = _bank_sheet(export_run(run=run, path=str(tmp_path / "run.xlsx")))
    assert accounts[victim.employee_number] == OLD
    assert NEW not in accounts.values()


def test_a_run_not_yet_approved_shows_the_current_account(sales_employee, manager, tmp_path):
    victim = sales_employee(base="8000.00", bank_account=OLD)
    run = run_month()
    assert Payslip.objects.get(run=run, employee=victim).bank_account is None
    accounts = _bank_sheet(export_run(run=run, path=str(tmp_path / "run.xlsx")))
    assert accounts[victim.employee_number] == OLD


def test_api_patch_after_approval_leaves_the_export_on_the_approved_account(approved, api_as, manager, finance):
    run, victim = approved
    response = api_as(manager).patch(f"/api/employees/{victim.pk}/", {"bank_account": NEW}, format="json")
    assert response.status_code == 200, response.json()
    victim.refresh_from_db()
    assert victim.bank_account == NEW  # the record changes (and is audited); the approved month does not
    client = api_as(finance)
    body = client.post(f"/api/payroll/runs/{run.pk}/export/").json()
    assert body["status"] == "done", body
    download = client.get(body["download_url"])
    accounts = _bank_sheet(b"".join(download.streaming_content))
    assert accounts[victim.employee_number] == OLD


def test_page_edit_after_approval_leaves_the_export_on_the_approved_account(approved, client_as, manager, tmp_path):
    run, victim = approved
    response = client_as(manager).post(
        reverse("roles:employee-edit", args=[victim.pk]),
        {
            "employee_number": victim.employee_number,
            "full_name": victim.full_name,
            "role": victim.role_id,
            "hire_date": victim.hire_date.isoformat(),
            "status": "active",
            "phone": victim.phone,
            "bank_account": NEW,
            "id_number": "",
        },
    )
    assert response.status_code == 302
    assert _bank_sheet(export_run(run=run, path=str(tmp_path / "run.xlsx")))[victim.employee_number] == OLD


def test_the_migration_fills_approved_payslips_and_old_ones_fall_back(approved, tmp_path):
    run, victim = approved
    # The migration's schema editor, as far as it is used: the guard triggers are dropped and created again.
    editor = SimpleNamespace(connection=connection, execute=lambda sql: connection.cursor().execute(sql))
    guard = importlib.import_module("payroll.migrations.0002_locked_run_guard")
    guard.uninstall(apps, editor)
    Payslip.objects.filter(run=run).update(bank_account=None)  # as approved before the field existed
    guard.install(apps, editor)
    accounts = _bank_sheet(export_run(run=run, path=str(tmp_path / "before.xlsx")))
    assert accounts[victim.employee_number] == OLD  # no snapshot: the employee's account
    migration = importlib.import_module("payroll.migrations.0010_payslip_bank_account_at_approval")
    migration.snapshot_approved(apps, editor)
    assert Payslip.objects.get(run=run, employee=victim).bank_account == OLD
    assert not Payslip.objects.filter(run=run, bank_account__isnull=True).exists()
    with pytest.raises(IntegrityError, match="read-only"), transaction.atomic():  # the guard is back
        Payslip.objects.filter(run=run).update(bank_account=NEW)


def test_the_admin_never_shows_the_approved_account(approved, client, superuser):
    run, victim = approved
    client.force_login(superuser)
    slip = Payslip.objects.get(run=run, employee=victim)
    page = client.get(reverse("admin:payroll_payslip_change", args=[slip.pk]))
    assert page.status_code == 200
    assert OLD not in page.content.decode()


def test_the_transfer_leaves_out_zero_pay_and_missing_accounts_and_lists_them(sales_employee, finance, tmp_path):
    """A bank's import takes every row as a payment: nobody is paid 0.00 or to a blank account; they are listed on
    their own sheet with the reason, so finance sees them instead of a blank row."""
    paid = sales_employee(base="8000.00", bank_account=OLD)
    no_account = sales_employee(base="9000.00", bank_account="")
    nothing = sales_employee(base="5000.00", bank_account=OTHER)  # below the tax threshold: a penalty moves no tax
    net = Payslip.objects.get(run=run_month(), employee=nothing).net_pay
    services.add_adjustment(month=MONTH, employee=nothing, kind="penalty", amount=net, reason="damage", user=None)
    run = run_month()
    assert Payslip.objects.get(run=run, employee=nothing).net_pay == 0
    workbook = openpyxl.load_workbook(export_run(run=run, path=str(tmp_path / "run.xlsx")))
    bank = workbook["Bank transfer"]
    rows = [[cell.value for cell in row] for row in bank.iter_rows(min_row=2, max_row=bank.max_row)]
    numbers = [row[0] for row in rows]
    assert paid.employee_number in numbers  # the world's others are paid too
    assert no_account.employee_number not in numbers and nothing.employee_number not in numbers
    assert all(row[2] and row[4] > 0 for row in rows)
    left_off = workbook["Not transferred"]
    reasons = {row[0].value: row[3].value for row in left_off.iter_rows(min_row=2, max_row=left_off.max_row - 1)}
    assert reasons == {no_account.employee_number: "No bank account", nothing.employee_number: "Nothing to pay"}


def test_a_name_changed_after_approval_is_not_the_account_name_paid(approved, manager, tmp_path):
    """Found by an attacker: the 户名 of an approved month followed the employee record (a manager renamed a colleague
    after approval); the name is copied with the account at approval."""
    run, victim = approved
    name = victim.full_name
    assert Payslip.objects.get(run=run, employee=victim).account_name == name
    org_services.update_employee(employee=victim, by=manager.user, full_name="别人")
    sheet = openpyxl.load_workbook(export_run(run=run, path=str(tmp_path / "run.xlsx")))["Bank transfer"]
    names = {sheet.cell(row, 1).value: sheet.cell(row, 2).value for row in range(2, sheet.max_row + 1)}
    assert names[victim.employee_number] == name
