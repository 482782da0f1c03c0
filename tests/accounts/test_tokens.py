"""API tokens (django-rest-knox): hashed, with a lifetime, ended by a password change, deactivation, leaving,
logout and sign out everywhere."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, SignInSession
from roles import services as org
from roles.choices import EmployeeStatus
from roles.permissions import OPERATOR

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


def token_for(api, user, **extra) -> str:
    response = api.post("/api/auth/token/", {"username": user.username, "password": PASSWORD, **extra})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def me(api, token) -> int:
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    status = api.get("/api/employees/me/").status_code
    api.credentials()
    return status


def test_token_answer_has_the_key_and_its_expiry(api, staff, settings):
    before = timezone.now()
    response = api.post("/api/auth/token/", {"username": staff.user.username, "password": PASSWORD})
    body = response.json()
    assert set(body) == {"token", "expiry"}
    expiry = datetime.datetime.fromisoformat(body["expiry"].replace("Z", "+00:00"))
    ttl = datetime.timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    assert before + ttl <= expiry <= timezone.now() + ttl
    assert me(api, body["token"]) == 200


def test_form_encoded_request_still_works(api, staff):
    response = api.post(
        "/api/auth/token/",
        f"username={staff.user.username}&password={PASSWORD}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and response.json()["token"]


def test_only_a_digest_is_stored(api, staff):
    token = token_for(api, staff.user)
    stored = ApiToken.objects.get(user=staff.user)
    assert token not in stored.digest and len(stored.digest) == 128
    assert not ApiToken.objects.filter(digest=token).exists()


def test_an_expired_token_is_refused_and_deleted(api, staff):
    token = token_for(api, staff.user)
    ApiToken.objects.filter(user=staff.user).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert me(api, token) == 401
    assert not ApiToken.objects.filter(user=staff.user).exists()


def test_the_lifetime_comes_from_the_setting(api, staff, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(seconds=1)}
    token = token_for(api, staff.user)
    assert ApiToken.objects.get(user=staff.user).expiry <= timezone.now() + datetime.timedelta(seconds=1)
    ApiToken.objects.filter(user=staff.user).update(expiry=timezone.now() - datetime.timedelta(microseconds=1))
    assert me(api, token) == 401


def test_password_change_by_an_administrator_ends_the_token(api, client, staff, superuser):
    token = token_for(api, staff.user)
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[staff.user.pk])
    response = client.post(
        url, {"password1": "a-new-pass-4567", "password2": "a-new-pass-4567", "usable_password": "true"}
    )
    assert response.status_code == 302, response.content[:2000]
    assert me(api, token) == 401
    assert not ApiToken.objects.filter(user=staff.user).exists()


def test_set_password_in_code_ends_the_token(api, staff):
    token = token_for(api, staff.user)
    staff.user.set_password("another-pass-890")
    staff.user.save()
    assert me(api, token) == 401


def test_saving_the_login_without_a_new_password_keeps_the_token(api, staff):
    token = token_for(api, staff.user)
    staff.user.first_name = "Renamed"
    staff.user.save()
    assert me(api, token) == 200


def test_deactivation_in_admin_ends_tokens_and_sessions_for_good(api, client, staff, superuser):
    token = token_for(api, staff.user)
    browser = client.__class__()
    browser.post(reverse("login"), {"username": staff.user.username, "password": PASSWORD})
    assert SignInSession.objects.filter(user=staff.user).exists()
    user = staff.user
    user.is_active = False
    user.save()
    assert not ApiToken.objects.filter(user=user).exists()
    assert not SignInSession.objects.filter(user=user).exists()
    user.is_active = True
    user.save()
    assert me(api, token) == 401, "reactivating the login brings no old token back"
    assert browser.get(reverse("home")).status_code == 302, "nor an old browser session"


def test_leaving_and_rehiring_never_brings_an_old_token_back(api, client, staff):
    token = token_for(api, staff.user)
    client.post(reverse("login"), {"username": staff.user.username, "password": PASSWORD})
    session_key = client.session.session_key
    org.record_leaving(employee=staff, by=OPERATOR, leave_date=timezone.localdate())
    assert me(api, token) == 401
    assert not Session.objects.filter(session_key=session_key).exists()
    org.update_employee(employee=staff, by=OPERATOR, status=EmployeeStatus.ACTIVE, leave_date=None)
    staff.user.refresh_from_db()
    assert staff.user.is_active
    assert me(api, token) == 401
    assert client.get(reverse("home")).status_code == 302


def test_logout_ends_only_that_token(api, staff):
    first, second = token_for(api, staff.user), token_for(api, staff.user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.post("/api/auth/logout/").status_code == 204
    api.credentials()
    assert me(api, first) == 401
    assert me(api, second) == 200


def test_logoutall_ends_every_token_and_browser_session(api, client, staff):
    first, second = token_for(api, staff.user), token_for(api, staff.user)
    client.post(reverse("login"), {"username": staff.user.username, "password": PASSWORD})
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.post("/api/auth/logoutall/").status_code == 204
    api.credentials()
    assert me(api, first) == 401 and me(api, second) == 401
    assert client.get(reverse("home")).status_code == 302


def test_logoutall_needs_a_token(api, staff):
    assert api.post("/api/auth/logoutall/").status_code == 401


def test_sign_out_everywhere_button_keeps_this_browser(api, client, staff):
    token = token_for(api, staff.user)
    other = client.__class__()
    other.post(reverse("login"), {"username": staff.user.username, "password": PASSWORD})
    client.post(reverse("login"), {"username": staff.user.username, "password": PASSWORD})
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200 and b"sign-out-everywhere" in page.content
    response = client.post(reverse("accounts:sign-out-everywhere"), follow=True)
    assert b"Signed out everywhere else" in response.content
    assert client.get(reverse("home")).status_code == 200
    assert other.get(reverse("home")).status_code == 302
    assert me(api, token) == 401


def test_other_logins_keep_their_tokens(api, staff, other_staff):
    mine, theirs = token_for(api, staff.user), token_for(api, other_staff.user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {mine}")
    api.post("/api/auth/logoutall/")
    api.credentials()
    assert me(api, theirs) == 200


@pytest.mark.parametrize(
    "header",
    [b"Token \xff\xfe", b"Token abc", "Token " + "a" * 64 + "\x00", "Token " + "0" * 64, "Token " + "g" * 64],
)
def test_malformed_or_unknown_tokens_are_401_not_500(api, staff, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    assert api.get("/api/employees/me/").status_code == 401
