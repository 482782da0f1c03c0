"""Two indexes that the unique constraints already cover, dropped: the unique (payslip, order) index serves every
lookup of a payslip's lines and the unique (run, employee) index every lookup of a run's payslips. One index less to
fill for each of the ~9 lines of every payslip a run writes.

Only the indexes go (DROP INDEX on SQLite and PostgreSQL alike): altering the fields would make SQLite rebuild the
tables and lose the read-only triggers of 0002, and PostgreSQL re-check the foreign keys.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = (
    ("payroll_payslip_run_id_e22e8ff6", "payroll_payslip", "run_id"),
    ("payroll_payslipline_payslip_id_dff0bc38", "payroll_payslipline", "payslip_id"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("payroll", "0003_audit_history"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="payslip",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payslips",
                        to="payroll.payrollrun",
                        verbose_name="run",
                    ),
                ),
                migrations.AlterField(
                    model_name="payslipline",
                    name="payslip",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="lines",
                        to="payroll.payslip",
                        verbose_name="payslip",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in INDEXES
            ],
        ),
    ]
