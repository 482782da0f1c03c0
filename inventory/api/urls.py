"""API of the inventory module (mounted at /api/inventory/)."""

urlpatterns: list = []
