"""The production shape in docker-compose.yml: the five services, health checks, migrations on start."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "migrate" in services["web"]["command"] and "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_env_example_lists_every_variable_the_settings_read():
    example = (ROOT / ".env.example").read_text()
    for variable in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "TIME_ZONE"):
        assert f"\n{variable}=" in example, variable
