from shop_ops.exceptions import ConflictError, ShopOpsError


class PayrollError(ShopOpsError):
    """Bad payroll input: a month in the future, an absurd amount, a malformed import..."""


class PayrollConflict(ConflictError):
    """A payroll action that clashes with the current state: a second run, a locked month, a wrong transition."""


class RunInputsChanged(PayrollConflict):
    """A computed run whose inputs changed since it was computed: it must be computed again before approval.
    `changes` (payroll.fingerprint.InputChanges) says what changed."""

    def __init__(self, message: str, *, changes):
        super().__init__(message, field="inputs")
        self.changes = changes


class FlaggedChangesUnconfirmed(PayrollConflict):
    """A run with changes from last month beyond the shop's threshold, approved without confirming that they were
    checked. `flagged` lists them (payroll.selectors.Change)."""

    def __init__(self, message: str, *, flagged):
        super().__init__(message, field="confirm_flagged")
        self.flagged = flagged
