"""Handing Celery jobs to the broker so that a broker outage neither breaks the request nor loses the job.

`enqueue(task, args=[...])` is the one way a service queues a job. Inside the service's transaction it writes the
message to the outbox table; after the commit it publishes it (with a short, bounded retry) and deletes the row.
When the broker is unreachable the row stays, the request answers at once, and `flush_outbox` (every minute from
beat, when a worker starts, or `manage.py flush_job_outbox`) sends it once the broker is back. Rows are locked
with SELECT ... FOR UPDATE SKIP LOCKED while they are sent, so two flushers never send one message twice; the
tasks are idempotent anyway. With Celery running eagerly (no CELERY_BROKER_URL) the task simply runs after the
commit, as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .celery import app
from .models import OutboxMessage

logger = logging.getLogger(__name__)

QUEUE_UNAVAILABLE = _("The job queue is unavailable right now; your job is saved and will start when it is back.")


def _task_name(task) -> str:
    return task if isinstance(task, str) else task.name


def _eager() -> bool:
    return bool(app.conf.task_always_eager)


def enqueue(task, *, args: Iterable = ()) -> None:
    """Queue `task(*args)` once the current transaction commits; never raises for a broker outage.

    `args` must be JSON values (ids, ISO dates). The message is kept in the outbox until the broker has it.
    """
    args = list(args)
    json.dumps(args)  # a value JSON cannot carry is the caller's bug: fail now, not in a worker later
    if _eager():
        transaction.on_commit(lambda: task.apply_async(args))
        return
    message = OutboxMessage.objects.create(task_name=_task_name(task), args=args)
    transaction.on_commit(lambda: _send_saved(message.pk))


def _send_saved(pk: int) -> None:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if message is not None:  # None: a flusher holds it (or sent it already)
            _send(message)


def _send(message: OutboxMessage) -> bool:
    """Publish one locked outbox row; delete it when the broker took it, else record the failure."""
    try:
        app.send_task(
            message.task_name,
            args=message.args,
            ignore_result=True,  # job rows carry the outcome; waiting on a result channel would need the broker too
            retry=True,
            retry_policy=settings.CELERY_TASK_PUBLISH_RETRY_POLICY,
        )
    except Exception as error:  # any failure to publish keeps the message; the reason is logged and stored
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts + 1, last_attempt_at=timezone.now(), last_error=str(error)[:2000]
        )
        logger.warning("The job queue is unavailable; %s kept in the outbox: %s", message, error)
        return False
    message.delete()
    return True


@dataclass(frozen=True)
class FlushResult:
    sent: int
    waiting: int
    error: str = ""


def flush_outbox(*, limit: int = 1000) -> FlushResult:
    """Send the outbox's messages, oldest first, each deleted only after the broker took it.

    Stops at the first failure (the broker is still away: the other rows would fail too). Rows another flusher
    holds are skipped, so two flushers never send the same message.
    """
    sent = 0
    last_pk = 0
    error = ""
    while sent < limit:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk__gt=last_pk).order_by("pk").first()
            )
            if message is None:
                break
            last_pk = message.pk
            if not _send(message):
                error = OutboxMessage.objects.get(pk=message.pk).last_error
                break
            sent += 1
    if sent:
        logger.info("Sent %s job message(s) from the outbox.", sent)
    return FlushResult(sent=sent, waiting=OutboxMessage.objects.count(), error=error)


def waiting_args(*tasks) -> list[list]:
    """The argument lists of the tasks' messages still in the outbox (the broker has not taken them yet)."""
    names = [_task_name(task) for task in tasks]
    return list(OutboxMessage.objects.filter(task_name__in=names).values_list("args", flat=True))


def waiting_job_ids(*tasks, job_ids: Iterable[int]) -> set[int]:
    """Of these job ids, those whose message (the job's id as its first argument) still waits in the outbox:
    one query, none when there are no ids."""
    ids = set(job_ids)
    if not ids:
        return set()
    return {args[0] for args in waiting_args(*tasks) if args and args[0] in ids}


def is_waiting(task, *, args: Iterable) -> bool:
    """Whether `task(*args)` is held in the outbox because the broker was unreachable."""
    return list(args) in waiting_args(task)


def broker_status() -> str:
    """ "ok", "unavailable" or "in-process" (no broker configured: tasks run eagerly), answered within the publish
    timeout instead of hanging."""
    if _eager():
        return "in-process"
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT
            )
    except Exception as error:  # whatever the transport raises, the answer is the same
        logger.warning("The job queue is unavailable: %s", error)
        return "unavailable"
    return "ok"
