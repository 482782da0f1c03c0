"""Login lock-out (django-axes): five wrong passwords lock that login name from that address for a while."""

import pytest
from axes.utils import reset
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    reset()
    yield
    reset()


def test_repeated_wrong_passwords_lock_the_login_page(client, staff, axes_on):
    url = reverse("login")
    for _ in range(2):
        response = client.post(url, {"username": staff.user.username, "password": "wrong"})
        assert response.status_code == 200
    locked = client.post(url, {"username": staff.user.username, "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    right = client.post(url, {"username": staff.user.username, "password": "secret-pass-123"})
    assert right.status_code == 429, "a locked login stays locked even with the right password"


def test_lock_is_per_login_name(client, staff, other_staff, axes_on):
    url = reverse("login")
    for _ in range(3):
        client.post(url, {"username": staff.user.username, "password": "wrong"})
    ok = client.post(url, {"username": other_staff.user.username, "password": "secret-pass-123"})
    assert ok.status_code == 302


def test_token_endpoint_is_locked_too(api, staff, axes_on):
    for _ in range(3):
        api.post("/api/auth/token/", {"username": staff.user.username, "password": "wrong"})
    response = api.post("/api/auth/token/", {"username": staff.user.username, "password": "secret-pass-123"})
    assert response.status_code == 429
    assert "locked" in response.json()["detail"]


def test_a_successful_login_resets_the_count(client, staff, axes_on):
    url = reverse("login")
    for _ in range(2):
        client.post(url, {"username": staff.user.username, "password": "wrong"})
    assert client.post(url, {"username": staff.user.username, "password": "secret-pass-123"}).status_code == 302
    client.logout()
    for _ in range(2):
        assert client.post(url, {"username": staff.user.username, "password": "wrong"}).status_code == 200
