"""What the admin may do with the project's own tables: look, never change.

Every row of roles, payroll and inventory has a page and a service that holds its rules (locks on approved months
and closed counts, the immutable ledger, who may grant which rights, runs sent back when their inputs change) and
writes the audit trail. An admin form would save around all of that, so the admin shows these rows and the
pages and the API change them. The admin of third-party plumbing (periodic tasks, tokens, logins) is untouched.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class ViewOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete in the admin: the service is the only writer."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyHistoryAdmin(ViewOnlyAdmin, SimpleHistoryAdmin):
    """The *History* of each row, read-only: django-simple-history's version form saves a POST (a "revert") after
    checking only the view permission, so a POST there is refused here."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)
