"""Sign-in pages: the password step (Django's, with the login-name guard), the two-factor step and its set-up,
and the login's own security page with "sign out everywhere"."""

from __future__ import annotations

from base64 import b32encode

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken

from shop_ops.redirects import safe_next_url

from . import services
from .exceptions import SignInError
from .forms import CodeForm, LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


def _next_url(request) -> str:
    """Where to go after the second step: the `next` the sign-in was given, when it is on this site."""
    next_url = request.POST.get("next") or request.GET.get("next")
    return safe_next_url(request, next_url, fallback=settings.LOGIN_REDIRECT_URL)


def _locked_out(request):
    """Too many wrong codes (or passwords) for this login from here: the half-finished sign-in ends."""
    logout(request)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, {"cooloff_minutes": minutes}, status=429)


class SecondStepMixin(LoginRequiredMixin):
    """A login that needs two-factor sign-in and has not passed it in this session."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if DEVICE_ID_SESSION_KEY in request.session or not services.needs_two_factor(request.user):
            return redirect(_next_url(request))
        if AxesProxyHandler.is_locked(request, credentials={"username": request.user.get_username()}):
            return _locked_out(request)
        return super().dispatch(request, *args, **kwargs)

    def wrong_code(self, request):
        user_login_failed.send(sender=__name__, credentials={"username": request.user.get_username()}, request=request)
        if AxesProxyHandler.is_locked(request, credentials={"username": request.user.get_username()}):
            return _locked_out(request)
        return None


class TwoFactorView(SecondStepMixin, View):
    """The second step of signing in: a code from the authenticator app, or a backup code."""

    template_name = "accounts/two_factor.html"

    def get(self, request):
        if not services.has_two_factor(request.user):
            return redirect(f"{reverse('accounts:two-factor-setup')}?{request.GET.urlencode()}")
        return render(request, self.template_name, {"form": CodeForm(), "next": _next_url(request)})

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                device = services.verify_second_factor(user=request.user, code=form.cleaned_data["otp"])
            except SignInError as exc:
                form.add_error("otp", exc.message)
                locked = self.wrong_code(request)
                if locked:
                    return locked
            else:
                django_otp.login(request, device)
                return redirect(_next_url(request))
        return render(request, self.template_name, {"form": form, "next": _next_url(request)}, status=400)


class TwoFactorSetupView(SecondStepMixin, View):
    """First sign-in of a login that needs two-factor sign-in: scan the QR code (or type the secret), confirm a
    code; the backup codes are shown once."""

    template_name = "accounts/two_factor_setup.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and services.has_two_factor(request.user):
            # Set up already: a second authenticator needs the first (or an administrator's reset).
            return redirect(f"{reverse('accounts:two-factor')}?{request.GET.urlencode()}")
        return super().dispatch(request, *args, **kwargs)

    def _context(self, request, form):
        device = services.start_enrolment(user=request.user)
        secret = b32encode(device.bin_key).decode()
        return {
            "form": form,
            "next": _next_url(request),
            "qr_svg": services.qr_code_svg(device),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        }

    def get(self, request):
        return render(request, self.template_name, self._context(request, CodeForm()))

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                device, codes = services.confirm_enrolment(user=request.user, code=form.cleaned_data["otp"])
            except SignInError as exc:
                form.add_error("otp", exc.message)
                locked = self.wrong_code(request)
                if locked:
                    return locked
            else:
                django_otp.login(request, device)
                return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next_url(request)})
        return render(request, self.template_name, self._context(request, form), status=400)


class SecurityView(LoginRequiredMixin, View):
    """Any signed-in login: its two-factor state and "sign out everywhere"."""

    def get(self, request):
        user = request.user
        return render(
            request,
            "accounts/security.html",
            {
                "needs_two_factor": services.needs_two_factor(user),
                "has_two_factor": services.has_two_factor(user),
                "backup_codes_left": StaticToken.objects.filter(device__user=user).count(),
            },
        )


class SignOutEverywhereView(LoginRequiredMixin, View):
    """Any signed-in login: end every API token and every other browser session of the login."""

    def post(self, request):
        ended = services.end_sign_ins(user=request.user, keep_session_key=request.session.session_key)
        messages.success(
            request, _("Signed out everywhere else: %(count)d sessions and tokens ended.") % {"count": ended}
        )
        return redirect("accounts:security")
