"""API token authentication: django-rest-knox tokens (hashed, with a lifetime), refused once the password changed."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.settings import knox_settings
from rest_framework import exceptions

from . import services

_TOKEN = re.compile(rb"[0-9a-f]{%d}" % knox_settings.AUTH_TOKEN_CHARACTER_LENGTH)


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <key>`. Knox refuses expired tokens (and deletes them) and inactive logins; this also
    refuses a key of the wrong shape before any query, and deletes a token issued under an earlier password."""

    def authenticate_credentials(self, token):
        if not _TOKEN.fullmatch(token):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def validate_user(self, auth_token):
        if not auth_token.user.is_active:
            services.end_sign_ins(user=auth_token.user)
            raise exceptions.AuthenticationFailed(_("This login is disabled."))
        if not services.token_matches_password(token=auth_token):
            auth_token.delete()
            raise exceptions.AuthenticationFailed(_("The password changed since this token was issued: sign in again."))
        return super().validate_user(auth_token)
