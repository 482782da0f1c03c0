"""Found by a tester: SKU codes had to be typed in the exact case, the ledger's SKU filter needed the whole code,
and the close-count confirmation was offered while lines were still uncounted."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from inventory import demo
from inventory.models import Location, Sku, StockCount, StockMovement
from inventory.selectors import sku_by_code, skus_by_code


@pytest.fixture
def demo_stock(superuser):
    demo.load_demo()


def test_sku_lookup_ignores_letter_case_and_spaces(db):
    upper = Sku.objects.create(code="TS009-WHT-M", style_code="TS009", name="T", unit_cost=1)
    assert sku_by_code(" ts009-wht-m ") == upper
    with pytest.raises(IntegrityError), transaction.atomic():  # a code differing only in case is the same SKU
        Sku.objects.create(code="ts009-wht-m", style_code="ts009", name="t", unit_cost=1)
    assert sku_by_code("ts009-wht-m") == upper and sku_by_code("TS009-WHT-M") == upper
    assert sku_by_code("nope") is None and skus_by_code([]) == {}


def test_a_receipt_typed_in_lower_case_is_posted_to_the_sku(client_as, demo_stock, warehouse):
    location = Location.objects.get(code="A-01")
    data = {"kind": "receipt", "sku": "ts001-wht-s", "location": location.pk, "quantity": 5, "reference": "RK-9"}
    response = client_as(warehouse).post(reverse("inventory:movement-create"), data, follow=True)
    assert "Posted: Receipt" in response.content.decode()
    movement = StockMovement.objects.filter(reference="RK-9").get()
    assert movement.sku.code == "TS001-WHT-S"  # stored as entered in the catalogue


def test_an_import_with_lower_case_codes_finds_the_skus(client_as, demo_stock, warehouse):
    upload = SimpleUploadedFile("r.csv", b"sku,location,quantity,reference\nts001-wht-s,A-01,2,RK-LOW\n")
    response = client_as(warehouse).post(reverse("inventory:import"), {"kind": "receipt", "file": upload})
    assert "Unknown SKU" not in response.content.decode()
    assert StockMovement.objects.filter(reference="RK-LOW", sku__code="TS001-WHT-S").exists()


def test_the_ledger_filter_matches_part_of_a_code_in_any_case(client_as, demo_stock, warehouse):
    client = client_as(warehouse)
    part = client.get(reverse("inventory:movement-list"), {"sku": "wht-"}).context["page"].paginator.count
    assert part == StockMovement.objects.filter(sku__code__contains="WHT-").count() > 0
    whole = client.get(reverse("inventory:movement-list"), {"sku": "ts001-wht-s"}).context["page"]
    assert {m.sku.code for m in whole} == {"TS001-WHT-S"}


def test_the_api_filters_sku_codes_in_any_case(api_as, demo_stock, warehouse):
    response = api_as(warehouse).get("/api/inventory/movements/", {"sku_code": "ts001-wht-s"})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert rows and all(row["sku_code"] == "TS001-WHT-S" for row in rows)


def test_closing_is_not_offered_while_lines_are_uncounted(client_as, demo_stock, wh_supervisor):
    client = client_as(wh_supervisor)
    warehouse_obj = StockCount.objects.get().warehouse
    this_month = datetime.date.today().replace(day=1)
    client.post(reverse("inventory:count-open"), {"warehouse": warehouse_obj.pk, "month": f"{this_month:%Y-%m}"})
    count = StockCount.objects.get(period=this_month)
    lines = list(count.lines.all())
    for line in lines[:-2]:
        client.post(reverse("inventory:count-line", args=[count.pk, line.pk]), {"counted_quantity": 1})
    detail = client.get(count.get_absolute_url()).content.decode()
    assert "2 lines still to count" in detail and reverse("inventory:count-close", args=[count.pk]) not in detail
    page = client.get(reverse("inventory:count-close", args=[count.pk])).content.decode()
    assert "2 lines are not counted yet" in page and 'data-testid="confirm-close"' not in page
    for line in lines[-2:]:
        client.post(reverse("inventory:count-line", args=[count.pk, line.pk]), {"counted_quantity": 1})
    page = client.get(reverse("inventory:count-close", args=[count.pk])).content.decode()
    assert 'data-testid="confirm-close"' in page and "not counted yet" not in page


def test_cancelling_a_count_needs_the_confirmation_ticked(client_as, demo_stock, warehouse):
    """Found by a tester: "cancel the whole count instead" sat beside the close button and threw away every counted
    line in one tap. Now it is folded away and needs its box ticked; without it nothing changes."""
    client = client_as(warehouse)
    warehouse_obj = StockCount.objects.get().warehouse
    this_month = timezone.localdate().replace(day=1)
    client.post(reverse("inventory:count-open"), {"warehouse": warehouse_obj.pk, "month": f"{this_month:%Y-%m}"})
    count = StockCount.objects.get(period=this_month)
    line = count.lines.first()
    client.post(reverse("inventory:count-line", args=[count.pk, line.pk]), {"counted_quantity": 1})
    url = reverse("inventory:count-close", args=[count.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="cancel-count"' in page and 'name="confirm_cancel" required' in page

    response = client.post(url, {"action": "cancel"}, follow=True)
    assert response.redirect_chain[-1][0] == url
    assert "Tick the box" in response.content.decode()
    count.refresh_from_db()
    assert count.status == "open" and count.lines.filter(counted_quantity__isnull=False).count() == 1

    client.post(url, {"action": "cancel", "confirm_cancel": "on"})
    count.refresh_from_db()
    assert count.status == "cancelled"
