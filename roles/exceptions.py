from shop_ops.exceptions import ConflictError, ShopOpsError


class OrgError(ShopOpsError):
    """A change to the org chart that breaks one of its rules."""


class OrgConflict(ConflictError):
    """A change that clashes with existing data (a department still holding roles...)."""


class ChecklistError(ShopOpsError):
    """A checklist action that cannot be done (an item of a future day, a closed item...)."""


class NotYourItem(ShopOpsError):
    """Ticking someone else's checklist item."""

    status_code = 403


class GrantRefused(ShopOpsError):
    """Giving rights the acting user may not give (Finance or Manager rights need a superuser)."""

    status_code = 403


class NotYourDuty(ShopOpsError):
    """Starting an on-demand duty that is not of the person's role or assignment."""

    status_code = 403


class ItemMissed(ChecklistError):
    """Ticking an item that was missed, or unticking a done one that would be: its duty has come round again
    (roles/cadence.py)."""

    status_code = 409


class ItemPayApproved(ChecklistError):
    """Ticking or unticking an item due in a month whose payroll is approved: the completion rate it paid is kept."""

    status_code = 409


class OwnPayRefused(ShopOpsError):
    """Entering or changing an input of one's own pay (separation of duties: someone else must)."""

    status_code = 403


class RightsRemovalRefused(ShopOpsError):
    """Taking Finance or Manager rights from someone else without being a superuser, or removing the last Finance."""

    status_code = 403
