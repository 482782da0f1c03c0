"""Field validators for personal data, with messages a person filling in a form understands."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from shop_ops.numbers import is_ascii_whole_number

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

employee_number_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{0,19}$", _("Use capital letters, digits and hyphens, e.g. E0012.")
)
phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 -]{5,18}[0-9]$", _("Enter a phone number of digits, e.g. 13812345678.")
)
bank_account_validator = RegexValidator(r"^[0-9]{12,30}$", _("A bank account number is 12 to 30 digits."))


def validate_id_number(value: str) -> None:
    """An 18-character PRC resident ID: 17 digits, a valid birth date, and the ISO 7064 MOD 11-2 check character."""
    if len(value) != 18 or not is_ascii_whole_number(value[:17]) or value[17] not in "0123456789X":
        raise ValidationError(_("An ID number is 17 digits followed by a digit or X."), code="format")
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date inside this ID number is not a real date."), code="birth_date"
        ) from None
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise ValidationError(_("The check character of this ID number is wrong; please re-check it."), code="checksum")


def check_date_window(value: datetime.date | None, *, field: str, earliest: datetime.date, latest: datetime.date):
    """Refuse a date outside a sane window (a hire date in year 1, a deadline in year 9999) with a message at the
    field; None passes (an empty optional date)."""
    if value is not None and not earliest <= value <= latest:
        raise ValidationError(
            {field: _("Enter a date from %(earliest)s to %(latest)s.") % {"earliest": earliest, "latest": latest}}
        )


def years_from(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` years later (or earlier, when negative); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
