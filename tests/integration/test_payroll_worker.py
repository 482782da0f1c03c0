"""A real Celery worker process computes a month's payroll in the test database (PostgreSQL only)."""

import os
import signal
import subprocess
import sys
import uuid
from decimal import Decimal

import openpyxl
import pytest
from celery import Celery
from django.db import connection

from payroll import selectors, services
from payroll.choices import ExportStatus, RunStatus
from payroll.models import PayrollRun, Payslip

from ..payroll.conftest import MONTH, payroll_world, sales_employee  # noqa: F401 (fixtures)
from .conftest import ROOT, wait_for, worker_database_url

pytestmark = pytest.mark.integration


@pytest.fixture
def media_dir(tmp_path):
    """MEDIA_ROOT of the worker and of this process: the worker writes export files that the test then reads."""
    return tmp_path / "media"


@pytest.fixture
def payroll_worker(redis_url, transactional_db, media_dir):
    if connection.vendor != "postgresql":
        pytest.skip(
            "The payroll worker test needs PostgreSQL: a worker process cannot see SQLite's in-memory test database "
            "(the healthcheck worker test covers Celery on SQLite)."
        )
    queue = f"shopops-payroll-{uuid.uuid4().hex[:8]}"
    environment = dict(
        os.environ,
        CELERY_BROKER_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
        DATABASE_URL=worker_database_url(),
        MEDIA_ROOT=str(media_dir),
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
    # The worker recorded what it read: the fingerprint matches the inputs, and a change is caught at approval.
    assert run.inputs_fingerprint and not Payslip.objects.filter(run=run, inputs_fingerprint=None).exists()
    assert not selectors.run_input_changes(run=run)

    # A duplicate delivery of the same message (a worker killed before it acknowledged): still one payslip each.
    PayrollRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    client.send_task("payroll.compute_run", args=[run.pk, run.attempt], queue=queue)
    assert wait_for(lambda: PayrollRun.objects.get(pk=run.pk).status == RunStatus.READY, timeout=90), _log(process)
    assert dict(Payslip.objects.filter(run=run).values_list("employee_id", "net_pay")) == figures
    assert process.poll() is None, "the worker should still be running"


def test_a_real_worker_writes_the_export(
    payroll_worker,
    media_dir,
    sales_employee,  # noqa: F811 (the fixture)
    finance,
    settings,
    monkeypatch,
):
    client, queue, process = payroll_worker
    settings.MEDIA_ROOT = media_dir
    settings.PAYROLL_EXPORT_INLINE_MAX = 0  # a "large" run: the export is the worker's job
    for index in range(3):
        sales_employee(base=f"{7000 + 1000 * index}.00")
    run = services.start_run(month=MONTH, user=finance.user, queue=False)
    services.compute_run(run_id=run.pk, attempt=run.attempt)
    # Hand the job to the real worker's queue instead of the eager dispatch of this process.
    monkeypatch.setattr("payroll.tasks.write_payroll_export.delay", lambda export_id: None)
    job = services.request_export(run=run, user=finance.user)
    assert job.status == ExportStatus.QUEUED
    result = client.send_task("payroll.write_export", args=[job.pk], queue=queue)
    assert result.get(timeout=90) == ExportStatus.DONE, _log(process)
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (ExportStatus.DONE, 5, 5)
    with job.file.open("rb") as handle:
        bank = openpyxl.load_workbook(handle)["银行转账"]  # a message without a language: Chinese
    paid = sum(Decimal(str(bank.cell(row, 5).value)) for row in range(2, bank.max_row + 1))  # no 合计 row
    assert paid == sum(Payslip.objects.filter(run=run).values_list("net_pay", flat=True))
    again = client.send_task("payroll.write_export", args=[job.pk], queue=queue)
    assert again.get(timeout=90) == ExportStatus.DONE  # a second delivery leaves the finished job alone
    assert process.poll() is None, "the worker should still be running"
