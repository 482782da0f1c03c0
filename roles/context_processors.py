from . import permissions


def access(request):
    """What the navigation may show to the signed-in user."""
    user = request.user
    employee = getattr(user, "employee", None) if user.is_authenticated else None
    return {
        "can_manage_org": permissions.can_manage_org(user),
        "can_view_all_employees": permissions.can_view_all_employees(user),
        "can_view_audit": permissions.can_view_audit(user),
        "current_employee": employee,
    }
