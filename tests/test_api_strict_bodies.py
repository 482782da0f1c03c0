"""JSON bodies are read as strictly as query parameters (shop_ops/api.py), and the schema says what the API does."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from inventory.models import Location, Warehouse

pytestmark = pytest.mark.django_db


def test_an_unknown_key_is_refused_and_named(api_as, warehouse):
    response = api_as(warehouse).post(
        "/api/inventory/warehouses/", {"code": "east", "name": "东仓", "nmae": "typo"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "nmae" in body["errors"] and "Unknown field" in body["errors"]["nmae"][0]
    assert "code" in body["errors"]["nmae"][0]  # says what is allowed
    assert body["detail"].startswith("Invalid input. nmae: Unknown field")
    assert not Warehouse.objects.filter(code="east").exists()


def test_unknown_keys_inside_lists_are_refused_too(api_as, warehouse):
    from tests.inventory.factories import LocationFactory, SkuFactory

    sku, location = SkuFactory(), LocationFactory()
    line = {"sku": sku.pk, "location": location.pk, "kind": "receipt", "quantity": 5, "quantiy": 50}
    response = api_as(warehouse).post("/api/inventory/movements/", {"movements": [line]}, format="json")
    assert response.status_code == 400
    assert "quantiy" in response.json()["errors"]["movements"][0]
    assert not sku.levels.exists()


def test_many_unknown_keys_are_counted_not_all_named(api_as, warehouse):
    body = {"code": "east", "name": "东仓", **{f"k{i}": i for i in range(500)}}
    errors = api_as(warehouse).post("/api/inventory/warehouses/", body, format="json").json()["errors"]
    assert len(errors) == 21 and "500 unknown fields" in errors["non_field_errors"][0]


def test_read_only_keys_may_be_sent_back(api_as, warehouse):
    api = api_as(warehouse)
    created = api.post("/api/inventory/warehouses/", {"code": "east", "name": "东仓"}, format="json").json()
    response = api.put(f"/api/inventory/warehouses/{created['id']}/", {**created, "name": "东区仓"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "东区仓"


def test_a_warehouse_is_named_by_its_code_as_text(api_as, warehouse):
    Warehouse.objects.create(code="5", name="五号仓")
    api = api_as(warehouse)
    response = api.post("/api/inventory/locations/", {"warehouse": 5, "code": "X-1"}, format="json")
    assert response.status_code == 400 and "warehouse" in response.json()["errors"]
    assert not Location.objects.filter(code="X-1").exists()
    assert api.post("/api/inventory/locations/", {"warehouse": "5", "code": "X-1"}, format="json").status_code == 201


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


@pytest.mark.parametrize(
    ("component", "field"),
    [("ChecklistItem", "done_by"), ("LossReport", "reviewed_by"), ("StockCount", "loss_report")],
)
def test_fields_that_can_be_null_are_documented_so(schema, component, field):
    assert schema[component]["properties"][field].get("nullable") is True


def test_an_empty_phone_matches_the_documented_pattern(schema, api_as, manager):
    pattern = schema["EmployeeRequest"]["properties"]["phone"]["pattern"]
    assert re.fullmatch(pattern, "") and re.fullmatch(pattern, "13812345678") and not re.fullmatch(pattern, "abc")
    # The read side shows masked numbers (138****5678): no pattern there.
    assert "pattern" not in schema["Employee"]["properties"]["phone"]
    employee = api_as(manager).get("/api/employees/").json()["results"][0]
    api = api_as(manager)
    assert api.patch(f"/api/employees/{employee['id']}/", {"phone": ""}, format="json").status_code == 200
    response = api.patch(f"/api/employees/{employee['id']}/", {"phone": "abc"}, format="json")
    assert response.status_code == 400 and "phone" in response.json()["errors"]
