"""The database itself refuses changes to an approved or paid payroll: its payslips and lines are read-only and
the run can only move from approved to paid. The services give the friendly message; these triggers are the
guarantee, whatever code (or SQL console) tries otherwise. PostgreSQL also refuses deleting them; SQLite (dev and
tests only) guards inserts and updates."""

from django.db import migrations

LOCKED = "('approved', 'paid')"
MESSAGE = "payroll: an approved or paid payroll run is read-only; correct it with an adjustment in a later month"

RUN_CHANGE_ALLOWED = (
    "NEW.month = OLD.month AND NEW.approved_at = OLD.approved_at AND ("
    "(OLD.status = 'approved' AND NEW.status IN ('approved', 'paid')) OR "
    "(OLD.status = 'paid' AND NEW.status = 'paid' AND NEW.paid_at = OLD.paid_at))"
)


def _sqlite() -> list[str]:
    run_of_slip = "(SELECT status FROM payroll_payrollrun WHERE id = {row}.run_id)"
    run_of_line = (
        "(SELECT r.status FROM payroll_payslip p JOIN payroll_payrollrun r ON r.id = p.run_id "
        "WHERE p.id = {row}.payslip_id)"
    )
    sql = []
    for table, lookup in (("payroll_payslip", run_of_slip), ("payroll_payslipline", run_of_line)):
        # No DELETE guard on SQLite: Django's test runner empties SQLite tables with DELETE between tests, and a
        # trigger cannot tell that from a real delete. PostgreSQL (TRUNCATE in tests) guards deletes too.
        for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"])):
            condition = " OR ".join(f"{lookup.format(row=row)} IN {LOCKED}" for row in rows)
            sql.append(
                f"CREATE TRIGGER {table}_locked_{event.lower()} BEFORE {event} ON {table} "
                f"WHEN {condition} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
            )
    sql.append(
        "CREATE TRIGGER payroll_payrollrun_locked_update BEFORE UPDATE ON payroll_payrollrun "
        f"WHEN OLD.status IN {LOCKED} AND NOT ({RUN_CHANGE_ALLOWED}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
    )
    return sql


def _postgresql() -> list[str]:
    # Statement-level triggers with transition tables: one check per bulk statement, not one per row.
    slip_join = "JOIN payroll_payrollrun r ON r.id = t.run_id"
    line_join = "JOIN payroll_payslip p ON p.id = t.payslip_id JOIN payroll_payrollrun r ON r.id = p.run_id"
    sql = []
    for table, join in (("payroll_payslip", slip_join), ("payroll_payslipline", line_join)):
        for event, tables in (("INSERT", ["new_rows"]), ("UPDATE", ["old_rows", "new_rows"]), ("DELETE", ["old_rows"])):
            name = f"{table}_locked_{event.lower()}"
            checks = " OR ".join(
                f"EXISTS (SELECT 1 FROM {transition} t {join} WHERE r.status IN {LOCKED})" for transition in tables
            )
            referencing = " ".join(
                f"{'NEW' if transition == 'new_rows' else 'OLD'} TABLE AS {transition}" for transition in tables
            )
            sql.append(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF {checks} THEN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; "
                "END IF; RETURN NULL; END $$;"
            )
            sql.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();"
            )
    sql.append(
        "CREATE OR REPLACE FUNCTION payroll_payrollrun_locked() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF OLD.status IN {LOCKED} AND (TG_OP = 'DELETE' OR NOT ({RUN_CHANGE_ALLOWED})) THEN "
        f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$;"
    )
    sql.append(
        "CREATE TRIGGER payroll_payrollrun_locked BEFORE UPDATE OR DELETE ON payroll_payrollrun "
        "FOR EACH ROW EXECUTE FUNCTION payroll_payrollrun_locked();"
    )
    return sql


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": _sqlite, "postgresql": _postgresql}.get(vendor, list)()
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    names = [
        f"{table}_locked_{event}"
        for table in ("payroll_payslip", "payroll_payslipline")
        for event in ("insert", "update", "delete")
    ]
    if vendor == "sqlite":
        for name in [*names, "payroll_payrollrun_locked_update", "payroll_payrollrun_locked_delete"]:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")
    elif vendor == "postgresql":
        for name in names:
            table = name.rsplit("_locked_", 1)[0]
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();")
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS payroll_payrollrun_locked ON payroll_payrollrun; "
            "DROP FUNCTION IF EXISTS payroll_payrollrun_locked();"
        )


class Migration(migrations.Migration):
    dependencies = [("payroll", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
