"""A backup and restore round trip loses nothing: every business row comes back with every value."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from roles import services
from roles.backup import business_models
from roles.models import Employee
from roles.permissions import OPERATOR
from shop_ops.models import OutboxMessage

from .factories import EmployeeFactory


def snapshot():
    return {
        f"{model._meta.app_label}.{model._meta.model_name}": sorted(
            (tuple(sorted((k, str(v)) for k, v in row.items())) for row in model._base_manager.values()),
        )
        for model in business_models()
    }


@pytest.mark.django_db(transaction=True)
def test_round_trip_of_the_demo_shop_loses_nothing(tmp_path):
    call_command("load_demo", password="demo-pass-123", stdout=StringIO())
    employee = Employee.objects.get(user__username="cs")
    services.update_employee(employee=employee, phone="13900000000", by=OPERATOR)
    OutboxMessage.objects.create(task_name="payroll.compute_run", args=[1, 1])  # a job started while Redis was away
    before = snapshot()
    assert before["shop_ops.outboxmessage"]
    assert sum(len(rows) for rows in before.values()) > 500
    path = tmp_path / "backup.json.gz"
    call_command("backup_data", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="already holds employees"):
        call_command("restore_data", str(path), stdout=StringIO())
    call_command("flush", interactive=False, verbosity=0)
    assert not Employee.objects.exists()
    call_command("restore_data", str(path), stdout=StringIO())
    after = snapshot()
    assert after == before


@pytest.mark.django_db(transaction=True)
def test_restore_replace_overwrites(tmp_path):
    EmployeeFactory(full_name="备份前")
    path = tmp_path / "backup.json"
    call_command("backup_data", str(path), stdout=StringIO())
    EmployeeFactory(full_name="备份后")
    call_command("restore_data", str(path), replace=True, stdout=StringIO())
    assert list(Employee.objects.values_list("full_name", flat=True)) == ["备份前"]


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="No such file"):
        call_command("restore_data", "/nonexistent/backup.json")
