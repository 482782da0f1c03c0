"""Two-factor sign-in (django-otp TOTP + backup codes) for Finance, Manager and superusers when OTP_REQUIRED."""

from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import ApiToken

from ..conftest import PASSWORD
from ..test_settings import PRODUCTION
from .conftest import current_code, enrol

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


# Who needs it --------------------------------------------------------------------------------------------------


def test_who_needs_two_factor(settings, staff, warehouse, finance, manager, superuser):
    settings.OTP_REQUIRED = True
    assert not services.needs_two_factor(staff.user)
    assert not services.needs_two_factor(warehouse.user)
    assert services.needs_two_factor(finance.user)
    assert services.needs_two_factor(manager.user)
    assert services.needs_two_factor(superuser)
    settings.OTP_REQUIRED = False
    assert not services.needs_two_factor(finance.user)


def test_setting_defaults_to_on_without_debug():
    import subprocess
    import sys

    code = "from django.conf import settings; import django; django.setup(); print(settings.OTP_REQUIRED)"
    env = {**PRODUCTION, "PATH": "/usr/bin:/bin"}
    for debug, expected in (("false", "True"), ("true", "False")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "DEBUG": debug, "DJANGO_SETTINGS_MODULE": "shop_ops.settings", "LOG_LEVEL": "WARNING"},
            capture_output=True,
            text=True,
            check=True,
            cwd=str(__import__("pathlib").Path(__file__).parents[2]),
        )
        assert out.stdout.strip().splitlines()[-1] == expected


# Browser: enrolment and sign-in --------------------------------------------------------------------------------


