import pytest

from inventory.services import MovementInput, post_movements

from .factories import LocationFactory, SkuFactory, WarehouseFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Export files go to a temporary MEDIA_ROOT, never the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def main_warehouse(db):
    return WarehouseFactory()


@pytest.fixture
def bin_a(main_warehouse):
    return LocationFactory(warehouse=main_warehouse, code="A-01")


@pytest.fixture
def bin_b(main_warehouse):
    return LocationFactory(warehouse=main_warehouse, code="B-01")


@pytest.fixture
def tshirt(db):
    return SkuFactory(code="TS001-WHT-M")


@pytest.fixture
def stock(warehouse):
    """post(sku, location, kind, qty) posts one movement as the warehouse user; returns the movement."""

    def post(sku, location, kind, quantity, **kwargs):
        return post_movements(
            movements=[MovementInput(sku.pk, location.pk, kind, quantity)],
            user=kwargs.pop("user", warehouse.user),
            **kwargs,
        )[0]

    return post


def on_hand(sku, location) -> int:
    level = sku.levels.filter(location=location).first()
    return level.on_hand if level else 0


@pytest.fixture
def customer_service(db):
    """A customer-service agent (客服): a Staff member whose role code is one of CUSTOMER_SERVICE_ROLE_CODES."""
    from roles.models import Role

    from ..factories import EmployeeFactory, RoleFactory, UserFactory

    role = Role.objects.filter(code="cs_staff").first() or RoleFactory(code="cs_staff", access_group="Staff")
    return EmployeeFactory(role=role, user=UserFactory(groups=["Staff"]))
