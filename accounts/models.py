"""What signing in leaves behind: API tokens (django-rest-knox, stored hashed) and the browser sessions of each login.

Both are kept so that they can be ended together: on "sign out everywhere", on deactivation and on leaving.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """A knox token (only its SHA-512 digest is stored) that also remembers the password it was issued under.

    `password_fingerprint` is the login's session hash (an HMAC of the password hash, as Django's sessions keep)
    when the token was issued; a token whose fingerprint no longer matches is refused and deleted
    (`accounts.authentication`). So every way of changing a password ends the login's tokens: the password page,
    the admin, `set_password`, `manage.py changepassword`, a raw update.
    """

    password_fingerprint = models.CharField(_("password fingerprint"), max_length=128)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class SignInSession(models.Model):
    """A browser session of a login, recorded at sign-in so that all of them can be ended at once (Django's
    sessions are not indexed by login)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_sessions", verbose_name=_("login")
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    signed_in_at = models.DateTimeField(_("signed in at"), auto_now_add=True)

    class Meta:
        verbose_name = _("browser session")
        verbose_name_plural = _("browser sessions")
        indexes = [models.Index(fields=["user"])]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.signed_in_at:%Y-%m-%d %H:%M}"
