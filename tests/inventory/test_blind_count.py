"""A blind count (盲盘) is blind: while it is open, nobody who may record counts sees the counted warehouse's system
quantities anywhere (the rule: inventory/permissions.py, sees_blind_count_figures)."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inventory import services
from inventory.models import InventoryJob, StockLevel
from inventory.services import MovementInput, post_movements

from .factories import LocationFactory, SkuFactory, WarehouseFactory

BASE = "/api/inventory"
COUNTED, OTHER = 4321, 17  # figures that cannot appear on a page by chance


@pytest.fixture
def blind(db, warehouse):
    """Stock in two warehouses; a blind count open in the first one."""
    north = WarehouseFactory(code="north", name="北仓")
    south = WarehouseFactory(code="south", name="南仓")
    north_bin = LocationFactory(warehouse=north, code="N-01")
    south_bin = LocationFactory(warehouse=south, code="S-01")
    sku = SkuFactory(code="BLIND-SKU", name="盲盘款")
    post_movements(
        movements=[
            MovementInput(sku.pk, north_bin.pk, "receipt", COUNTED),
            MovementInput(sku.pk, south_bin.pk, "receipt", OTHER),
        ],
        user=warehouse.user,
    )
    count = services.open_stock_count(warehouse=north, period=datetime.date.today(), user=warehouse.user, blind=True)
    return {"sku": sku, "north_bin": north_bin, "south_bin": south_bin, "count": count}


PAGES = {
    "stock": lambda b: reverse("inventory:stock-list"),
    "stock-search": lambda b: reverse("inventory:stock-list") + "?q=BLIND",
    "sku": lambda b: reverse("inventory:sku-detail", args=[b["sku"].pk]),
    "ledger": lambda b: reverse("inventory:movement-list"),
    "catalogue": lambda b: reverse("inventory:catalogue-skus"),
    "products": lambda b: reverse("inventory:catalogue-products"),
    "summary": lambda b: reverse("inventory:summary"),
    "count": lambda b: b["count"].get_absolute_url(),
}


def _figures_in(text: str) -> set[int]:
    return {n for n in (COUNTED, OTHER, COUNTED + OTHER) if str(n) in text}


@pytest.mark.parametrize("who", ["warehouse", "manager"])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_counters_do_not_see_the_counted_warehouse_on_any_page(client_as, blind, request, who, page):
    body = client_as(request.getfixturevalue(who)).get(PAGES[page](blind)).content.decode()
    assert COUNTED not in _figures_in(body) and COUNTED + OTHER not in _figures_in(body)
    if page != "count":
        assert 'data-testid="blind-notice"' in body and "北仓" in body


def test_goods_kept_only_in_the_counted_warehouse_do_not_look_sold_out(client_as, blind, warehouse):
    """Found by a tester: during a blind count every SKU kept in the counted warehouse was listed 'out of stock,
    tell the shop to delist', and its page said 'never stocked' beside a Delist button."""
    only_north = SkuFactory(code="NORTH-ONLY", name="北仓独有款")
    post_movements(movements=[MovementInput(only_north.pk, blind["north_bin"].pk, "receipt", 5)], user=warehouse.user)
    client = client_as(warehouse)
    stock = client.get(PAGES["stock"](blind)).content.decode()
    assert 'data-testid="to-delist"' not in stock
    below = client.get(reverse("inventory:stock-list") + "?below=1").content.decode()
    assert "NORTH-ONLY" not in below
    page = client.get(reverse("inventory:sku-detail", args=[only_north.pk])).content.decode()
    assert "Never stocked." not in page and 'data-testid="delist-waits"' in page
    assert reverse("inventory:sku-listed", args=[only_north.pk]) not in page


@pytest.mark.parametrize("who", ["finance", "superuser"])
def test_finance_and_superusers_still_see_the_figures(client_as, blind, request, who):
    client = client_as(request.getfixturevalue(who))
    assert str(COUNTED) in client.get(PAGES["stock"](blind)).content.decode()
    assert str(COUNTED + OTHER) in client.get(PAGES["catalogue"](blind)).content.decode()
    assert "Expected" in client.get(PAGES["count"](blind)).content.decode()


