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


class Cadence(models.TextChoices):
    """How often a duty comes round; the rules live in roles/cadence.py."""

    DAILY = "daily", _("Every working day")
    WEEKLY = "weekly", _("Weekly on given weekdays")
    EVERY_N_DAYS = "every_n_days", _("Every N days")
    MONTHLY = "monthly", _("Monthly on a given day")
    ON_DEMAND = "on_demand", _("On demand, with a deadline in working days")


class AssignmentMode(models.TextChoices):
    ROLE = "role", _("Everyone in the role")
    CHOSEN = "chosen", _("Chosen employees")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (day off)")
    WORKDAY = "workday", _("Make-up working day")


class ItemKind(models.TextChoices):
    DUTY = "duty", _("Duty")
    ON_DEMAND = "on_demand", _("On-demand duty")
    AD_HOC = "ad_hoc", _("One-off task")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    # A recurring duty's item still open when the duty's next occurrence fell due (roles/cadence.py): not done.
    MISSED = "missed", _("Missed")


class Period(models.TextChoices):
    TODAY = "today", _("Today")
    WEEK = "week", _("This week")
    MONTH = "month", _("This month")
