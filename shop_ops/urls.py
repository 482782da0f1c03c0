import hmac

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache
from django_otp import DEVICE_ID_SESSION_KEY
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from accounts import services as accounts_services
from accounts import views as accounts_views
from roles.permissions import can_manage_org
from roles.views.org import HomeView, StartView
from shop_ops import jobs
from shop_ops.models import OutboxMessage


def _may_see_health_detail(request) -> bool:
    """The job backlog and which service is down: for the operator's monitor (HEALTH_TOKEN in the X-Health-Token
    header) or a manager signed in (past the second step when it is required), not for anyone who asks."""
    token = settings.HEALTH_TOKEN
    if token and hmac.compare_digest(request.headers.get("X-Health-Token", "").encode(), token.encode()):
        return True
    try:
        user = request.user
        if not can_manage_org(user):
            return False
        return DEVICE_ID_SESSION_KEY in request.session or not accounts_services.needs_two_factor(user)
    except DatabaseError:  # the session and the login live in the database: while it is down, only the token works
        return False


@never_cache
def health(request):
    """Load balancers and docker-compose: 200 when the database answers (503 when not), and nothing more for an
    anonymous caller; the database, broker and job backlog for `_may_see_health_detail`.

    The web app serves without the broker (jobs wait in the outbox), so a broker outage is "degraded", still 200;
    both checks give up within their short connect timeouts instead of hanging.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        detail = {"database": "unavailable"} if _may_see_health_detail(request) else {}
        return JsonResponse({"status": "unavailable", **detail}, status=503)
    if not _may_see_health_detail(request):
        return JsonResponse({"status": "ok"})
    broker = jobs.broker_status()
    return JsonResponse(
        {
            "status": "degraded" if broker == "unavailable" else "ok",
            "database": "ok",
            "broker": broker,
            "jobs_waiting": OutboxMessage.objects.count(),
        }
    )


api_urlpatterns = [
    path("", include("roles.api.urls")),
    path("payroll/", include("payroll.api.urls")),
    path("inventory/", include("inventory.api.urls")),
    path("auth/token/", accounts_api.ObtainTokenView.as_view(), name="api-token"),
    path("auth/logout/", accounts_api.LogoutView.as_view(), name="api-logout"),
    path("auth/logoutall/", accounts_api.LogoutAllView.as_view(), name="api-logoutall"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline script for the CSP.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("start/", StartView.as_view(), name="start"),
    path("", include("roles.urls")),
    path("payroll/", include("payroll.urls")),
    path("inventory/", include("inventory.urls")),
    path("accounts/login/", accounts_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
    path("health/", health, name="health"),
]

handler404 = "shop_ops.api.page_not_found"
handler500 = "shop_ops.api.server_error"
