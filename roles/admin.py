"""Admin: a read-only window on the org chart; changes go through the pages and the API (roles/services)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from shop_ops.admin import ViewOnlyAdmin

from .logins import clean_login_name
from .models import Department, Employee, Role


class LoginNameCreationForm(AdminUserCreationForm):
    """The admin's new user: the login name rules of `roles.logins` (safe set, normal form, no look-alike)."""

    def clean_username(self):
        return clean_login_name(self.cleaned_data.get("username") or "")


class LoginNameChangeForm(UserChangeForm):
    """Renaming a login in the admin follows the same rules; an unchanged (older) name is left as it is."""

    def clean_username(self):
        name = self.cleaned_data.get("username") or ""
        if self.instance.pk and name == self.instance.username:
            return name
        return clean_login_name(name, exclude_user_id=self.instance.pk)


class LoginAdmin(UserAdmin):
    add_form = LoginNameCreationForm
    form = LoginNameChangeForm


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), LoginAdmin)


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
    exclude = ["bank_account", "id_number", "id_number_digest", "bank_account_digest"]
    readonly_fields = ["bank_account_masked", "id_number_masked"]
