from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in: API tokens, browser sessions, the lock-out's client address and two-factor sign-in."""

    name = "accounts"
    verbose_name = _("Sign-in")

    def ready(self):
        from . import receivers, schema  # noqa: F401  (schema registers the token's description)

        receivers.connect()
