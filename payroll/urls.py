"""Pages of the payroll module (mounted at /payroll/)."""

app_name = "payroll"

urlpatterns: list = []
