"""The monthly count in a real Celery worker against the test database (PostgreSQL): the beat task opens the
month's counts, counters record what they find, and the close job posts the corrections and the loss report."""

import datetime
from decimal import Decimal

import pytest

from inventory import services
from inventory.choices import CountStatus, JobStatus, LossReportStatus, MovementKind
from inventory.models import InventoryJob, LossReport, StockCount, StockLevel, StockMovement
from inventory.services import MovementInput, post_movements

from ..inventory.factories import LocationFactory, SkuFactory, WarehouseFactory

pytestmark = pytest.mark.integration


def test_worker_opens_the_monthly_count_and_closes_it(
    shared_database, celery_worker_process, warehouse, monkeypatch, settings, wh_supervisor
):
    client, queue, process = celery_worker_process
    store = WarehouseFactory(code="hz", name="杭州主仓")
    shelf = LocationFactory(warehouse=store, code="A-01")
    shirt = SkuFactory(code="TS-W-M", unit_cost=Decimal("25.50"))
    jeans = SkuFactory(code="JN-B-30", unit_cost=Decimal("80.00"))
    post_movements(
        movements=[
            MovementInput(shirt.pk, shelf.pk, MovementKind.RECEIPT, 10),
            MovementInput(jeans.pk, shelf.pk, MovementKind.RECEIPT, 4),
        ],
        user=warehouse.user,
    )
    settings.INVENTORY_COUNT_DAY = 0  # the worker reads its own settings; 0 (last day of the month) is the default
    not_yet = client.send_task("inventory.open_stock_counts", args=["2026-03-30"], queue=queue)
    assert not_yet.get(timeout=90) == []
    opened = client.send_task("inventory.open_stock_counts", args=["2026-03-31"], queue=queue).get(timeout=90)
    assert len(opened) == 1
    again = client.send_task("inventory.open_stock_counts", args=["2026-03-31"], queue=queue)
    assert again.get(timeout=90) == []  # a second run opens nothing
    count = StockCount.objects.get(pk=opened[0])
    assert (count.warehouse, count.period, count.status) == (store, datetime.date(2026, 3, 1), CountStatus.OPEN)
    lines = {line.sku_id: line for line in count.lines.all()}
    assert {sku: line.snapshot_quantity for sku, line in lines.items()} == {shirt.pk: 10, jeans.pk: 4}

    services.record_count(line=lines[shirt.pk], counted_quantity=7, user=warehouse.user)  # 3 missing
    services.record_count(line=lines[jeans.pk], counted_quantity=4, user=warehouse.user)
    # Close as a background job, and hand the job to the real worker instead of running it in this process.
    monkeypatch.setattr(services.counts, "COUNT_CLOSE_INLINE_LINES", 0)
    monkeypatch.setattr("inventory.tasks.close_stock_count_job.delay", lambda job_id: None)
    job = services.close_stock_count(count=count, user=wh_supervisor.user)
    assert isinstance(job, InventoryJob) and job.status == JobStatus.QUEUED
    result = client.send_task("inventory.close_stock_count_job", args=[job.pk], queue=queue)
    assert result.get(timeout=90) == JobStatus.DONE

    job.refresh_from_db()
    count.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.DONE, 2, 2)
    assert count.status == CountStatus.CLOSED and count.closed_at is not None
    correction = StockMovement.objects.get(kind=MovementKind.COUNT_CORRECTION)
    assert (correction.sku, correction.quantity, correction.value) == (shirt, -3, Decimal("-76.50"))
    assert StockLevel.objects.get(sku=shirt, location=shelf).on_hand == 7
    report = LossReport.objects.get(count=count)
    assert (report.status, report.total_quantity, report.total_value) == (
        LossReportStatus.PENDING,
        3,
        Decimal("76.50"),
    )
    assert [h.status for h in count.history.order_by("history_date")][-1] == CountStatus.CLOSED
    rerun = client.send_task("inventory.close_stock_count_job", args=[job.pk], queue=queue)
    assert rerun.get(timeout=90) == JobStatus.DONE
    assert StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION).count() == 1  # nothing posted twice
    assert process.poll() is None
