"""Text from Chinese phone keyboards (full width, numbers in groups) is read as its plain form."""

import pytest

from inventory.forms import SkuCodeField
from inventory.selectors import sku_by_code, sku_key
from shop_ops.typed import plain_number, plain_text
from tests.inventory.factories import SkuFactory


def test_plain_text_turns_full_width_into_ordinary_characters():
    assert plain_text(" ＴＳ００１－ＷＨＴ－Ｍ ") == "TS001-WHT-M"
    assert plain_text("ＳＦ１２３４５６７８９０") == "SF1234567890"
    assert plain_text("张三") == "张三" and plain_text(None) == ""


def test_plain_number_drops_spaces_and_hyphens_inside():
    assert plain_number("6222 0212 0203 1847 265") == "6222021202031847265"
    assert plain_number("６２２２－０２１２　０２０３") == "622202120203"  # full-width digits, hyphen and space
    assert plain_number("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"


def test_sku_key_matches_full_width_and_lower_case_alike():
    assert sku_key("ｔｓ００１－ｗｈｔ－ｍ") == sku_key("TS001-WHT-M") == "TS001-WHT-M"


@pytest.mark.django_db
def test_a_full_width_sku_code_finds_the_sku_in_every_form():
    sku = SkuFactory(code="TS001-WHT-M")
    assert sku_by_code("ＴＳ００１－ＷＨＴ－Ｍ") == sku
    assert SkuCodeField().clean("ＴＳ００１－ＷＨＴ－Ｍ") == sku
