"""The base of every error a ShopOps service raises on purpose: a message a user can read, and its HTTP status."""


class ShopOpsError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(ShopOpsError):
    """The request is well formed but clashes with the current state (a second run, a closed period...)."""

    status_code = 409
