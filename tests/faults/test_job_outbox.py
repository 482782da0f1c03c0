"""shop_ops.jobs: a job whose broker is unreachable waits in the outbox and is sent later, never lost, never sent
twice; the pages and the API say it waits. The broker here is a real address with nothing listening (publishing
fails as it does when Redis is down); the flush tests publish to an in-memory broker."""

from __future__ import annotations

import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from kombu import Connection

from inventory import services as inventory_services
from inventory.choices import CountStatus, JobStatus, MovementKind
from inventory.models import InventoryJob
from payroll import services as payroll_services
from payroll.models import PayrollRun
from shop_ops import jobs
from shop_ops.celery import app
from shop_ops.models import OutboxMessage
from shop_ops.tasks import flush_job_outbox

from ..inventory.conftest import bin_a, main_warehouse, stock, tshirt  # noqa: F401 (fixtures)
from ..payroll.conftest import MONTH, payroll_world, sales_employee  # noqa: F401 (fixtures)
from .conftest import free_port

QUEUE_UNAVAILABLE = "The job queue is unavailable right now; your job is saved and will start when it is back."


def _use_broker(monkeypatch, url: str) -> None:
    # Celery reads CELERY_BROKER_URL from the environment ahead of its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setattr(app.conf, "CELERY_TASK_ALWAYS_EAGER", False)
    _forget_connections()


def _forget_connections() -> None:
    """Drop the app's pooled broker connections, so the next publish connects to the broker now configured (what
    Celery itself does after a fork)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(monkeypatch):
    _use_broker(monkeypatch, f"redis://127.0.0.1:{free_port()}/0")
    yield
    _forget_connections()


@pytest.fixture
def memory_broker(monkeypatch):
    """A real broker in this process (kombu's memory transport): what is published can be read back."""
    _use_broker(monkeypatch, "memory://")
    yield
    _forget_connections()


def _published(queue: str) -> list[tuple[str, list]]:
    with Connection("memory://") as conn:
        simple = conn.SimpleQueue(queue)
        found = []
        while True:
            try:
                message = simple.get(block=False)
            except simple.Empty:
                return found
            found.append((message.headers["task"], message.payload[0]))
            message.ack()


def test_eager_mode_runs_the_job_after_commit_and_keeps_no_row(
    db, finance, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        job = inventory_services.request_summary_export(month=MONTH, user=finance.user)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert not OutboxMessage.objects.exists()
    assert jobs.broker_status() == "in-process"


def test_broker_down_keeps_the_message_and_answers_at_once(
    broker_down,
    payroll_world,  # noqa: F811
    sales_employee,  # noqa: F811
    finance,
    django_capture_on_commit_callbacks,
):
    sales_employee()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        run = payroll_services.start_run(month=MONTH, user=finance.user)
    assert time.monotonic() - started < 5
    message = OutboxMessage.objects.get()
    assert (message.task_name, message.args, message.attempts) == ("payroll.compute_run", [run.pk, run.attempt], 1)
    assert "Connection refused" in message.last_error and message.last_attempt_at is not None
    assert jobs.is_waiting("payroll.compute_run", args=[run.pk, run.attempt])
    assert jobs.broker_status() == "unavailable"


def test_rolled_back_job_leaves_no_message(broker_down, finance):
    with pytest.raises(RuntimeError), transaction.atomic():
        inventory_services.request_summary_export(month=MONTH, user=finance.user)
        raise RuntimeError("the request failed after queueing")
    assert not OutboxMessage.objects.exists()


def test_arguments_must_be_json(broker_down, db):
    with pytest.raises(TypeError):
        jobs.enqueue(flush_job_outbox, args=[object()])
    assert not OutboxMessage.objects.exists()


def test_flush_sends_every_message_and_deletes_it(memory_broker, db):
    queues = {route["queue"] for route in app.conf.task_routes.values()}
    with Connection("memory://") as conn:
        for queue in queues:  # declared (and bound) before publishing, as a worker would have done
            conn.SimpleQueue(queue).close()
    OutboxMessage.objects.create(task_name="inventory.export_summary_job", args=[7])
    OutboxMessage.objects.create(task_name="payroll.compute_run", args=[3, 2])
    result = jobs.flush_outbox()
    assert (result.sent, result.waiting) == (2, 0)
    assert not OutboxMessage.objects.exists()
    sent = [message for queue in sorted(queues) for message in _published(queue)]
    assert sorted(sent) == [("inventory.export_summary_job", [7]), ("payroll.compute_run", [3, 2])]


def test_flush_stops_at_the_first_failure_and_keeps_everything(broker_down, db):
    for pk in range(3):
        OutboxMessage.objects.create(task_name="inventory.export_summary_job", args=[pk])
    result = jobs.flush_outbox()
    assert (result.sent, result.waiting) == (0, 3)
    assert "Connection refused" in result.error
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [0, 0, 1]  # one try, not three
    with pytest.raises(CommandError, match="still unavailable"):
        call_command("flush_job_outbox", stdout=StringIO())


def test_flush_command_and_task(memory_broker, db):
    OutboxMessage.objects.create(task_name="inventory.export_summary_job", args=[1])
    out = StringIO()
    call_command("flush_job_outbox", stdout=out)
    assert out.getvalue().strip() == "1 job message(s) sent; 0 waiting."
    OutboxMessage.objects.create(task_name="inventory.export_summary_job", args=[2])
    assert flush_job_outbox.apply().get() == {"sent": 1, "waiting": 0}
    assert not OutboxMessage.objects.exists()


def test_flush_is_scheduled_every_minute(settings):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "shop_ops.flush_job_outbox")
    assert str(entry["schedule"]) == str(__import__("celery").schedules.crontab())


def test_two_flushers_never_send_the_same_message(memory_broker, transactional_db):
    """A row another flusher holds (SELECT ... FOR UPDATE SKIP LOCKED) is skipped, not sent a second time."""
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL; SQLite runs one writer at a time anyway.")
    held = OutboxMessage.objects.create(task_name="inventory.export_summary_job", args=[1])
    free = OutboxMessage.objects.create(task_name="inventory.export_summary_job", args=[2])
    locked, release = threading.Event(), threading.Event()

    def other_flusher():
        from django.db import connection as own

        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=20)
        finally:
            own.close()

    thread = threading.Thread(target=other_flusher)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        result = jobs.flush_outbox()
    finally:
        release.set()
        thread.join(timeout=20)
    assert (result.sent, result.waiting) == (1, 1)
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [held.pk]
    assert not OutboxMessage.objects.filter(pk=free.pk).exists()


