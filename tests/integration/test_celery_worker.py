"""A real Celery worker process, a real Redis broker: the healthcheck task goes out and its result comes back."""

import pytest

pytestmark = pytest.mark.integration


def test_real_worker_runs_the_healthcheck(celery_worker_process):
    client, queue, process = celery_worker_process
    result = client.send_task("shop_ops.healthcheck", queue=queue)
    try:
        value = result.get(timeout=90)
    except Exception:
        process.terminate()
        output = process.communicate(timeout=20)[0]
        raise AssertionError(f"worker did not answer; its log:\n{output}") from None
    assert value["status"] == "ok"
    assert value["db_ok"] is True
    assert value["hostname"]
    assert process.poll() is None, "the worker should still be running"


def test_eager_mode_is_the_default_without_a_broker():
    from shop_ops import settings as project_settings

    if project_settings.CELERY_BROKER_URL == "memory://":
        assert project_settings.CELERY_TASK_ALWAYS_EAGER is True
    else:
        assert project_settings.CELERY_TASK_ALWAYS_EAGER is False


def test_healthcheck_runs_eagerly_in_process(db):
    from shop_ops.celery import healthcheck

    assert healthcheck.delay().get(timeout=5)["status"] == "ok"


def test_beat_schedule_names_real_tasks():
    from shop_ops import settings as project_settings
    from shop_ops.celery import app

    app.loader.import_default_modules()
    for entry in project_settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
