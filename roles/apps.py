from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RolesConfig(AppConfig):
    name = "roles"
    verbose_name = _("Roles")

    def ready(self):
        from shop_ops.api import make_serializers_refuse_unknown_keys, make_text_fields_strict

        make_text_fields_strict()
        make_serializers_refuse_unknown_keys()
