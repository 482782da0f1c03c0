from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from roles.api.views import ObtainTokenView
from roles.views.org import HomeView


def health(request):
    """Load balancers and docker-compose: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


api_urlpatterns = [
    path("", include("roles.api.urls")),
    path("payroll/", include("payroll.api.urls")),
    path("inventory/", include("inventory.api.urls")),
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("roles.urls")),
    path("payroll/", include("payroll.urls")),
    path("inventory/", include("inventory.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
    path("health/", health, name="health"),
]

handler404 = "shop_ops.api.page_not_found"
handler500 = "shop_ops.api.server_error"
