"""/health/: anyone (a load balancer) learns only ok or not, by status code; the database, broker and job backlog
go to a signed-in manager past the second step, or to a monitor sending HEALTH_TOKEN."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django_otp import DEVICE_ID_SESSION_KEY

from shop_ops.models import OutboxMessage

DETAIL = {"status": "ok", "database": "ok", "broker": "in-process", "jobs_waiting": 1}
TOKEN = "a-long-monitor-token-0123456789"


@pytest.fixture
def one_job_waiting(db):
    OutboxMessage.objects.create(task_name="shop_ops.healthcheck")


@pytest.fixture
def database_down(monkeypatch):
    from django.db.backends.utils import CursorWrapper

    execute = CursorWrapper.execute

    def refuse(self, sql, params=None):
        if sql == "SELECT 1":  # the health check's query; the rest (sessions, logins) still answers
            raise OperationalError("connection refused")
        return execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", refuse)


@pytest.mark.parametrize("who", [None, "staff", "warehouse", "finance"])
def test_anyone_but_a_manager_gets_only_ok(request, client, one_job_waiting, who):
    if who:
        client.force_login(request.getfixturevalue(who).user)
    response = client.get("/health/")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_a_signed_in_manager_gets_the_detail(request, client, one_job_waiting, who):
    person = request.getfixturevalue(who)
    client.force_login(getattr(person, "user", person))
    assert client.get("/health/").json() == DETAIL


def test_a_manager_half_way_through_two_factor_gets_only_ok(client, manager, one_job_waiting, settings):
    settings.OTP_REQUIRED = True
    client.force_login(manager.user)
    assert client.get("/health/").json() == {"status": "ok"}
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = "otp_totp.totpdevice/1"
    session.save()
    assert client.get("/health/").json() == DETAIL


def test_the_configured_token_gets_the_detail_and_a_wrong_one_does_not(client, one_job_waiting, settings):
    settings.HEALTH_TOKEN = TOKEN
    assert client.get("/health/", headers={"X-Health-Token": TOKEN}).json() == DETAIL
    for wrong in ("", TOKEN[:-1], TOKEN + "x", "日本"):
        assert client.get("/health/", headers={"X-Health-Token": wrong}).json() == {"status": "ok"}


def test_without_a_configured_token_no_header_gets_the_detail(client, one_job_waiting, settings):
    settings.HEALTH_TOKEN = ""
    for sent in ("", " ", "None"):
        assert client.get("/health/", headers={"X-Health-Token": sent}).json() == {"status": "ok"}


def test_an_api_token_is_not_a_health_token(api, manager, one_job_waiting):
    from accounts.models import ApiToken

    _, token = ApiToken.objects.create(user=manager.user)
    response = api.get("/health/", headers={"Authorization": f"Token {token}"})
    assert response.json() == {"status": "ok"}


def test_database_down_is_503_and_only_the_token_learns_why(client, manager, database_down, settings):
    settings.HEALTH_TOKEN = TOKEN
    response = client.get("/health/")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})
    response = client.get("/health/", headers={"X-Health-Token": TOKEN})
    assert (response.status_code, response.json()) == (503, {"status": "unavailable", "database": "unavailable"})
