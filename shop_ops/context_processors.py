from inventory.permissions import is_customer_service
from roles.permissions import group_names


def navigation(request):
    """`nav_access`: what the navigation's links depend on, as a cache key for the rendered links (base.html).

    Every rule the links use (roles, payroll and inventory permissions) follows from these: superuser or not, the
    access groups, whether the user has an employee record, and whether their role is customer service. A new
    link that depends on anything else must add it here."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_access": ""}
    return {
        "nav_access": "|".join(
            [
                "superuser" if user.is_superuser else "",
                ",".join(sorted(group_names(user))),
                "employee" if getattr(user, "employee", None) is not None else "",
                "customer-service" if is_customer_service(user) else "",
            ]
        )
    }
