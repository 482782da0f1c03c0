from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessGroup(models.TextChoices):
    """The permission groups; created by migration, granted to an employee through their role."""

    MANAGER = "Manager", _("Manager")
    FINANCE = "Finance", _("Finance")
    WAREHOUSE = "Warehouse", _("Warehouse")
    STAFF = "Staff", _("Staff")


class EmployeeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_LEAVE = "on_leave", _("On leave")
    LEFT = "left", _("Left")