def test_run_page_and_api_say_the_job_waits(
    broker_down,
    client_as,
    api_as,
    payroll_world,  # noqa: F811
    sales_employee,  # noqa: F811
    finance,
    django_capture_on_commit_callbacks,
):
    sales_employee()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(finance).post(reverse("payroll:run-list"), {"month": "2026-03"}, follow=True)
    page = response.content.decode()
    assert page.count(QUEUE_UNAVAILABLE) == 2, page  # the message, and the status box while it waits
    run = PayrollRun.objects.get(month=MONTH)
    detail = api_as(finance).get(f"/api/payroll/runs/{run.pk}/").json()
    assert (detail["waiting_for_queue"], detail["queue_message"]) == (True, QUEUE_UNAVAILABLE)
    OutboxMessage.objects.all().delete()  # sent meanwhile
    detail = api_as(finance).get(f"/api/payroll/runs/{run.pk}/").json()
    assert (detail["waiting_for_queue"], detail["queue_message"]) == (False, None)


def test_export_and_job_pages_say_the_job_waits(
    broker_down, client_as, api_as, finance, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(finance).post(reverse("inventory:summary-export"), {"month": "2026-03"}, follow=True)
    assert response.content.decode().count(QUEUE_UNAVAILABLE) == 2  # the message and the job's progress box
    job = InventoryJob.objects.get()
    assert job.status == JobStatus.QUEUED
    fragment = client_as(finance).get(reverse("inventory:job-progress", args=[job.pk])).content.decode()
    assert QUEUE_UNAVAILABLE in fragment
    with django_capture_on_commit_callbacks(execute=True):
        api_as(finance).post("/api/inventory/summary/export/", {"month": "2026-04"}, format="json")
    listing = api_as(finance).get("/api/inventory/jobs/").json()["results"]
    assert [item["waiting_for_queue"] for item in listing] == [True, True]


def test_closing_a_big_count_says_the_job_waits(
    broker_down,
    api_as,
    warehouse,
    wh_supervisor,
    tshirt,  # noqa: F811
    bin_a,  # noqa: F811
    stock,  # noqa: F811
    main_warehouse,  # noqa: F811
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(inventory_services.counts, "COUNT_CLOSE_INLINE_LINES", 0)
    stock(tshirt, bin_a, MovementKind.RECEIPT, 3)
    count = inventory_services.open_stock_count(warehouse=main_warehouse, period=MONTH, user=warehouse.user)
    inventory_services.record_count(line=count.lines.get(), counted_quantity=2, user=warehouse.user)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(wh_supervisor).post(f"/api/inventory/counts/{count.pk}/close/")
    assert time.monotonic() - started < 5
    assert response.status_code == 202
    job = response.json()["job"]
    assert (job["status"], job["waiting_for_queue"], job["queue_message"]) == ("queued", True, QUEUE_UNAVAILABLE)
    assert response.json()["status"] == CountStatus.CLOSING
    assert jobs.is_waiting("inventory.close_stock_count_job", args=[job["id"]])


def test_a_payroll_export_asked_for_while_redis_is_down_says_it_waits(
    broker_down,
    client_as,
    api_as,
    payroll_world,  # noqa: F811
    sales_employee,  # noqa: F811
    finance,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path
    settings.PAYROLL_EXPORT_INLINE_MAX = 0  # every export is a job
    sales_employee()
    run = payroll_services.start_run(month=MONTH, user=finance.user, queue=False)
    payroll_services.compute_run(run_id=run.pk, attempt=run.attempt)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(finance).post(reverse("payroll:run-export", args=[run.label]), follow=True)
    assert response.content.decode().count(QUEUE_UNAVAILABLE) == 2  # the message and the export's progress box
    assert OutboxMessage.objects.get().task_name == "payroll.write_export"
    listing = api_as(finance).get("/api/payroll/exports/").json()["results"]
    assert [(item["waiting_for_queue"], item["queue_message"]) for item in listing] == [(True, QUEUE_UNAVAILABLE)]
