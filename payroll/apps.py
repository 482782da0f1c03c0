from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    name = "payroll"
    verbose_name = _("Payroll")

    def ready(self):
        from roles.services.checklists import register_pay_approved_check

        from .services.months import month_approved

        # Checklist items of an approved month are read-only: the completion rate paid stays as it was.
        register_pay_approved_check(month_approved)
