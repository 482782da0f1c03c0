"""A real Celery worker process computes a month's payroll in the test database (PostgreSQL only)."""

import os
import signal
import subprocess
import sys
import uuid
from decimal import Decimal

import pytest
from celery import Celery
from django.db import connection

from payroll import services
from payroll.choices import RunStatus
from payroll.models import PayrollRun, Payslip

from ..payroll.conftest import MONTH, payroll_world, sales_employee  # noqa: F401 (fixtures)
from .conftest import ROOT, wait_for, worker_database_url

pytestmark = pytest.mark.integration


@pytest.fixture
def payroll_worker(redis_url, transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip(
            "The payroll worker test needs PostgreSQL: a worker process cannot see SQLite's in-memory test database "
            "(the healthcheck worker test covers Celery on SQLite)."
        )
    queue = f"shopops-payroll-{uuid.uuid4().hex[:8]}"
    environment = dict(
        os.environ, CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=redis_url, DATABASE_URL=worker_database_url()
    )
    command = [sys.executable, "-m", "celery", "-A", "shop_ops", "worker", "--pool=solo", "--concurrency=1"]
    command += ["-Q", queue, "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    client = Celery("shopops-payroll-test", broker=redis_url, backend=redis_url)
    try:
        yield client, queue, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        client.close()


def _log(process) -> str:
    process.terminate()
    return process.communicate(timeout=20)[0]


def test_a_real_worker_runs_a_month(payroll_worker, payroll_world, sales_employee, finance):  # noqa: F811
    client, queue, process = payroll_worker
    employees = [sales_employee(base=f"{6000 + 500 * i}.00") for i in range(6)]
    services.save_sales_figure(
        month=MONTH,
        department=payroll_world["department"],
        sales=Decimal("800000"),
        gross_profit=Decimal("250000"),
        user=None,
    )
    run = services.start_run(month=MONTH, user=finance.user, queue=False)
    client.send_task("payroll.compute_run", args=[run.pk, run.attempt], queue=queue)
    done = wait_for(lambda: PayrollRun.objects.get(pk=run.pk).status != RunStatus.RUNNING, timeout=90)
    assert done, f"the worker did not finish the run; its log:\n{_log(process)}"
    run.refresh_from_db()
    assert run.status == RunStatus.READY, run.error_message
    expected = len(employees) + 2  # the finance and manager fixtures are paid too
    assert run.done == run.total == expected
    figures = dict(Payslip.objects.filter(run=run).values_list("employee_id", "net_pay"))
    assert len(figures) == expected

    # A duplicate delivery of the same message (a worker killed before it acknowledged): still one payslip each.
    PayrollRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    client.send_task("payroll.compute_run", args=[run.pk, run.attempt], queue=queue)
    assert wait_for(lambda: PayrollRun.objects.get(pk=run.pk).status == RunStatus.READY, timeout=90), _log(process)
    assert dict(Payslip.objects.filter(run=run).values_list("employee_id", "net_pay")) == figures
    assert process.poll() is None, "the worker should still be running"
