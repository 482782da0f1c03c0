"""Pages of the inventory module (mounted at /inventory/)."""

app_name = "inventory"

urlpatterns: list = []
