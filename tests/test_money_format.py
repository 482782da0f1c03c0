"""One money format on every page (issue 13): two decimals, thousands separators, the minus before the yuan sign,
and no value a page only shows can make it fail."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from shop_ops.i18n import in_language, in_language_text, pick_language
from shop_ops.numbers import EXCEL_MONEY_FORMAT, format_money


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234"), "¥1,234.00"),
        (Decimal("20026.5"), "¥20,026.50"),
        (Decimal("-192.5"), "-¥192.50"),
        (Decimal("-0.004"), "¥0.00"),  # rounds to zero: no "-¥0.00"
        (Decimal("0"), "¥0.00"),
        (0, "¥0.00"),
        (Decimal("1.005"), "¥1.01"),  # half up, to the cent
        (Decimal("-1.005"), "-¥1.01"),
        (12, "¥12.00"),
        (3.5, "¥3.50"),
        ("1234.5", "¥1,234.50"),
        (Decimal("123456789012.34"), "¥123,456,789,012.34"),
        (Decimal("1e30"), "¥1,000,000,000,000,000,000,000,000,000,000.00"),
        (None, "—"),
        ("", "—"),
        ("abc", "—"),
        (Decimal("NaN"), "—"),
        (Decimal("Infinity"), "—"),
        (float("inf"), "—"),
        (True, "—"),
        ([1], "—"),
        (object(), "—"),
    ],
)
def test_format_money(value, shown):
    assert format_money(value) == shown


def test_without_the_sign_for_columns_that_name_the_currency():
    assert format_money(Decimal("-192.5"), sign=False) == "-192.50"
    assert format_money(Decimal("1234567"), sign=False) == "1,234,567.00"


@given(st.one_of(st.decimals(allow_nan=True, allow_infinity=True), st.floats(), st.integers(), st.text(), st.none()))
def test_format_money_never_raises(value):
    shown = format_money(value)
    assert shown == "—" or shown.lstrip("-").startswith("¥")


def test_the_filters_are_on_every_template_without_load():
    rendered = Template("{{ a|money }} {{ b|money }} {{ c|amount }} {{ d|money }}").render(
        Context({"a": Decimal("-192.5"), "b": None, "c": Decimal("20026.5"), "d": "x"})
    )
    assert rendered == "-¥192.50 — 20,026.50 —"


def test_excel_shows_money_the_same_way():
    from inventory.exports import MONEY_FORMAT as INVENTORY
    from payroll.exports import MONEY_FORMAT as PAYROLL

    assert INVENTORY == PAYROLL == EXCEL_MONEY_FORMAT == "#,##0.00;-#,##0.00"


def test_names_in_two_languages_show_the_page_language_only():
    from django.utils import translation

    record = {"department__name_zh": "营销部", "department__name_en": "Marketing & Sales"}
    with translation.override("zh-hans"):
        assert in_language(record, "name", prefix="department__") == "营销部"
        assert pick_language("", "Sales") == "Sales"  # no Chinese name: the English one rather than nothing
    with translation.override("en"):
        assert in_language(record, "name", prefix="department__") == "Marketing & Sales"
        assert pick_language("营销部", "") == "营销部"
    assert in_language(None) == ""
    with translation.override("zh-hans"):
        assert in_language_text("底薪 Base pay") == "底薪"
        assert in_language_text("店长(运营总监或副总) Shop manager") == "店长(运营总监或副总)"
        assert in_language_text("利润分成 Profit share 8%") == "利润分成"
        assert in_language_text("T恤 白") == "T恤 白"  # not two languages: as written
        assert in_language_text("Base pay") == "Base pay"
    with translation.override("en"):
        assert in_language_text("底薪 Base pay") == "Base pay"
        assert in_language_text("底薪") == "底薪"


@pytest.mark.django_db
def test_warehouse_pages_use_the_money_format(client_as, warehouse):
    from inventory.models import Sku

    from .inventory.factories import SkuFactory

    sku = SkuFactory(unit_cost=Decimal("20026.5"), sale_price=Decimal("99"))
    assert Sku.objects.filter(pk=sku.pk).exists()
    page = client_as(warehouse).get(reverse("inventory:catalogue-skus")).content.decode()
    assert '<td class="num">¥20,026.50</td>' in page
    assert "¥99.00" in page
    detail = client_as(warehouse).get(sku.get_absolute_url()).content.decode()
    assert "¥20,026.50 / ¥99.00" in detail


@pytest.mark.django_db
def test_payroll_amounts_are_right_aligned_with_the_same_format(client_as, manager):
    from payroll.models import PayProfile

    PayProfile.objects.create(employee=manager, base_salary=Decimal("15000"))
    page = client_as(manager).get(reverse("payroll:profile-list")).content.decode()
    assert '<td class="num">¥15,000.00</td>' in page
