"""The catalogue in the browser and the API: SKUs, auxiliary materials, warehouses and bin locations."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import Location, Sku, Warehouse

from .factories import LocationFactory, SkuFactory, WarehouseFactory

BASE = "/api/inventory"


def sku_form(**overrides):
    data = {
        "kind": "goods",
        "code": "DR009-RED-S",
        "style_code": "DR009",
        "name": "碎花连衣裙",
        "colour": "红",
        "size": "S",
        "barcode": "6901234567001",
        "unit_cost": "88.00",
        "sale_price": "199.00",
        "warning_level": "5",
        "reorder_quantity": "20",
        "is_listed": "on",
    }
    return data | overrides


def test_warehouse_creates_and_edits_a_sku_in_the_browser(client_as, warehouse):
    client = client_as(warehouse)
    response = client.post(reverse("inventory:sku-create") + "?kind=goods", sku_form())
    assert response.status_code == 302 and response["Location"] == reverse("inventory:catalogue-skus")
    sku = Sku.objects.get(code="DR009-RED-S")
    assert (sku.sale_price, sku.barcode, sku.warning_level) == (Decimal("199.00"), "6901234567001", 5)
    response = client.post(reverse("inventory:sku-edit", args=[sku.pk]), sku_form(sale_price="159.00"))
    assert response.status_code == 302
    sku.refresh_from_db()
    assert sku.sale_price == Decimal("159.00")
    assert sku.history.latest().history_user == warehouse.user  # the edit is in the audit trail
    page = client.get(reverse("inventory:catalogue-skus") + "?q=6901234567001").content.decode()
    assert "DR009-RED-S" in page and reverse("inventory:sku-edit", args=[sku.pk]) in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"code": "TAKEN"}, "code", "SKU TAKEN 纯棉T恤 already has this code"),
        ({"code": "taken"}, "code", "SKU TAKEN 纯棉T恤 already has this code (letter case does not matter): taken."),
        ({"barcode": "111"}, "barcode", "Another SKU already has this barcode."),
        ({"unit_cost": "-1"}, "unit_cost", "greater than or equal to 0"),
        ({"sale_price": "abc"}, "sale_price", "Enter a number."),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_sku_form_errors_are_shown_at_the_field_and_nothing_is_saved(client_as, warehouse, overrides, field, message):
    SkuFactory(code="TAKEN", barcode="111")
    response = client_as(warehouse).post(reverse("inventory:sku-create"), sku_form(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in errors[field][0]
    assert Sku.objects.count() == 1


def test_materials_have_their_own_tab_and_are_never_listed(client_as, warehouse):
    SkuFactory(code="TS-GOODS")
    client = client_as(warehouse)
    response = client.post(
        reverse("inventory:sku-create") + "?kind=material",
        sku_form(kind="material", code="TAG-01", name="吊牌", barcode="", sale_price="0"),
    )
    assert response["Location"] == reverse("inventory:catalogue-materials")
    assert Sku.objects.get(code="TAG-01").is_listed is False
    page = client.get(reverse("inventory:catalogue-materials")).content.decode()
    assert "TAG-01" in page and "TS-GOODS" not in page


def test_catalogue_search_pagination_and_query_count(client_as, warehouse, django_assert_max_num_queries):
    SkuFactory.create_batch(55)
    client = client_as(warehouse)
    with django_assert_max_num_queries(12):
        first = client.get(reverse("inventory:catalogue-skus"))
    assert "Page 1 of 2 (55 in all)" in first.content.decode()
    second = client.get(reverse("inventory:catalogue-skus") + "?page=2").content.decode()
    assert second.count("/edit/") == 5
    empty = client.get(reverse("inventory:catalogue-skus") + "?q=nothing-like-this").content.decode()
    assert "Nothing matches the search." in empty


def test_warehouses_and_locations(client_as, manager):
    client = client_as(manager)
    assert client.post(reverse("inventory:warehouse-create"), {"code": "sh", "name": "上海仓"}).status_code == 302
    store = Warehouse.objects.get(code="sh")
    assert (
        client.post(reverse("inventory:warehouse-create"), {"code": "sh", "name": "x"}).context["form"].errors["code"]
    )
    response = client.post(reverse("inventory:location-create"), {"warehouse": store.pk, "code": " b-02 ", "name": ""})
    assert response.status_code == 302 and Location.objects.get(warehouse=store).code == "B-02"
    again = client.post(reverse("inventory:location-create"), {"warehouse": store.pk, "code": "B-02"})
    assert again.context["form"].errors == {"code": ["上海仓 already has a location B-02."]}
    page = client.get(reverse("inventory:catalogue-locations") + "?q=b-02").content.decode()
    assert "B-02" in page
    assert "上海仓" in client.get(reverse("inventory:catalogue-warehouses")).content.decode()


def test_a_location_with_stock_stays_in_its_warehouse(client_as, warehouse, tshirt, bin_a, stock):
    stock(tshirt, bin_a, "receipt", 3)
    other = WarehouseFactory(code="other", name="其他仓")
    response = client_as(warehouse).post(
        reverse("inventory:location-edit", args=[bin_a.pk]), {"warehouse": other.pk, "code": "A-01"}
    )
    assert "holds stock" in response.context["form"].errors["warehouse"][0]
    bin_a.refresh_from_db()
    assert bin_a.warehouse != other


@pytest.mark.parametrize(("who", "read", "write"), [("finance", 200, 302), ("staff", 302, 302)])
def test_catalogue_permissions(request, client_as, who, read, write):
    client = client_as(request.getfixturevalue(who))
    assert client.get(reverse("inventory:catalogue-skus")).status_code == read
    assert client.post(reverse("inventory:sku-create"), sku_form()).status_code == write
    assert client.get(reverse("inventory:location-create")).status_code == 302
    assert not Sku.objects.exists()


def test_catalogue_api_writes(api_as, warehouse, finance):
    client = api_as(warehouse)
    created = client.post(f"{BASE}/warehouses/", {"code": "gz", "name": "广州仓"}, format="json")
    assert created.status_code == 201
    location = client.post(f"{BASE}/locations/", {"warehouse": "gz", "code": "C-01"}, format="json")
    assert location.status_code == 201 and location.json()["warehouse"] == "gz"
    payload = {"code": "JN-1", "name": "牛仔裤", "unit_cost": "60.00", "sale_price": "129.00", "barcode": "690"}
    response = client.post(f"{BASE}/skus/", payload, format="json")
    assert response.status_code == 201 and response.json()["sale_price"] == "129.00"
    sku_id = response.json()["id"]
    duplicate = client.post(f"{BASE}/skus/", payload | {"code": "JN-2"}, format="json")
    assert duplicate.status_code == 400 and "barcode" in duplicate.json()["errors"]
    negative = client.patch(f"{BASE}/skus/{sku_id}/", {"unit_cost": "-5"}, format="json")
    assert negative.status_code == 400 and "unit_cost" in negative.json()["errors"]
    assert client.patch(f"{BASE}/skus/{sku_id}/", {"warning_level": 8}, format="json").json()["warning_level"] == 8
    assert client.delete(f"{BASE}/skus/{sku_id}/").status_code == 405
    assert api_as(finance).get(f"{BASE}/skus/").status_code == 200
    assert api_as(finance).post(f"{BASE}/warehouses/", {"code": "x", "name": "x"}, format="json").status_code == 403
    assert Sku.objects.get(pk=sku_id).history.count() == 2


def test_location_api_keeps_codes_unique_per_warehouse(api_as, warehouse, main_warehouse):
    LocationFactory(warehouse=main_warehouse, code="A-01")
    response = api_as(warehouse).post(
        f"{BASE}/locations/", {"warehouse": main_warehouse.code, "code": "A-01"}, format="json"
    )
    assert response.status_code == 400


def test_a_new_product_creates_its_grid_of_skus(client_as, warehouse, django_assert_max_num_queries):
    client = client_as(warehouse)
    data = {
        "style_code": "ts009",
        "name": "亚麻衬衫",
        "colours": "白/WHT， 蓝/blu",
        "sizes": "s, m, L",
        "unit_cost": "45.00",
        "sale_price": "119.00",
        "warning_level": "3",
        "reorder_quantity": "0",
    }
    response = client.post(reverse("inventory:product-create"), data)
    assert response.status_code == 302 and "q=TS009" in response["Location"]
    skus = Sku.objects.filter(style_code="TS009").order_by("code")
    assert [(s.code, s.colour, s.size) for s in skus] == [
        ("TS009-BLU-L", "蓝", "L"),
        ("TS009-BLU-M", "蓝", "M"),
        ("TS009-BLU-S", "蓝", "S"),
        ("TS009-WHT-L", "白", "L"),
        ("TS009-WHT-M", "白", "M"),
        ("TS009-WHT-S", "白", "S"),
    ]
    assert {(s.sale_price, s.warning_level) for s in skus} == {(Decimal("119.00"), 3)}
    again = client.post(reverse("inventory:product-create"), data | {"sizes": "XL, M"})
    assert "These SKUs exist already: TS009-BLU-M, TS009-WHT-M." in again.context["form"].errors["style_code"][0]
    assert Sku.objects.filter(style_code="TS009").count() == 6  # all or none: no XL was added
    bad = client.post(reverse("inventory:product-create"), data | {"colours": "白", "sizes": "特大"})
    assert set(bad.context["form"].errors) == {"colours", "sizes"}
    with django_assert_max_num_queries(12):
        page = client.get(reverse("inventory:catalogue-products") + "?q=ts009").content.decode()
    assert "TS009" in page and "亚麻衬衫" in page
