from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopOpsConfig(AppConfig):
    """The project's own plumbing that needs a table: the outbox of job messages the broker could not take."""

    name = "shop_ops"
    verbose_name = _("ShopOps plumbing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import converters

        converters.register()
