"""Signing in and out: the shape of credentials, API tokens, browser sessions and two-factor sign-in.

Every rule about signing in is here; the views, the API, the admin command and the receivers call these.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.settings import knox_settings

from roles.choices import AccessGroup
from roles.permissions import in_group

from .exceptions import SignInError, TwoFactorNotEnrolled
from .models import ApiToken, SignInSession

BACKUP_CODE_COUNT = 10


def login_name_max_length() -> int:
    """The longest login name there can be (the user model's field); the lock-out table stores at most 255."""
    return get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length


def check_credentials_shape(*, username: str | None, password: str | None) -> None:
    """Refuse a login name or password that no login can have, before anything (the lock-out included) records
    it: a login name longer than any login's, or a NUL character in either."""
    if username and len(username) > login_name_max_length():
        raise SignInError(
            _("A login name has at most %(count)d characters.") % {"count": login_name_max_length()},
            field="username",
        )
    for field, value in (("username", username), ("password", password)):
        if value and "\x00" in value:
            raise SignInError(_("Null characters are not allowed."), field=field)


# API tokens ---------------------------------------------------------------------------------------------------


def password_fingerprint(user) -> str:
    return user.get_session_auth_hash()


def issue_api_token(*, user) -> tuple[ApiToken, str]:
    """A new API token for the login: the key to give once, and the stored token (digest, expiry)."""
    return ApiToken.objects.create(
        user=user, expiry=knox_settings.TOKEN_TTL, password_fingerprint=password_fingerprint(user)
    )


def token_matches_password(*, token: ApiToken) -> bool:
    return constant_time_compare(token.password_fingerprint, password_fingerprint(token.user))


def record_browser_session(*, user, session_key: str | None) -> None:
    """Remember a browser session of the login, so that "sign out everywhere" can end it."""
    if session_key:
        SignInSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


@transaction.atomic
def end_sign_ins(*, user, keep_session_key: str | None = None) -> int:
    """End every API token and browser session of the login except the session `keep_session_key` (the one asking,
    for "sign out everywhere"); returns how many were ended."""
    tokens, _details = ApiToken.objects.filter(user=user).delete()
    sessions = SignInSession.objects.filter(user=user)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    keys = list(sessions.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    sessions.delete()
    return tokens + len(keys)


# Two-factor sign-in -------------------------------------------------------------------------------------------


def needs_two_factor(user) -> bool:
    """Finance, Manager and superusers sign in with a second factor when OTP_REQUIRED is on."""
    return bool(settings.OTP_REQUIRED) and in_group(user, AccessGroup.MANAGER, AccessGroup.FINANCE)


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def start_enrolment(*, user) -> TOTPDevice:
    """The authenticator secret the login is setting up: the one started before, or a new one."""
    if has_two_factor(user):
        raise SignInError(_("Two-factor sign-in is already set up for this login."))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code (drawn here: no image service, no script)."""
    out = io.BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def _clean_code(code: str | None) -> str:
    return "".join((code or "").split())


@transaction.atomic
def confirm_enrolment(*, user, code: str | None) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator with a code from it; returns the device and the backup codes (shown once)."""
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if not has_two_factor(user)
        else None
    )
    if device is None:
        raise SignInError(_("There is no two-factor set-up in progress for this login; start again."))
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise SignInError(_("Too many wrong codes: wait a minute, then try again."), field="otp")
    if not device.verify_token(_clean_code(code)):
        raise SignInError(_("That code is not right: type the 6 digits your authenticator app shows now."), field="otp")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return device, _new_backup_codes(user)


def _new_backup_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


def verify_second_factor(*, user, code: str | None):
    """The device that accepts the code (an authenticator code or an unused backup code, which is then used up),
    or SignInError. Each device throttles wrong codes (django-otp: the wait doubles after each wrong one)."""
    code = _clean_code(code)
    if not code:
        raise SignInError(
            _("This login signs in with a two-factor code: type the code from your authenticator app."), field="otp"
        )
    devices = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    if not any(isinstance(device, TOTPDevice) for device in devices):
        raise TwoFactorNotEnrolled(
            _("This login needs two-factor sign-in, which is not set up yet: sign in once in the browser first."),
            field="otp",
        )
    throttled = False
    for device in devices:
        with transaction.atomic():
            device = type(device).objects.select_for_update().get(pk=device.pk)
            if not device.verify_is_allowed()[0]:
                throttled = True
                continue
            if device.verify_token(code):
                return device
    if throttled:
        raise SignInError(_("Too many wrong codes: wait a minute, then try again."), field="otp")
    raise SignInError(_("That code is not right: type the 6 digits your authenticator app shows now."), field="otp")


@transaction.atomic
def reset_two_factor(*, user) -> int:
    """Remove the login's authenticator and backup codes and end its sign-ins: the next sign-in sets up a new
    authenticator. Returns how many devices were removed."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    end_sign_ins(user=user)
    return removed