@pytest.mark.parametrize("who", ["warehouse", "manager"])
def test_counters_get_no_counted_figures_from_the_api(api_as, blind, request, who):
    api = api_as(request.getfixturevalue(who))
    levels = api.get(f"{BASE}/levels/").json()["results"]
    assert [row["on_hand"] for row in levels] == [OTHER]
    for query in ("?ordering=-on_hand", "?warehouse=north", f"?location={blind['north_bin'].pk}"):
        assert all(row["on_hand"] != COUNTED for row in api.get(f"{BASE}/levels/{query}").json()["results"])
    north_level = StockLevel.objects.get(location=blind["north_bin"])
    assert api.get(f"{BASE}/levels/{north_level.pk}/").status_code == 404
    movements = api.get(f"{BASE}/movements/").json()["results"]
    assert [row["quantity"] for row in movements] == [OTHER]
    summary = api.get(f"{BASE}/summary/").json()
    assert summary["total_qty"]["closing"] == OTHER
    lines = api.get(f"{BASE}/counts/{blind['count'].pk}/lines/").json()["results"]
    assert lines and all("snapshot_quantity" not in line and "expected_quantity" not in line for line in lines)


def test_finance_sees_the_counted_figures_in_the_api(api_as, blind, finance):
    api = api_as(finance)
    assert sorted(row["on_hand"] for row in api.get(f"{BASE}/levels/").json()["results"]) == [OTHER, COUNTED]
    assert api.get(f"{BASE}/summary/").json()["total_qty"]["closing"] == COUNTED + OTHER
    lines = api.get(f"{BASE}/counts/{blind['count'].pk}/lines/").json()["results"]
    assert lines[0]["snapshot_quantity"] == COUNTED


def test_a_refused_shipment_does_not_tell_a_counter_the_figure(client_as, blind, warehouse):
    data = {"kind": "shipment", "sku": "BLIND-SKU", "location": blind["north_bin"].pk, "quantity": 999999}
    body = client_as(warehouse).post(reverse("inventory:movement-create"), data).content.decode()
    assert "Not enough stock" in body and "under a blind count" in body and str(COUNTED) not in body


def test_exports_leave_the_counted_warehouse_out_for_counters(
    api_as, blind, warehouse, finance, django_capture_on_commit_callbacks
):
    month = f"{datetime.date.today():%Y-%m}"
    with django_capture_on_commit_callbacks(execute=True):
        finance_job = api_as(finance).post(f"{BASE}/summary/export/", {"month": month}, format="json").json()
    assert InventoryJob.objects.get(pk=finance_job["id"]).status == "done"
    api = api_as(warehouse)
    # Finance's file holds the counted warehouse: a counter may not download it while the count is open.
    assert api.get(f"{BASE}/jobs/{finance_job['id']}/download/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        own = api.post(f"{BASE}/summary/export/", {"month": month}, format="json").json()
    response = api.get(f"{BASE}/jobs/{own['id']}/download/")
    assert response.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values for c in row]
    assert OTHER in cells and COUNTED not in cells and COUNTED + OTHER not in cells
    assert InventoryJob.objects.count() == 2


def test_figures_come_back_when_the_count_is_cancelled(api_as, blind, warehouse):
    services.cancel_stock_count(count=blind["count"], user=warehouse.user)
    levels = api_as(warehouse).get(f"{BASE}/levels/").json()["results"]
    assert sorted(row["on_hand"] for row in levels) == [OTHER, COUNTED]


def test_a_count_that_is_not_blind_hides_nothing(api_as, blind, warehouse):
    count = blind["count"]
    count.blind = False
    count.save(update_fields=["blind"])
    assert len(api_as(warehouse).get(f"{BASE}/levels/").json()["results"]) == 2
