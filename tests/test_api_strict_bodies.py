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


def test_a_key_given_twice_is_refused_and_named(api_as, manager, staff, other_staff):
    """json keeps the last of two equal keys: {"employee": 3, "employee": 1} acted on employee 1."""
    from payroll.models import Adjustment

    body = (
        f'{{"employee": {staff.pk}, "employee": {other_staff.pk}, "month": "2026-03", "kind": "bonus", '
        '"amount": "100.00", "reason": "x"}'
    )
    response = api_as(manager).post("/api/payroll/adjustments/", body, content_type="application/json")
    assert response.status_code == 400
    assert "more than once" in response.json()["errors"]["employee"][0]
    assert not Adjustment.objects.exists()


def test_a_key_given_twice_inside_a_list_is_refused_too(api_as, warehouse):
    body = '{"movements": [{"sku": 1, "quantity": 5, "quantity": 500}]}'
    response = api_as(warehouse).post("/api/inventory/movements/", body, content_type="application/json")
    assert response.status_code == 400 and "quantity" in response.json()["errors"]


@pytest.mark.parametrize("bad", ["\u0007", "\u001b", "\u007f", "\u0085", "\u202a", "\u202e", "\u2066", "\u2069"])
def test_control_and_text_direction_characters_are_refused_and_the_field_named(api_as, manager, staff, bad):
    name = staff.full_name
    response = api_as(manager).patch(f"/api/employees/{staff.pk}/", {"full_name": f"林{bad}abc"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "full_name" in body["errors"] and "control characters" in body["errors"]["full_name"][0]
    staff.refresh_from_db()
    assert staff.full_name == name


def test_a_nested_string_or_a_key_with_such_characters_is_named_by_its_path(api_as, warehouse):
    client = api_as(warehouse)
    nested = {"movements": [{"sku": 1, "note": "ok"}, {"sku": 1, "note": "a\u202eb"}]}
    assert list(client.post("/api/inventory/movements/", nested, format="json").json()["errors"]) == [
        "movements.1.note"
    ]
    key = client.post("/api/inventory/warehouses/", {"co\u202ede": "x"}, format="json").json()["errors"]
    assert list(key) == ["co\\u202ede"]


def test_tabs_and_line_breaks_are_still_text():
    import io

    from shop_ops.parsers import JSONParser

    data = JSONParser().parse(io.BytesIO('{"note": "一\\t二\\r\\n三", "名": ["x\\n"]}'.encode()))
    assert data == {"note": "一\t二\r\n三", "名": ["x\n"]}


def test_pages_refuse_text_direction_overrides_with_the_same_rule(client):
    from django.urls import reverse

    page = client.post(reverse("login"), {"username": "admin\u202e", "password": "x"})
    assert page.status_code == 400
    assert "text-direction overrides" in page.content.decode()
