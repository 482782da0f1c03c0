from django import template

from .. import permissions, selectors
from ..choices import SYSTEM_SENTENCES

register = template.Library()


@register.simple_tag(takes_context=True)
def inventory_access(context) -> dict:
    """What the warehouse pages and the navigation may show to the signed-in user (rules from permissions.py)."""
    user = context["request"].user
    return {
        "view": permissions.can_view_stock(user),
        "operate": permissions.can_operate_stock(user),
        "review": permissions.can_review_loss_reports(user),
        "flagged": permissions.can_handle_flagged_orders(user),
        # Warehouses under a blind count whose figures this user's pages leave out (a lazy query: pages that do
        # not show the notice do not run it).
        "blind": selectors.blind_warehouses(user=user),
    }


@register.filter
def works_in_warehouse(user) -> bool:
    """Whether the user operates the warehouse (its queue is their start page, or one of them)."""
    return permissions.can_operate_stock(user)


@register.filter
def customer_service_waiting(user) -> int | None:
    """For customer service (not the warehouse, whose queue says it): how many orders wait for them; None for
    people who do not answer them."""
    if permissions.can_operate_stock(user) or not permissions.can_answer_flagged_orders(user):
        return None
    from ..selectors.orders import flagged_orders

    return flagged_orders().count()


@register.filter
def in_reader_language(text) -> str:
    """A sentence the warehouse wrote into a record ("Order shipped"), in the language of the page that shows it;
    text a person typed as it is."""
    return SYSTEM_SENTENCES.in_language(text)
