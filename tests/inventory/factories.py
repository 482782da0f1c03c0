"""factory-boy factories of the inventory models (kept beside their tests so modules merge without clashes)."""

from decimal import Decimal

import factory

from inventory.models import Location, Sku, Warehouse


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = "main"
    name = "主仓"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    warehouse = factory.SubFactory(WarehouseFactory)
    code = factory.Sequence(lambda n: f"A-{n:02d}")


class SkuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sku

    code = factory.Sequence(lambda n: f"TS{n:04d}-WHT-M")
    style_code = factory.Sequence(lambda n: f"TS{n:04d}")
    name = "纯棉T恤"
    colour = "白"
    size = "M"
    unit_cost = Decimal("25.50")
    warning_level = 0
