"""Sign-in API: a token for a login name and password (and a two-factor code where the login needs one), signing
one token out, and signing out everywhere."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in, user_logged_out, user_login_failed
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox import views as knox_views
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shop_ops.parsers import JSONParser

from . import services
from .authentication import TokenAuthentication
from .exceptions import SignInError


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(trim_whitespace=False, help_text="The login name.")
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="Two-factor code (6 digits from the authenticator app, or a backup code): required for Finance, "
        "Manager and superuser logins when two-factor sign-in is on (OTP_REQUIRED).",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`; it is shown only once.")
    expiry = serializers.DateTimeField(help_text="When the token stops working (API_TOKEN_TTL_HOURS after now).")


def _locked_out(request) -> Response:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return Response(
        {"detail": _("Too many failed log-ins: this login is locked for %(minutes)d minutes.") % {"minutes": minutes}},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )


class ObtainTokenView(APIView):
    """Anyone: exchange a login name and password (and, for Finance, Manager and superusers, a two-factor code) for
    an API token that works for API_TOKEN_TTL_HOURS. Locked out (HTTP 429) after too many wrong passwords or
    codes, like the login page."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (JSONParser, FormParser)

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username, password = data.validated_data["username"], data.validated_data["password"]
        services.check_credentials_shape(username=username, password=password)
        # The DRF request, not the Django one: django-axes marks it locked out, and its middleware (which would
        # answer with the login page's HTML) does not see the mark; this view answers 429 in JSON instead.
        user = authenticate(request=request, username=username, password=password)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                return _locked_out(request)
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}, code="authorization"
            )
        if services.needs_two_factor(user):
            try:
                services.verify_second_factor(user=user, code=data.validated_data.get("otp"))
            except SignInError:
                # A wrong code counts towards the lock-out like a wrong password (the device throttles too).
                user_login_failed.send(sender=__name__, credentials={"username": username}, request=request._request)
                raise
        token, key = services.issue_api_token(user=user)
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response(TokenSerializer({"token": key, "expiry": token.expiry}).data)


class LogoutView(knox_views.LogoutView):
    """Any token holder: end the token this request carries."""

    authentication_classes = (TokenAuthentication,)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="The token no longer works.")})
    def post(self, request, format=None):
        return super().post(request, format)


class LogoutAllView(APIView):
    """Any token holder: sign out everywhere — every API token and every browser session of the login ends."""

    authentication_classes = (TokenAuthentication,)

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Every token and browser session of the login has ended.")},
    )
    def post(self, request, format=None):
        services.end_sign_ins(user=request.user)
        user_logged_out.send(sender=type(request.user), request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
