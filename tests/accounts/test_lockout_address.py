"""The lock-out's client address: the connecting address without proxies, the trusted proxy's entry behind them."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from accounts.client_ip import client_ip

pytestmark = pytest.mark.django_db


def address(count, settings, remote="10.0.0.2", forwarded=None):
    settings.TRUSTED_PROXY_COUNT = count
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_without_proxies_the_header_is_ignored(settings):
    assert address(0, settings, forwarded="203.0.113.9") == "10.0.0.2"


def test_one_proxy_takes_the_right_most_entry(settings):
    # The client forged "1.2.3.4"; the proxy appended the address it saw.
    assert address(1, settings, forwarded="1.2.3.4, 203.0.113.9") == "203.0.113.9"


def test_two_proxies_take_the_second_from_the_right(settings):
    assert address(2, settings, forwarded="1.2.3.4, 203.0.113.9, 10.0.0.7") == "203.0.113.9"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", " , "])
def test_a_missing_or_bad_header_falls_back_to_the_connecting_address(settings, forwarded):
    assert address(1, settings, forwarded=forwarded) == "10.0.0.2"


def test_ipv6_entry(settings):
    assert address(1, settings, forwarded="2001:db8::1") == "2001:db8::1"


def _fail(client, username, forwarded, remote="172.18.0.5"):
    return client.post(
        reverse("login"),
        {"username": username, "password": "wrong"},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_one_proxy_an_attacker_cannot_lock_out_someone_else(client, finance, settings, axes_on):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(3):  # attacker at 198.51.100.66; every request arrives from the proxy 172.18.0.5
        _fail(client, finance.user.username, "198.51.100.66")
    assert _fail(client, finance.user.username, "198.51.100.66").status_code == 429
    response = client.post(
        reverse("login"),
        {"username": finance.user.username, "password": "secret-pass-123"},
        REMOTE_ADDR="172.18.0.5",
        HTTP_X_FORWARDED_FOR="203.0.113.20",
    )
    assert response.status_code == 302, "the accountant at another address still signs in"
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}


def test_behind_one_proxy_a_forged_left_entry_does_not_dodge_the_lock_out(client, staff, settings, axes_on):
    settings.TRUSTED_PROXY_COUNT = 1
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        _fail(client, staff.user.username, f"{forged}, 198.51.100.66")
    assert _fail(client, staff.user.username, "9.9.9.9, 198.51.100.66").status_code == 429


def test_without_proxies_the_header_does_not_dodge_the_lock_out(client, staff, settings, axes_on):
    settings.TRUSTED_PROXY_COUNT = 0
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        _fail(client, staff.user.username, forged, remote="198.51.100.66")
    assert _fail(client, staff.user.username, "4.4.4.4", remote="198.51.100.66").status_code == 429
    response = client.post(
        reverse("login"),
        {"username": staff.user.username, "password": "secret-pass-123"},
        REMOTE_ADDR="198.51.100.66",
        HTTP_X_FORWARDED_FOR="5.5.5.5",
    )
    assert response.status_code == 429


def test_token_endpoint_uses_the_same_address(api, staff, settings, axes_on):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(3):
        api.post(
            "/api/auth/token/",
            {"username": staff.user.username, "password": "wrong"},
            REMOTE_ADDR="172.18.0.5",
            HTTP_X_FORWARDED_FOR="198.51.100.66",
        )
    other = api.post(
        "/api/auth/token/",
        {"username": staff.user.username, "password": "secret-pass-123"},
        REMOTE_ADDR="172.18.0.5",
        HTTP_X_FORWARDED_FOR="203.0.113.20",
    )
    assert other.status_code == 200
    same = api.post(
        "/api/auth/token/",
        {"username": staff.user.username, "password": "secret-pass-123"},
        REMOTE_ADDR="172.18.0.5",
        HTTP_X_FORWARDED_FOR="198.51.100.66",
    )
    assert same.status_code == 429
