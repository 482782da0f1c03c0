"""Sentences the warehouse writes into records itself ("Order shipped" as a movement's reason, "Out of stock: …" as
an order's flag) are stored in the language of whoever caused them, and shown in the reader's (issue 13: a Chinese
ledger said "Order shipped" because the order was shipped from an English page)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from inventory.choices import SYSTEM_SENTENCES, MovementKind
from inventory.models import StockMovement
from inventory.services import MovementInput, post_movements

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stored", "chinese", "english"),
    [
        ("Order shipped", "订单已发货", "Order shipped"),
        ("订单已发货", "订单已发货", "Order shipped"),
        ("Stock count 2026-03", "2026-03 盘点", "Stock count 2026-03"),
        ("2026-03 盘点", "2026-03 盘点", "Stock count 2026-03"),
        ("Out of stock: TS001-WHT-M × 2, TS001-BLK-S × 1", "缺货：TS001-WHT-M × 2, TS001-BLK-S × 1", None),
        ("客户要求改地址", "客户要求改地址", "客户要求改地址"),  # typed by a person: as it is
        ("Order shipped late", "Order shipped late", "Order shipped late"),  # not the whole sentence
        ("", "", ""),
    ],
)
def test_a_stored_sentence_is_shown_in_the_readers_language(stored, chinese, english):
    with translation.override("zh-hans"):
        assert SYSTEM_SENTENCES.in_language(stored) == chinese
    with translation.override("en"):
        assert SYSTEM_SENTENCES.in_language(stored) == (english or stored)


def test_every_listed_sentence_is_one_the_warehouse_writes():
    """The list names the msgids the services use: a sentence reworded there must be reworded here too."""
    app = Path(settings.BASE_DIR) / "inventory"
    code = "".join(path.read_text() for path in app.rglob("*.py") if path.name != "choices.py")
    for msgid in SYSTEM_SENTENCES.msgids:
        assert f'_("{msgid}")' in code, msgid


def test_the_ledger_shows_a_reason_written_in_english_in_chinese(client_as, warehouse, tshirt, bin_a):
    with translation.override("en"):  # shipped from an English page
        post_movements(
            movements=[MovementInput(tshirt.pk, bin_a.pk, MovementKind.RECEIPT, 5, "Order shipped", "SO-1")],
            user=warehouse.user,
        )
    assert StockMovement.objects.get().reason == "Order shipped"
    client = client_as(warehouse)
    page = client.get(reverse("inventory:movement-list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "订单已发货" in page and "Order shipped" not in page
    page = client.get(reverse("inventory:movement-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Order shipped" in page
