"""API of the payroll module (mounted at /api/payroll/)."""

urlpatterns: list = []
