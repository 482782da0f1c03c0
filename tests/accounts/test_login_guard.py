"""A login name no login can have (too long for the lock-out table, or with a NUL) is refused with a message before
anything records it: no 500 (PostgreSQL refuses a 256-character lock-out row), nothing in the lock-out table."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db

LONG = "a" * 300


def test_long_login_name_on_the_page(client, axes_on):
    response = client.post(reverse("login"), {"username": LONG, "password": "x"})
    assert response.status_code == 200
    assert "A login name has at most 150 characters." in response.content.decode()
    assert not AccessAttempt.objects.exists()


def test_long_login_name_on_the_token_endpoint(api, axes_on):
    response = api.post("/api/auth/token/", {"username": LONG, "password": "x"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"username": ["A login name has at most 150 characters."]}
    assert not AccessAttempt.objects.exists()


def test_login_name_of_exactly_the_limit_is_an_ordinary_wrong_login(api, axes_on):
    response = api.post("/api/auth/token/", {"username": "b" * 150, "password": "x"})
    assert response.status_code == 400
    assert AccessAttempt.objects.count() == 1


@pytest.mark.parametrize("field", ["username", "password"])
def test_nul_in_login_name_or_password(client, api, staff, axes_on, field):
    values = {"username": staff.user.username, "password": "secret-pass-123"}
    values[field] = values[field] + "\x00"
    # Form bodies meet the request guard before any form: a 400 page, nothing read, no attempt recorded.
    page = client.post(reverse("login"), values)
    assert page.status_code == 400 and "Form fields may not contain control characters" in page.content.decode()
    answer = api.post("/api/auth/token/", values)  # JSON: the project's parser refuses NUL anywhere in the body
    assert answer.status_code == 400 and "NUL" in answer.json()["detail"]
    form = api.post(
        "/api/auth/token/",
        "&".join(f"{key}={value.replace(chr(0), '%00')}" for key, value in values.items()),
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 400 and "control characters" in form.json()["detail"]
    assert not AccessAttempt.objects.exists()
