"""Fault tests: a real Celery worker is killed with SIGKILL in the middle of a payroll run and of a stock count
close, and after a worker comes back the job ends with exactly the rows a run without the fault gives.

Two ways a worker dies, each test runs both:
- "worker": the whole worker (main process and pool) is killed, as a crashed or evicted container. Nothing is
  acknowledged and nothing requeues the message: Redis keeps it in its unacked set, and a worker started later
  restores it once it is older than the visibility timeout (kombu's Redis transport does this in the *consuming*
  worker, when its event loop starts and then about every 100 s; the publisher never does). So the workers get
  CELERY_VISIBILITY_TIMEOUT=5 and the test starts the second worker after that, counted from the delivery.
- "pool-child": only the prefork pool process running the task is killed, as the OOM killer does. The main
  process sees the worker lost and, with task_acks_late + task_reject_on_worker_lost, requeues the message at
  once; the pool's new process runs it again.

"In the middle" without sleeps in product code: a second database session holds a row lock that only a middle
batch needs (an employee row for payroll: the payslip's foreign key check; a stock level for the count close:
post_movements locks it), so the worker commits some batches and then waits on that lock, at a known point.
The test checks it is mid-way (some progress, not all), kills it, releases the lock, and lets a worker finish.
Small batches (PAYROLL_BATCH_SIZE, INVENTORY_COUNT_CLOSE_CHUNK) make a small job have many of them.

PostgreSQL and Redis only (CI's second leg): a worker process cannot see SQLite's in-memory test database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
from celery import Celery
from django.db import connection
from django.db.models import Count

from inventory import services as inventory_services
from inventory.choices import CountStatus, JobStatus, LossReportStatus, MovementKind
from inventory.models import InventoryJob, LossReport, StockCount, StockCountLine, StockLevel, StockMovement
from inventory.services import MovementInput, post_movements
from payroll import services as payroll_services
from payroll.calculation import MonthData
from payroll.choices import AdjustmentKind, RunStatus
from payroll.models import PayrollRun, Payslip, PayslipLine
from roles.models import Employee

from ..inventory.factories import LocationFactory, SkuFactory, WarehouseFactory
from ..payroll.conftest import MONTH, payroll_world, sales_employee  # noqa: F401 (fixtures)
from .conftest import child_pids, kill_worker, start_worker, unacked_since, wait_for

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT = 5  # seconds; production keeps the default hour (see CELERY_VISIBILITY_TIMEOUT)
BATCH = 3  # employees per payroll batch and lines per count-close chunk in the workers
KILLS = ["worker", "pool-child"]


class Workers:
    """The real worker processes of one test, all on one queue, with one log file; the test kills them."""

    def __init__(self, *, redis_url: str, database_url: str, log_dir):
        self.queue = f"shopops-fault-{uuid.uuid4().hex[:8]}"
        self.log = log_dir / "workers.log"
        self.environment = dict(
            os.environ,
            CELERY_BROKER_URL=redis_url,
            CELERY_RESULT_BACKEND=redis_url,
            DATABASE_URL=database_url,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
            PAYROLL_BATCH_SIZE=str(BATCH),
            INVENTORY_COUNT_CLOSE_CHUNK=str(BATCH),
        )
        self.redis_url = redis_url
        self.database_url = database_url
        self.client = Celery("shopops-fault-test", broker=redis_url, backend=redis_url)
        self.processes = []

    def start(self):
        # Prefork, as deployed: its main process acknowledges and requeues while the pool process runs the task
        # (with --pool=solo an early acknowledgement would wait for the task to end, hiding a missing acks_late).
        process = start_worker(queue=self.queue, environment=self.environment, log=self.log, pool="prefork")
        self.processes.append(process)
        return process

    def send(self, name: str, *args):
        return self.client.send_task(name, args=list(args), queue=self.queue)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else "(no log)"

    def close(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    kill_worker(process)
        self.client.close()


@pytest.fixture
def workers(shared_database, redis_url, tmp_path):
    pool = Workers(redis_url=redis_url, database_url=shared_database, log_dir=tmp_path)
    try:
        yield pool
    finally:
        pool.close()


@contextmanager
def held_row_lock(database_url: str, sql: str, params: list):
    """A second session locks rows (SELECT ... FOR UPDATE) until the block ends; yields its backend pid."""
    with psycopg.connect(database_url) as session:
        session.execute(sql, params)
        try:
            yield session.info.backend_pid
        finally:
            session.rollback()


def blocked_by(pid: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid])
        return cursor.fetchone()[0]


def kill_mid_job(workers: Workers, *, kill: str, task, lock_sql: str, lock_params: list, mid_way):
    """Run the task on a worker until it waits on the held lock, check it is mid-way, SIGKILL it (whole worker or
    only its pool process), release the lock, and have a worker take the message again."""
    with held_row_lock(workers.database_url, lock_sql, lock_params) as locker:
        worker = workers.start()
        result = task()
        waiting = wait_for(lambda: blocked_by(locker), timeout=60, interval=0.05)
        assert waiting, f"the worker never reached the middle of the job; its log:\n{workers.output()}"
        mid_way()
        taken_at = unacked_since(workers.redis_url, result.id)
        assert taken_at is not None, "acks_late: the message must stay unacknowledged while the task runs"
        if kill == "worker":
            kill_worker(worker)
        else:
            children = child_pids(worker.pid)
            assert len(children) == 1, f"expected one pool process, found {children}"
            os.kill(children[0], signal.SIGKILL)
    # The lock is released: the killed task's database session is gone or rolls back when it finds no client.
    if kill == "worker":
        # Nothing requeues the message of a worker killed whole; the next worker restores it when it starts,
        # provided it is older than the visibility timeout by then.
        time.sleep(max(0.0, taken_at + VISIBILITY_TIMEOUT + 0.5 - time.time()))
        workers.start()
    return result


def finish(workers: Workers, result, expected: str):
    outcome = wait_for(lambda: result.state in {"SUCCESS", "FAILURE"}, timeout=90)
    assert outcome, f"the job did not finish after the kill; worker log:\n{workers.output()}"
    assert result.get(timeout=5) == expected, workers.output()
    acknowledged = wait_for(lambda: unacked_since(workers.redis_url, result.id) is None, timeout=20)
    assert acknowledged, "the finished task's message is still unacknowledged"
    assert workers.processes[-1].poll() is None, f"the last worker should still run; its log:\n{workers.output()}"


# --- Payroll -----------------------------------------------------------------------------------------------------


def _payslips(run: PayrollRun) -> dict[int, tuple]:
    """Every stored figure of a run, per employee: the payslip's amounts and all its lines."""
    lines: dict[int, list] = {}
    for row in PayslipLine.objects.filter(payslip__run=run).order_by("payslip_id", "order"):
        lines.setdefault(row.payslip_id, []).append((row.order, row.code, row.kind, row.exact, row.amount))
    figures = {}
    for slip in Payslip.objects.filter(run=run):
        amounts = (slip.gross_pay, slip.net_pay, slip.income_tax, slip.structure_version_id, slip.days_worked)
        figures[slip.employee_id] = (amounts, tuple(lines.get(slip.pk, ())))
    return figures


