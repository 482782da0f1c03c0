"""Two-factor sign-in is required of Finance, Manager and superusers (OTP_REQUIRED): until the session has passed
the second step, every page sends them to it and the API (signed in by session) answers 403.

The check reads only the session and the groups already loaded with the user (shop_ops/auth.py): no query.
django-otp's own OTPMiddleware would load the device on every request; instead a device reset ends the login's
sessions (accounts.services.reset_two_factor), so a session marked verified never outlives its device.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY

from shop_ops.middleware import DATABASE_DOWN

from . import services

# Pages an unverified login may still open: the second step itself, logging out, switching language.
EXEMPT = {"accounts:two-factor", "accounts:two-factor-setup", "logout", "set_language", "health"}


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        try:
            if user is None or not user.is_authenticated or DEVICE_ID_SESSION_KEY in request.session:
                return None
        except DATABASE_DOWN:
            # Reading the session or the user met a database outage: let the view meet it too, where
            # DatabaseUnavailableMiddleware answers 503 (an error raised here would bypass it).
            return None
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT:
            return None
        if not services.needs_two_factor(user):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Finish signing in with your two-factor code first (in the browser).")}, status=403
            )
        return redirect(f"{reverse('accounts:two-factor')}?{urlencode({'next': request.get_full_path()})}")
