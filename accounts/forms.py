from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import services
from .exceptions import SignInError


class LoginForm(AuthenticationForm):
    """Django's login form; a login name no login can have is refused before the password is checked, so the
    lock-out (whose table holds at most 255 characters) never records it."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        try:
            services.check_credentials_shape(username=username, password=None)
        except SignInError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from None
        return username


class CodeForm(forms.Form):
    otp = forms.CharField(
        label=_("Verification code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