@pytest.mark.parametrize("kill", KILLS)
def test_payroll_run_survives_a_killed_worker(workers, kill, payroll_world, sales_employee, finance):  # noqa: F811
    employees = [sales_employee(base=f"{5000 + 250 * i}.00") for i in range(28)]
    payroll_services.save_sales_figure(
        month=MONTH,
        department=payroll_world["department"],
        sales=Decimal("900000"),
        gross_profit=Decimal("270000"),
        user=None,
    )
    payroll_services.add_adjustment(
        month=MONTH, employee=employees[3], kind=AdjustmentKind.BONUS, amount=Decimal("800"), reason="Q1", user=None
    )
    payroll_services.save_attendance(month=MONTH, employee=employees[20], days_worked=Decimal("15"), user=None)
    eligible = MonthData(MONTH).employee_ids()
    assert len(eligible) == len(employees) + 2  # the finance and manager fixtures are paid too
    # Batch 1 to 5 (of 10) store their payslips; batch 6 waits at its commit for this employee's row.
    middle = eligible[5 * BATCH]
    run = payroll_services.start_run(month=MONTH, user=finance.user, queue=False)

    def mid_way():
        run.refresh_from_db()
        assert run.status == RunStatus.RUNNING
        assert (run.done, run.total) == (5 * BATCH, len(eligible))
        assert Payslip.objects.filter(run=run).count() == 5 * BATCH

    result = kill_mid_job(
        workers,
        kill=kill,
        task=lambda: workers.send("payroll.compute_run", run.pk, run.attempt),
        lock_sql=f"SELECT id FROM {Employee._meta.db_table} WHERE id = %s FOR UPDATE",  # noqa: S608
        lock_params=[middle],
        mid_way=mid_way,
    )
    finish(workers, result, "ready")

    run.refresh_from_db()
    assert (run.status, run.attempt, run.error_message) == (RunStatus.READY, 1, "")
    assert run.done == run.total == len(eligible)
    payslips = Payslip.objects.filter(run=run)
    assert sorted(payslips.values_list("employee_id", flat=True)) == sorted(eligible)  # one each, none twice
    assert (
        not PayslipLine.objects.filter(payslip__run=run)
        .values("payslip", "code")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    after_fault = _payslips(run)

    # The reference: the same month computed again in this process, with no fault, in one batch.
    reference = payroll_services.start_run(month=MONTH, user=finance.user, queue=False)
    assert payroll_services.compute_run(run_id=reference.pk, attempt=reference.attempt) == "ready"
    assert _payslips(reference) == after_fault
    assert after_fault[employees[3].pk][1] != after_fault[employees[4].pk][1]  # the bonus and bases tell apart


# --- Stock count close -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kill", KILLS)
def test_count_close_survives_a_killed_worker(workers, kill, warehouse, monkeypatch, wh_supervisor):
    store = WarehouseFactory(code="hz", name="杭州主仓")
    shelf = LocationFactory(warehouse=store, code="A-01")
    skus = [SkuFactory(unit_cost=Decimal(f"{10 + i}.50")) for i in range(30)]
    post_movements(
        movements=[MovementInput(sku.pk, shelf.pk, MovementKind.RECEIPT, 10) for sku in skus], user=warehouse.user
    )
    count = inventory_services.open_stock_count(warehouse=store, period=MONTH, user=warehouse.user)
    lines = list(count.lines.order_by("pk"))
    # Every chunk of three lines (the worker's chunk size) has a shortage, a match and a surplus.
    for index, line in enumerate(lines):
        found = line.snapshot_quantity + (-2, 0, 1)[index % 3]
        inventory_services.record_count(line=line, counted_quantity=found, user=warehouse.user)
    expected = {(ln.sku_id, ln.location_id): ln.snapshot_quantity + (-2, 0, 1)[i % 3] for i, ln in enumerate(lines)}
    # Close as a job, even this small count.
    monkeypatch.setattr(inventory_services.counts, "COUNT_CLOSE_INLINE_LINES", 0)
    monkeypatch.setattr("inventory.tasks.close_stock_count_job.delay", lambda job_id: None)  # the test sends it
    job = inventory_services.close_stock_count(count=count, user=wh_supervisor.user)
    assert isinstance(job, InventoryJob)
    # Chunks 1 to 5 (of 10) commit; chunk 6 waits for this level, the shortage line that opens it.
    middle = StockLevel.objects.get(sku_id=lines[5 * BATCH].sku_id, location=shelf)

    def mid_way():
        adjusted = StockCountLine.objects.filter(count=count, adjusted=True).count()
        assert adjusted == 5 * BATCH
        assert StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION).count() == 5 * 2
        assert InventoryJob.objects.get(pk=job.pk).status == JobStatus.RUNNING
        assert StockCount.objects.get(pk=count.pk).status == CountStatus.CLOSING

    result = kill_mid_job(
        workers,
        kill=kill,
        task=lambda: workers.send("inventory.close_stock_count_job", job.pk),
        lock_sql=f"SELECT id FROM {StockLevel._meta.db_table} WHERE id = %s FOR UPDATE",  # noqa: S608
        lock_params=[middle.pk],
        mid_way=mid_way,
    )
    finish(workers, result, JobStatus.DONE)

    job.refresh_from_db()
    count.refresh_from_db()
    assert (job.status, job.done, job.total, job.error) == (JobStatus.DONE, 30, 30, "")
    assert count.status == CountStatus.CLOSED and count.closed_at is not None
    assert not count.lines.filter(adjusted=False).exists()
    corrections = StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION)
    differing = {key: found - 10 for key, found in expected.items() if found != 10}
    assert sorted(corrections.values_list("sku_id", "location_id", "quantity")) == sorted(
        (sku, location, change) for (sku, location), change in differing.items()
    )  # exactly one correction per differing line, none twice
    assert all(c.reference == f"COUNT-{count.pk}" for c in corrections)
    levels = {(lv.sku_id, lv.location_id): lv.on_hand for lv in StockLevel.objects.filter(location=shelf)}
    assert levels == expected
    report = LossReport.objects.get(count=count)  # exactly one
    shortages = {(sku, location): -change for (sku, location), change in differing.items() if change < 0}
    assert {(line.sku_id, line.location_id): line.quantity for line in report.lines.filter(surplus=False)} == shortages
    surpluses = {(sku, location): change for (sku, location), change in differing.items() if change > 0}
    assert {(line.sku_id, line.location_id): line.quantity for line in report.lines.filter(surplus=True)} == surpluses
    cost = {sku.pk: sku.unit_cost for sku in skus}
    assert report.status == LossReportStatus.PENDING
    assert report.total_quantity == sum(shortages.values()) == 20
    assert report.total_value == sum(cost[sku] * quantity for (sku, _loc), quantity in shortages.items())
