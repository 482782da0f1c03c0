from shop_ops.exceptions import ConflictError, ShopOpsError


class InventoryError(ShopOpsError):
    """A stock operation that breaks one of the warehouse rules (bad quantity, unknown SKU...)."""


class InventoryConflict(ConflictError):
    """A stock operation that clashes with the current state (not enough stock, a count already closed...)."""


class InsufficientStock(InventoryConflict):
    """Posting would take a stock level below zero without a manager's override."""

    def __init__(self, message: str, *, shortages: list[dict]):
        super().__init__(message)
        self.shortages = shortages


class InvalidTransition(InventoryConflict):
    """A status change the pipeline does not allow (approving a report twice, shipping an unpacked order...)."""


class NotForYou(InventoryError):
    """An answer that must come from someone else (customer service, not the person who flagged the order)."""

    status_code = 403


class ImportRejected(InventoryError):
    """An uploaded file with bad rows; nothing was saved. `errors` lists each row, column and message."""

    def __init__(self, message: str, *, errors: list[dict] | None = None):
        super().__init__(message, field="file")
        self.errors = errors or []


class RecheckRefused(InventoryError):
    """Rechecked differences out of bounds; nothing was saved. `errors` maps each line's form field to its message."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors
