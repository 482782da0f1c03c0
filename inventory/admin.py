"""Admin: a read-only window on the warehouse; the catalogue and warehouse pages change it through the services,
and stock changes only through movements (the ledger is append-only)."""

from django.contrib import admin

from shop_ops.admin import ViewOnlyAdmin, ViewOnlyHistoryAdmin

from .models import Location, Sku, StockLevel, StockMovement, Warehouse


@admin.register(Warehouse)
class WarehouseAdmin(ViewOnlyAdmin):
    list_display = ["code", "name"]


@admin.register(Location)
class LocationAdmin(ViewOnlyAdmin):
    list_display = ["code", "warehouse", "name"]
    list_filter = ["warehouse"]
    search_fields = ["code", "name"]


@admin.register(Sku)
class SkuAdmin(ViewOnlyHistoryAdmin):
    """SKUs are catalogue data (edited on the Catalogue pages); "History" shows every change of price or level."""

    list_display = ["code", "name", "colour", "size", "kind", "unit_cost", "sale_price", "warning_level", "is_listed"]
    list_filter = ["kind", "is_listed"]
    search_fields = ["code", "style_code", "name", "barcode"]


@admin.register(StockLevel)
class StockLevelAdmin(ViewOnlyAdmin):
    """Levels follow the ledger."""

    list_display = ["sku", "location", "on_hand", "allow_negative"]
    list_select_related = ["sku", "location"]
    search_fields = ["sku__code"]


@admin.register(StockMovement)
class StockMovementAdmin(ViewOnlyAdmin):
    """The ledger is append-only."""

    list_display = ["occurred_at", "kind", "sku", "location", "quantity", "value", "created_by", "reference"]
    list_filter = ["kind"]
    list_select_related = ["sku", "location", "created_by"]
    search_fields = ["sku__code", "reference"]
