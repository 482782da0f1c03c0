from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("two-factor/", views.TwoFactorView.as_view(), name="two-factor"),
    path("two-factor/setup/", views.TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path("security/", views.SecurityView.as_view(), name="security"),
    path("sign-out-everywhere/", views.SignOutEverywhereView.as_view(), name="sign-out-everywhere"),
]
