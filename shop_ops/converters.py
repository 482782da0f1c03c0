"""URL converters: record ids in page URLs are `<id:pk>`, a whole number in the range of a database id (BigAutoField:
1 to 2**63 - 1). Any other number is not a record, so the URL does not match and the page is a plain 404, before a
view or query sees a value that SQLite cannot even bind (OverflowError) or PostgreSQL would refuse."""

from django.urls import register_converter

# The largest value a BigAutoField (a signed 64-bit integer) holds, on SQLite and PostgreSQL alike.
MAX_ID = 2**63 - 1


def is_id(value: int) -> bool:
    """Whether a number can be a record's id."""
    return 1 <= value <= MAX_ID


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not is_id(number):
            raise ValueError(f"{value} is not a record id")
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def register() -> None:
    """Called once at start-up (ShopOpsConfig.ready), before any URL module names the converter."""
    register_converter(IdConverter, "id")
