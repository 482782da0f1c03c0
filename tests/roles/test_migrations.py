"""The migration that encrypts personal numbers: rows written in plain text before it (live and audit history)
come out encrypted with their keyed hash, and going back gives the plain text again."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from roles.models import Employee
from shop_ops.encryption import TOKEN_PREFIX, digest

from ..factories import RoleFactory, UserFactory, id_number_with_check

BEFORE = [("roles", "0006_audit_history")]
AFTER = [("roles", "0007_encrypt_personal_numbers")]
BANK = "6222027777888899990"
ID_NUMBER = id_number_with_check("51010719880808246")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def raw(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT bank_account, id_number FROM {table} ORDER BY 1")  # noqa: S608
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_encrypted_and_decrypted_again_going_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    role, user = RoleFactory(), UserFactory()
    old = migrate(BEFORE)
    OldEmployee = old.get_model("roles", "Employee")
    OldHistory = old.get_model("roles", "HistoricalEmployee")
    values = {
        "employee_number": "M0001",
        "full_name": "迁移前",
        "role_id": role.pk,
        "user_id": user.pk,
        "hire_date": datetime.date(2024, 1, 1),
        "bank_account": BANK,
        "id_number": ID_NUMBER,
    }
    employee = OldEmployee.objects.create(**values)
    OldHistory.objects.create(id=employee.pk, history_date=timezone.now(), history_type="+", **values)
    OldEmployee.objects.create(
        **{**values, "employee_number": "M0002", "user_id": UserFactory().pk, "bank_account": "", "id_number": ""}
    )
    assert raw("roles_employee") == [("", ""), (BANK, ID_NUMBER)]

    try:
        # Forward to the encrypting migration only (and back): going back from the latest would also unapply every
        # later migration of every app, minutes on SQLite, and test nothing more.
        encrypted = migrate(AFTER)
        for table in ("roles_employee", "roles_historicalemployee"):
            numbers = [value for row in raw(table) for value in row if value]
            assert numbers and all(value.startswith(TOKEN_PREFIX) for value in numbers)
        Migrated = encrypted.get_model("roles", "Employee")
        migrated = Migrated.objects.get(employee_number="M0001")
        assert (migrated.bank_account, migrated.id_number) == (BANK, ID_NUMBER)
        assert migrated.id_number_digest == digest(ID_NUMBER)
        assert Migrated.objects.get(employee_number="M0002").id_number_digest == ""
        history = encrypted.get_model("roles", "HistoricalEmployee").objects.filter(id=migrated.pk)
        assert [(h.bank_account, h.id_number) for h in history] == [(BANK, ID_NUMBER)]

        migrate(BEFORE)
        assert raw("roles_employee") == [("", ""), (BANK, ID_NUMBER)]
        assert raw("roles_historicalemployee") == [(BANK, ID_NUMBER)]
    finally:
        migrate(latest)
    # And the latest schema reads what the migration wrote.
    assert Employee.objects.get(employee_number="M0001").bank_account == BANK
