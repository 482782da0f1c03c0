"""A request that finds the database unreachable gets a clean 503 — a page, or the API's JSON error — never a
500 traceback (the real PostgreSQL restart is in test_database_outage.py)."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory
from django.urls import reverse

from shop_ops.api import server_error

DOWN = "The database is unavailable for a moment; try again in a minute."


def signed_in_while_database_goes_down(client, monkeypatch):
    """The client, signed in; from now on reading the session (the first query of a signed-in request) fails as
    it does when PostgreSQL is down."""

    def refuse(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr(SessionStore, "load", refuse)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("debug", [True, False])
def test_pages_answer_503(client_as, manager, monkeypatch, settings, debug):
    settings.DEBUG = debug
    client = signed_in_while_database_goes_down(client_as(manager), monkeypatch)
    response = client.get(reverse("roles:org-chart"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Temporarily unavailable" in page and "Traceback" not in page


def test_api_answers_503_with_the_json_error(client_as, manager, monkeypatch):
    client = signed_in_while_database_goes_down(client_as(manager), monkeypatch)
    response = client.get("/api/departments/")
    assert response.status_code == 503
    assert response.json() == {"detail": DOWN}


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("closed")])
def test_server_error_handler_answers_503_for_a_database_error(error):
    """Errors outside the views (e.g. saving the session) reach handler500, which answers 503 for these too."""
    request = RequestFactory().get("/api/roles/")
    try:
        raise error
    except type(error):
        response = server_error(request)
    assert (response.status_code, json.loads(response.content)) == (503, {"detail": DOWN})
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500
