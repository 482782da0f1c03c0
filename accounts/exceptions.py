from shop_ops.exceptions import ShopOpsError


class SignInError(ShopOpsError):
    """A sign-in that cannot go on: a malformed login name, a missing or wrong two-factor code."""


class TwoFactorNotEnrolled(ShopOpsError):
    """The login needs two-factor sign-in but has not set it up yet (that is done in the browser)."""

    status_code = 403
