"""PostgreSQL restarted or stopped under a running web process: requests fail cleanly (503) and recover.

A private PostgreSQL cluster (its own temporary directory and port) serves gunicorn; the test restarts and stops
it while gunicorn keeps running with its persistent connection.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ..integration.conftest import ROOT
from .conftest import timed, web_app

pytestmark = pytest.mark.faults

EN = {"Accept-Language": "en"}


def _manage(database_url: str, *args: str, **variables) -> None:
    environment = dict(os.environ, DATABASE_URL=database_url, **variables)
    environment.pop("CELERY_BROKER_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, check=True, capture_output=True, timeout=300
    )


def test_postgres_restart_and_outage_answer_503_and_recover(private_postgres, static_root):
    url = private_postgres.url
    _manage(url, "migrate", "--noinput")
    _manage(
        url,
        "createsuperuser",
        "--noinput",
        "--username=boss",
        "--email=boss@shop.invalid",
        DJANGO_SUPERUSER_PASSWORD="outage-pass-1234",
    )
    web = web_app(static_root, DATABASE_URL=url, DB_CONN_MAX_AGE="600", CELERY_BROKER_URL="")
    web.environment.pop("CELERY_BROKER_URL")
    web.start()
    try:
        cookies = web.log_in("boss", "outage-pass-1234")
        token = {"Authorization": f"Token {web.token('boss', 'outage-pass-1234')}", **EN}

        def page():
            return web.get("/org/", cookies=cookies, headers=EN)

        def api():
            return web.get("/api/departments/", headers=token)

        assert page().status_code == 200
        assert api().status_code == 200
        assert web.health().json()["database"] == "ok"

        # A restart kills the connection gunicorn keeps (CONN_MAX_AGE): the next requests reconnect and succeed.
        private_postgres.ctl("restart", "-m", "fast")
        answer, after_restart = timed(page)
        assert answer.status_code == 200
        assert api().status_code == 200

        # Down: a clean 503 each time — a page for the browser, the JSON error shape for the API, no traceback.
        private_postgres.stop()
        for _ in range(2):
            answer, down = timed(page)
            assert answer.status_code == 503, answer.text[:500]
            assert down < 10
            assert "Temporarily unavailable" in answer.text and "Traceback" not in answer.text
            assert answer.headers["Retry-After"] == "30"
            answer = api()
            assert answer.status_code == 503
            assert answer.json() == {"detail": "The database is unavailable for a moment; try again in a minute."}
        health = web.health()
        assert (health.status_code, health.json()["status"]) == (503, "unavailable")
        login_page = web.get("/accounts/login/", headers=EN)
        assert login_page.status_code == 200  # a page that needs no database still serves

        # Back: the very next requests succeed, on the same gunicorn worker.
        private_postgres.ctl("start")
        answer, after_start = timed(page)
        assert answer.status_code == 200
        assert api().status_code == 200
        assert web.health().json()["database"] == "ok"
        assert web.process.poll() is None
        print(
            f"PostgreSQL, seconds: first page after restart {after_restart:.3f}, 503 page while down {down:.3f}, "
            f"first page after start {after_start:.3f}"
        )
    except BaseException:
        print(web.log())
        raise
    finally:
        web.log()
