"""Admin: a read-only window on the org chart; changes go through the pages and the API (roles/services)."""

from django.contrib import admin

from shop_ops.admin import ViewOnlyAdmin

from .models import Department, Employee, Role


@admin.register(Department)
class DepartmentAdmin(ViewOnlyAdmin):
    list_display = ["code", "name_zh", "name_en", "sort_order"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Role)
class RoleAdmin(ViewOnlyAdmin):
    list_display = ["code", "title_zh", "title_en", "department", "headcount", "access_group"]
    list_filter = ["department", "access_group"]
    search_fields = ["code", "title_zh", "title_en"]


@admin.register(Employee)
class EmployeeAdmin(ViewOnlyAdmin):
    list_display = ["employee_number", "full_name", "role", "status", "hire_date", "leave_date"]
    list_filter = ["status", "role__department"]
    # Never the bank account or ID number: they are stored encrypted and shown masked only.
    search_fields = ["employee_number", "full_name", "user__username"]
    list_select_related = ["role", "role__department"]
    exclude = ["bank_account", "id_number", "id_number_digest"]
    readonly_fields = ["bank_account_masked", "id_number_masked"]
