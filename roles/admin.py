from django.contrib import admin

from .models import Department, Employee, Role


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "sort_order"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["code", "title_zh", "title_en", "department", "headcount", "access_group"]
    list_filter = ["department", "access_group"]
    search_fields = ["code", "title_zh", "title_en"]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["employee_number", "full_name", "role", "status", "hire_date", "leave_date"]
    list_filter = ["status", "role__department"]
    search_fields = ["employee_number", "full_name", "user__username"]
    list_select_related = ["role", "role__department"]
    exclude = ["bank_account", "id_number"]
    readonly_fields = ["bank_account_masked", "id_number_masked"]
