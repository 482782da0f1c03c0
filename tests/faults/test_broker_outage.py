"""Redis down under a running web app: pages still serve, starting a job answers at once with "the queue is
unavailable", the job waits in the outbox, and once Redis is back a starting worker sends it and runs it to the end.

gunicorn, the flush command and the worker are real processes on the test database (PostgreSQL: a process cannot
see SQLite's in-memory test database), with a private redis-server the test kills and starts again.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from inventory.choices import JobStatus
from inventory.models import InventoryJob
from payroll import services
from payroll.choices import RunStatus
from payroll.models import PayrollRun
from shop_ops.models import OutboxMessage

from ..integration.conftest import ROOT, shared_database, wait_for  # noqa: F401 (fixture)
from ..payroll.conftest import MONTH, payroll_world, sales_employee  # noqa: F401 (fixtures)
from .conftest import stop, timed, web_app

pytestmark = pytest.mark.faults

PASSWORD = "outage-pass-1234"
QUEUE_UNAVAILABLE = "The job queue is unavailable right now; your job is saved and will start when it is back."
EN = {"Accept-Language": "en"}
WORKER_OPTIONS = ["--loglevel=INFO", "--without-gossip", "--without-mingle"]


def _server_password(user) -> None:
    """A password the server can check (the tests' own settings hash with MD5, which production does not accept)."""
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "faultsalt", iterations=1000)
    user.save(update_fields=["password"])


def test_redis_down_keeps_the_app_serving_and_loses_no_job(
    shared_database,  # noqa: F811
    private_redis,
    static_root,
    tmp_path,
    payroll_world,  # noqa: F811
    sales_employee,  # noqa: F811
    finance,
):
    queue = f"shopops-fault-{uuid.uuid4().hex[:8]}"
    variables = {
        "DATABASE_URL": shared_database,
        "CELERY_BROKER_URL": private_redis.url,
        "CELERY_RESULT_BACKEND": private_redis.url,
        "CELERY_PAYROLL_QUEUE": queue,
        "CELERY_STOCK_QUEUE": queue,
        "MEDIA_ROOT": str(tmp_path),
    }
    for i in range(3):
        sales_employee(base=f"{7000 + 500 * i}.00")
    services.save_sales_figure(
        month=MONTH,
        department=payroll_world["department"],
        sales=Decimal("500000"),
        gross_profit=Decimal("150000"),
        user=None,
    )
    _server_password(finance.user)
    web = web_app(static_root, **variables)
    web.start()
    worker = None
    try:
        assert web.health().json()["broker"] == "ok"
        cookies = web.log_in(finance.user.username, PASSWORD)
        token = {"Authorization": f"Token {web.token(finance.user.username, PASSWORD)}", **EN}

        private_redis.kill()

        timings = {}
        health, seconds = timed(web.health)
        timings["health"] = seconds
        assert (health.status_code, health.json()["status"], health.json()["broker"]) == (
            200,
            "degraded",
            "unavailable",
        )
        assert seconds < 5
        for path in ("/org/", "/payroll/", "/inventory/summary/"):
            answer, seconds = timed(lambda path=path: web.get(path, cookies=cookies, headers=EN))
            assert answer.status_code == 200, (path, answer.status_code)
            assert seconds < 5

        # Start the payroll from its page: the request answers at once, and the run's page says the job waits.
        started, seconds = timed(
            lambda: web.post(
                "/payroll/",
                data={"month": f"{MONTH:%Y-%m}", "csrfmiddlewaretoken": cookies["csrftoken"]},
                cookies=cookies,
                headers={**EN, "Referer": web.base + "/payroll/"},
            )
        )
        assert started.status_code == 302, started.text[:1000]
        assert seconds < 5
        timings["start payroll (page)"] = seconds
        # The flash message travels in a cookie (marked Secure by the server, so passed on by hand).
        run_page = web.get(started.headers["Location"], cookies={**cookies, **started.cookies}, headers=EN)
        assert run_page.status_code == 200
        assert run_page.text.count(QUEUE_UNAVAILABLE) == 2, run_page.text  # the message, and the status box

        # Ask for an export through the API: 202 with the job, flagged as waiting for the queue.
        export, seconds = timed(
            lambda: web.post("/api/inventory/summary/export/", json={"month": f"{MONTH:%Y-%m}"}, headers=token)
        )
        assert seconds < 5
        timings["export (API)"] = seconds
        assert export.status_code == 202, export.text
        assert export.json()["waiting_for_queue"] is True
        assert export.json()["queue_message"] == QUEUE_UNAVAILABLE
        job_id = export.json()["id"]
        assert web.get(f"/api/inventory/jobs/{job_id}/", headers=token).json()["waiting_for_queue"] is True

        run = PayrollRun.objects.get(month=MONTH)
        waiting = {(m.task_name, tuple(m.args)): m.attempts for m in OutboxMessage.objects.all()}
        assert waiting == {
            ("payroll.compute_run", (run.pk, run.attempt)): 1,
            ("inventory.export_summary_job", (job_id, "en")): 1,  # the job carries the language of the page that asked
        }
        assert web.health().json()["jobs_waiting"] == 2

        # The flush command while Redis is still down: says so, keeps every message.
        flush = subprocess.run(
            [sys.executable, "manage.py", "flush_job_outbox"],
            cwd=ROOT,
            env=web.environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert flush.returncode == 1
        assert "The job queue is still unavailable" in flush.stderr
        assert OutboxMessage.objects.count() == 2

        # Redis is back: the web app sees it again, and a worker that starts sends the waiting jobs and runs them.
        private_redis.start()
        assert wait_for(lambda: web.health().json()["broker"] == "ok", timeout=10)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop_ops", "worker", "--pool=solo", "-Q", queue, *WORKER_OPTIONS],
            cwd=ROOT,
            env=web.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def finished():
            run.refresh_from_db()
            job = InventoryJob.objects.get(pk=job_id)
            return run.status != RunStatus.RUNNING and job.status not in (JobStatus.QUEUED, JobStatus.RUNNING)

        _, timings["worker start to both jobs done"] = timed(lambda: wait_for(finished, timeout=90))
        assert finished(), f"the jobs did not finish; worker log:\n{stop(worker)}"
        print("Redis down, seconds:", {name: round(value, 3) for name, value in timings.items()})
        assert run.status == RunStatus.READY, run.error_message
        assert run.done == run.total == 5  # three sales staff, the finance and manager fixtures
        assert InventoryJob.objects.get(pk=job_id).status == JobStatus.DONE
        assert not OutboxMessage.objects.exists()
        assert web.get(f"/api/inventory/jobs/{job_id}/", headers=token).json()["waiting_for_queue"] is False
        assert QUEUE_UNAVAILABLE not in web.get(started.headers["Location"], cookies=cookies, headers=EN).text
    except BaseException:
        print("web log:\n", web.log())
        if worker is not None:
            print("worker log:\n", stop(worker))
        raise
    finally:
        if worker is not None:
            stop(worker)
        web.log()
