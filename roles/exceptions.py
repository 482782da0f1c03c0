from shop_ops.exceptions import ConflictError, ShopOpsError


class OrgError(ShopOpsError):
    """A change to the org chart that breaks one of its rules."""


class OrgConflict(ConflictError):
    """A change that clashes with existing data (a department still holding roles...)."""
