from django.contrib import admin

from .models import Location, Sku, StockLevel, StockMovement, Warehouse


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "warehouse", "name"]
    list_filter = ["warehouse"]
    search_fields = ["code", "name"]


@admin.register(Sku)
class SkuAdmin(admin.ModelAdmin):
    """SKUs are catalogue data: created and edited here (stock itself changes only through movements)."""

    list_display = ["code", "name", "colour", "size", "kind", "unit_cost", "warning_level", "is_listed"]
    list_filter = ["kind", "is_listed"]
    search_fields = ["code", "style_code", "name"]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    """Read-only: levels follow the ledger."""

    list_display = ["sku", "location", "on_hand", "allow_negative"]
    list_select_related = ["sku", "location"]
    search_fields = ["sku__code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(StockLevelAdmin):
    """Read-only: the ledger is append-only."""

    list_display = ["occurred_at", "kind", "sku", "location", "quantity", "value", "created_by", "reference"]
    list_filter = ["kind"]
    list_select_related = ["sku", "location", "created_by"]
    search_fields = ["sku__code", "reference"]
