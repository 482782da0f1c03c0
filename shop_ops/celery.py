"""The Celery application: a worker is `celery -A shop_ops worker`, the scheduler `celery -A shop_ops beat`."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_ops.settings")

app = Celery("shop_ops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="shop_ops.healthcheck")
def healthcheck() -> dict:
    """Prove a worker is alive and reaches the database; returns what it saw."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {
        "status": "ok",
        "database": connection.vendor,
        "db_ok": one == 1,
        "hostname": healthcheck.request.hostname,
    }


@worker_ready.connect
def flush_job_outbox_when_ready(sender, **kwargs) -> None:
    """A worker that starts (e.g. after a broker outage) asks for the waiting job messages to be sent, on a queue
    it consumes itself, so the flush runs even when this is the only worker."""
    queues = sorted(sender.app.amqp.queues.consume_from or ())
    sender.app.send_task("shop_ops.flush_job_outbox", queue=queues[0] if queues else None, ignore_result=True)
