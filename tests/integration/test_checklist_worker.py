"""The morning checklist job runs in a real Celery worker against the test database (PostgreSQL)."""

import datetime

import pytest

from roles.models import ChecklistItem

from ..factories import DutyFactory, EmployeeFactory, RoleFactory

pytestmark = pytest.mark.integration


def test_worker_generates_a_day_of_checklists(shared_database, celery_worker_process):
    client, queue, process = celery_worker_process
    role = RoleFactory()
    EmployeeFactory.create_batch(3, role=role)
    DutyFactory.create_batch(2, role=role)
    monday = datetime.date(2026, 3, 2)
    first = client.send_task("roles.generate_daily_checklists", args=[monday.isoformat()], queue=queue)
    assert first.get(timeout=90) == 6
    again = client.send_task("roles.generate_daily_checklists", args=[monday.isoformat()], queue=queue)
    assert again.get(timeout=90) == 0
    assert ChecklistItem.objects.filter(period_start=monday).count() == 6
    assert process.poll() is None