def test_first_sign_in_enrols_then_every_sign_in_asks_for_a_code(client, finance, otp_on):
    sign_in(client, finance.user)
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home.url.startswith(reverse("accounts:two-factor"))
    step = client.get(home.url)
    assert step.status_code == 302 and step.url.startswith(reverse("accounts:two-factor-setup"))
    page = client.get(step.url)
    content = page.content.decode()
    assert page.status_code == 200 and "<svg" in content and "<script" not in content.split("</head>")[1]
    assert ' style="' not in content.split("</head>")[1], "no inline styles (Content-Security-Policy)"
    device = TOTPDevice.objects.get(user=finance.user, confirmed=False)
    wrong = client.post(reverse("accounts:two-factor-setup"), {"otp": "000000"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code above started django-otp's back-off
    device.throttling_failure_timestamp = None
    device.save()
    done = client.post(reverse("accounts:two-factor-setup"), {"otp": current_code(device), "next": "/payroll/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == services.BACKUP_CODE_COUNT and all(code in done.content.decode() for code in codes)
    assert client.get(reverse("home")).status_code == 200
    # The backup codes are shown once: the set-up page is gone, the security page only counts them.
    assert client.get(reverse("accounts:two-factor-setup")).status_code == 302
    assert codes[0] not in client.get(reverse("accounts:security")).content.decode()

    client.logout()
    sign_in(client, finance.user)
    assert client.get(reverse("payroll:run-list")).status_code == 302
    asked = client.get(reverse("accounts:two-factor"))
    assert asked.status_code == 200
    device.refresh_from_db()
    ok = client.post(reverse("accounts:two-factor"), {"otp": current_code(device, steps_ahead=1), "next": "/payroll/"})
    assert ok.status_code == 302 and ok.url == "/payroll/"
    assert client.get(reverse("payroll:run-list")).status_code == 200


def test_a_backup_code_signs_in_once(client, manager, otp_on):
    enrol(manager.user)
    codes = services._new_backup_codes(manager.user)
    sign_in(client, manager.user)
    assert client.post(reverse("accounts:two-factor"), {"otp": codes[3]}).status_code == 302
    assert client.get(reverse("roles:employee-list")).status_code == 200
    client.logout()
    sign_in(client, manager.user)
    again = client.post(reverse("accounts:two-factor"), {"otp": codes[3]})
    assert again.status_code == 400
    assert StaticToken.objects.filter(device__user=manager.user).count() == services.BACKUP_CODE_COUNT - 1


def test_unverified_session_cannot_enrol_a_second_authenticator(client, finance, otp_on):
    enrol(finance.user)
    sign_in(client, finance.user)
    response = client.get(reverse("accounts:two-factor-setup"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two-factor"))
    assert client.post(reverse("accounts:two-factor-setup"), {"otp": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=finance.user).count() == 1


def test_unverified_session_gets_403_from_the_api_and_admin_redirects(client, superuser, otp_on):
    enrol(superuser)
    client.force_login(superuser)
    answer = client.get("/api/employees/")
    assert answer.status_code == 403 and "two-factor" in answer.json()["detail"]
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin.url.startswith(reverse("accounts:two-factor"))


def test_staff_never_see_the_second_step(client, staff, otp_on):
    sign_in(client, staff.user)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("accounts:two-factor")).status_code == 302


def test_next_goes_only_to_this_site(client, finance, otp_on):
    device = enrol(finance.user)
    sign_in(client, finance.user)
    response = client.post(
        reverse("accounts:two-factor"), {"otp": current_code(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == reverse("start")  # where signing in leads


def test_wrong_codes_count_towards_the_lock_out(client, finance, otp_on, axes_on):
    enrol(finance.user)
    sign_in(client, finance.user)
    statuses = [client.post(reverse("accounts:two-factor"), {"otp": "000000"}).status_code for _ in range(3)]
    assert statuses[-1] == 429
    assert AccessAttempt.objects.get(username=finance.user.username).failures_since_start == 3
    # The half-finished sign-in ended, and the password alone does not help now.
    assert client.get(reverse("home")).status_code == 302
    assert client.post(reverse("login"), {"username": finance.user.username, "password": PASSWORD}).status_code == 429


def test_wrong_codes_are_throttled_by_the_device(finance, otp_on):
    device = enrol(finance.user)
    with pytest.raises(services.SignInError):
        services.verify_second_factor(user=finance.user, code="000000")
    with pytest.raises(services.SignInError, match="Too many wrong codes"):
        services.verify_second_factor(user=finance.user, code=current_code(device))


# API ---------------------------------------------------------------------------------------------------------


def test_api_token_only_after_the_second_factor(api, finance, otp_on):
    device = enrol(finance.user)
    credentials = {"username": finance.user.username, "password": PASSWORD}
    missing = api.post("/api/auth/token/", credentials)
    assert missing.status_code == 400
    assert missing.json()["errors"] == {
        "otp": ["This login signs in with a two-factor code: type the code from your authenticator app."]
    }
    assert api.post("/api/auth/token/", {**credentials, "otp": "000000"}).status_code == 400
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = api.post("/api/auth/token/", {**credentials, "otp": current_code(device)})
    assert ok.status_code == 200 and ok.json()["token"]
    assert ApiToken.objects.filter(user=finance.user).count() == 1


def test_api_refuses_a_login_that_has_not_enrolled(api, manager, otp_on):
    answer = api.post("/api/auth/token/", {"username": manager.user.username, "password": PASSWORD, "otp": "1"})
    assert answer.status_code == 403 and "not set up yet" in answer.json()["detail"]


def test_api_wrong_codes_count_towards_the_lock_out(api, finance, otp_on, axes_on):
    device = enrol(finance.user)
    for _ in range(3):
        api.post("/api/auth/token/", {"username": finance.user.username, "password": PASSWORD, "otp": "000000"})
    locked = api.post(
        "/api/auth/token/", {"username": finance.user.username, "password": PASSWORD, "otp": current_code(device)}
    )
    assert locked.status_code == 429


def test_staff_get_tokens_without_a_code(api, staff, otp_on):
    assert api.post("/api/auth/token/", {"username": staff.user.username, "password": PASSWORD}).status_code == 200


# Recovery ----------------------------------------------------------------------------------------------------


def test_reset_command_removes_devices_and_ends_sign_ins(client, api, finance, otp_on):
    device = enrol(finance.user)
    services._new_backup_codes(finance.user)
    sign_in(client, finance.user)
    client.post(reverse("accounts:two-factor"), {"otp": current_code(device)})
    assert client.get(reverse("home")).status_code == 200
    out = StringIO()
    call_command("reset_two_factor", finance.user.username, stdout=out)
    assert "sets up two-factor sign-in again" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=finance.user).exists()
    assert not StaticToken.objects.filter(device__user=finance.user).exists()
    assert client.get(reverse("home")).status_code == 302, "the verified session ended with its device"


def test_reset_command_refuses_an_unknown_login():
    with pytest.raises(CommandError, match="No login"):
        call_command("reset_two_factor", "nobody-here", stdout=StringIO())


def test_the_second_step_costs_no_query_per_request(client, finance, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    device = enrol(finance.user)
    sign_in(client, finance.user)
    settings.OTP_REQUIRED = True
    client.post(reverse("accounts:two-factor"), {"otp": current_code(device)})
    url = reverse("roles:my-checklist")
    client.get(url)  # warm caches (navigation, prepared queries)
    with CaptureQueriesContext(connection) as verified:
        assert client.get(url).status_code == 200
    settings.OTP_REQUIRED = False
    with CaptureQueriesContext(connection) as without:
        assert client.get(url).status_code == 200
    assert len(verified.captured_queries) == len(without.captured_queries)
