from shop_ops.exceptions import ConflictError, ShopOpsError


class PayrollError(ShopOpsError):
    """Bad payroll input: a month in the future, an absurd amount, a malformed import..."""


class PayrollConflict(ConflictError):
    """A payroll action that clashes with the current state: a second run, a locked month, a wrong transition."""
