"""SKU codes are matched whatever the letter case, so two SKUs may not differ only in case: by service, page, API and
database."""

import importlib
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from inventory import services
from inventory.exceptions import InventoryConflict
from inventory.models import Sku

from .factories import SkuFactory

pytestmark = pytest.mark.django_db
BASE = "/api/inventory"


@pytest.fixture
def dress(db):
    return SkuFactory(code="DR002-BLU-M", name="连衣裙")


def test_the_service_refuses_a_code_that_differs_only_in_case(dress, warehouse):
    sku = Sku(code="dr002-blu-m", name="连衣裙", unit_cost=Decimal("10.00"))
    with pytest.raises(InventoryConflict, match="SKU DR002-BLU-M 连衣裙 already has this code"):
        services.save_sku(sku=sku, user=warehouse.user)
    assert Sku.objects.count() == 1


def test_a_sku_may_be_saved_again_under_its_own_code_in_other_case(dress, warehouse):
    dress.code = "dr002-blu-m"
    services.save_sku(sku=dress, user=warehouse.user)
    assert Sku.objects.get().code == "dr002-blu-m"


def test_the_database_refuses_codes_that_differ_only_in_case(dress):
    with pytest.raises(IntegrityError), transaction.atomic():
        Sku.objects.create(code="Dr002-Blu-M", name="x", unit_cost=Decimal("1.00"))


def test_api_refuses_the_lower_case_twin(api_as, dress, manager):
    payload = {"code": "dr002-blu-m", "name": "连衣裙", "unit_cost": "10.00", "kind": "goods"}
    response = api_as(manager).post(f"{BASE}/skus/", payload, format="json")
    assert response.status_code == 409, response.content
    assert "DR002-BLU-M" in response.content.decode()
    assert Sku.objects.count() == 1


def test_page_refuses_the_lower_case_twin_at_the_field_keeping_what_was_typed(client_as, dress, warehouse):
    data = {
        "kind": "goods",
        "code": "dr002-blu-m",
        "name": "连衣裙",
        "unit_cost": "10.00",
        "sale_price": "0",
        "warning_level": "0",
        "reorder_quantity": "0",
    }
    response = client_as(warehouse).post(reverse("inventory:sku-create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "DR002-BLU-M" in " ".join(form.errors["code"])
    assert 'value="dr002-blu-m"' in response.content.decode()
    assert Sku.objects.count() == 1


def test_the_migration_check_names_the_clashing_codes():
    """Data saved before the constraint: the migration stops naming the clashes instead of failing obscurely."""
    migration = importlib.import_module("inventory.migrations.0006_count_sku_order_rules")
    assert migration.case_clashes(["DR002-BLU-M", "dr002-blu-m", "TS001-WHT-M", "Dr002-Blu-M"]) == [
        "DR002-BLU-M / Dr002-Blu-M / dr002-blu-m"
    ]
    assert migration.case_clashes(["DR002-BLU-M", "TS001-WHT-M"]) == []
