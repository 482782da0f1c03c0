"""Which digits count (shop_ops/numbers.py): text kept or compared as written takes the ASCII digits 0-9 only.

`"²".isdigit()` is True and `int("²")` raises, so a query value guarded by isdigit() gave a 500; `int("١٢٣")` is 123,
so an ID number or a month in other digits was taken as if written in 0-9."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from payroll.exceptions import PayrollError
from payroll.services import parse_month
from roles.validators import validate_id_number
from shop_ops.numbers import is_ascii_whole_number, parse_whole_number

from .factories import id_number_with_check

pytestmark = pytest.mark.django_db

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ODD = ["²", "١", "١٢٣", "１２", "٣", "⑴", "12²", " 1", "-1", "1_0", "99999999999999999999"]

PAGES = [
    ("roles:checklist-dashboard", "department"),
    ("roles:adhoc-task", "employee"),
    ("roles:holidays", "year"),
    ("roles:audit", "page"),
    ("inventory:stock-list", "location"),
    ("payroll:profile-list", "department"),
    ("payroll:tax-opening-list", "year"),
]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(("name", "param"), PAGES)
def test_pages_read_only_ascii_numbers_from_the_query(client_as, superuser, name, param, value):
    response = client_as(superuser).get(reverse(name), {param: value})
    if param == "year" and response.status_code == 400:
        # A year outside 1000–9998 is refused by the query guard (shop_ops/guards.py) with its plain page.
        assert b'data-testid="request-refused"' in response.content
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("value", ["²", "١", "１２"])
def test_api_query_numbers_are_ascii(api_as, manager, value):
    api = api_as(manager)
    response = api.get("/api/checklist-stats/", {"department": value})
    assert response.status_code == 400 and response.json()["errors"]["department"]
    response = api.get("/api/employees/", {"page_size": value})
    assert response.status_code == 400 and "page_size" in response.json()["errors"]


def test_a_year_in_other_digits_is_not_read_as_that_year(client_as, manager):
    response = client_as(manager).get(reverse("roles:holidays"), {"year": "1999".translate(ARABIC)})
    assert response.context["year"] == datetime.date.today().year


@pytest.mark.parametrize("table", [ARABIC, FULL_WIDTH])
def test_id_numbers_are_ascii_digits(table):
    valid = id_number_with_check("33010619900101123")
    validate_id_number(valid)
    odd = valid[:17].translate(table) + valid[17]
    with pytest.raises(ValidationError) as caught:
        validate_id_number(odd)
    assert caught.value.code == "format"


@pytest.mark.parametrize("table", [ARABIC, FULL_WIDTH])
def test_months_are_ascii_digits(table):
    assert parse_month("2026-05") == datetime.date(2026, 5, 1)
    with pytest.raises(PayrollError):
        parse_month("2026-05".translate(table))


def test_the_helpers():
    assert parse_whole_number("0") == 0 and parse_whole_number("2147483647") == 2**31 - 1
    assert parse_whole_number("2147483648") is None and parse_whole_number("12", maximum=10) is None
    assert all(parse_whole_number(value) is None for value in [*ODD[:-1], "", None])
    assert is_ascii_whole_number("0123") and not is_ascii_whole_number("１２")


def test_number_fields_keep_reading_full_width_digits(api_as, warehouse):
    """Typed number fields keep the number, not the text (shown back as 12): full-width digits from a Chinese input
    method are accepted there on purpose; a superscript is refused with a message, never a 500."""
    from rest_framework import serializers

    field = serializers.IntegerField(min_value=1)
    assert field.run_validation("１２") == 12
    with pytest.raises(serializers.ValidationError):
        field.run_validation("²")
