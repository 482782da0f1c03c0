"""The database itself refuses changes to an approved or paid payroll: the figures of its payslips and lines cannot
be updated, and the run can only move from approved to paid. The services give the friendly message; these triggers
are the guarantee, whatever code (or SQL console) tries otherwise.

Inserts and deletes are left to the services and the foreign keys (a run with payslips cannot be deleted): a
backup restore (`restore_data`, loaddata) must be able to load and replace whole histories, and the test runner
empties tables between tests.
"""

from django.db import migrations

LOCKED = "('approved', 'paid')"
MESSAGE = "payroll: an approved or paid payroll run is read-only; correct it with an adjustment in a later month"

RUN_CHANGE_ALLOWED = (
    "NEW.month = OLD.month AND NEW.approved_at = OLD.approved_at AND ("
    "(OLD.status = 'approved' AND NEW.status IN ('approved', 'paid')) OR "
    "(OLD.status = 'paid' AND NEW.status = 'paid' AND NEW.paid_at = OLD.paid_at))"
)
SLIP_RUN = "(SELECT status FROM payroll_payrollrun WHERE id = {row}.run_id)"
LINE_RUN = (
    "(SELECT r.status FROM payroll_payslip p JOIN payroll_payrollrun r ON r.id = p.run_id WHERE p.id = {row}.payslip_id)"
)
TABLES = (("payroll_payslip", SLIP_RUN), ("payroll_payslipline", LINE_RUN))


def _sqlite() -> list[str]:
    sql = []
    for table, lookup in TABLES:
        condition = f"{lookup.format(row='OLD')} IN {LOCKED} OR {lookup.format(row='NEW')} IN {LOCKED}"
        sql.append(
            f"CREATE TRIGGER {table}_locked_update BEFORE UPDATE ON {table} "
            f"WHEN {condition} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        )
    sql.append(
        "CREATE TRIGGER payroll_payrollrun_locked_update BEFORE UPDATE ON payroll_payrollrun "
        f"WHEN OLD.status IN {LOCKED} AND NOT ({RUN_CHANGE_ALLOWED}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
    )
    return sql


def _postgresql() -> list[str]:
    sql = []
    for table, lookup in TABLES:
        name = f"{table}_locked_update"
        sql.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {lookup.format(row='OLD')} IN {LOCKED} OR {lookup.format(row='NEW')} IN {LOCKED} THEN "
            f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END IF; "
            "RETURN NEW; END $$;"
        )
        sql.append(f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();")
    sql.append(
        "CREATE OR REPLACE FUNCTION payroll_payrollrun_locked_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF OLD.status IN {LOCKED} AND NOT ({RUN_CHANGE_ALLOWED}) THEN "
        f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END IF; "
        "RETURN NEW; END $$;"
    )
    sql.append(
        "CREATE TRIGGER payroll_payrollrun_locked_update BEFORE UPDATE ON payroll_payrollrun "
        "FOR EACH ROW EXECUTE FUNCTION payroll_payrollrun_locked_update();"
    )
    return sql


NAMES = [f"{table}_locked_update" for table, _ in TABLES] + ["payroll_payrollrun_locked_update"]
ON = {"payroll_payslip_locked_update": "payroll_payslip", "payroll_payslipline_locked_update": "payroll_payslipline"}


def install(apps, schema_editor):
    statements = {"sqlite": _sqlite, "postgresql": _postgresql}.get(schema_editor.connection.vendor, list)()
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name in NAMES:
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")
        elif vendor == "postgresql":
            table = ON.get(name, "payroll_payrollrun")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();")


class Migration(migrations.Migration):
    dependencies = [("payroll", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
