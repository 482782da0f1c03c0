"""The production shape in docker-compose.yml: the five services, health checks, migrations on start."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "worker-payroll", "worker-stock", "beat"}
    for name in ("postgres", "redis", "web", "worker", "worker-payroll", "worker-stock"):
        assert "healthcheck" in services[name], name
    queues = {
        name: services[name]["command"][services[name]["command"].index("-Q") + 1]
        for name in services
        if name.startswith("worker")
    }
    assert queues == {"worker": "celery", "worker-payroll": "payroll", "worker-stock": "stock"}
    assert "migrate" in services["web"]["command"] and "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_env_example_lists_every_variable_the_settings_read():
    example = (ROOT / ".env.example").read_text()
    for variable in (
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "TIME_ZONE",
        "FIELD_ENCRYPTION_KEYS",
        "FIELD_HASH_KEY",
    ):
        assert f"\n{variable}=" in example, variable


def test_tasks_are_routed_to_their_queues():
    from shop_ops.celery import app

    router = app.amqp.router
    assert router.route({}, "payroll.compute_run")["queue"].name == "payroll"
    assert router.route({}, "inventory.close_stock_count")["queue"].name == "stock"
    assert router.route({}, "roles.generate_daily_checklists")["queue"].name == "celery"


def test_json_logs_are_one_object_per_line():
    import json
    import logging

    from shop_ops.logging import JsonFormatter

    record = logging.LogRecord("shop_ops", logging.WARNING, __file__, 1, "stock %s low", ("T恤",), None)
    line = JsonFormatter().format(record)
    assert json.loads(line) == {
        **json.loads(line),
        "level": "WARNING",
        "message": "stock T恤 low",
        "logger": "shop_ops",
    }
