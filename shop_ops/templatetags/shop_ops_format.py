"""Filters every template has without {% load %} (settings: TEMPLATES builtins): one money format, one way to
show a name kept in two languages."""

from django import template

from shop_ops import waiting
from shop_ops.i18n import in_language
from shop_ops.numbers import format_money

register = template.Library()


@register.filter
def money(value) -> str:
    """¥1,234.50, -¥192.50, — for no value (shop_ops.numbers.format_money)."""
    return format_money(value)


@register.filter
def amount(value) -> str:
    """The same number without the yuan sign, for columns whose heading names the currency."""
    return format_money(value, sign=False)


@register.filter
def localized(record, field: str = "name") -> str:
    """`record.<field>_zh` or `record.<field>_en`, whichever the page's language reads (the other one if empty):
    {{ department|localized }}, {{ role|localized:"title" }}. A dict from .values() works the same way; a text
    written in both languages ({{ component.name|localized }}: "底薪 Base pay") gives its part in the page's."""
    return in_language(record, field)


@register.filter
def person(user) -> str:
    """Who did something, as people know them: the employee's name (姓名); for a login with no employee record (an
    administrator) the name on the login, or the login itself when it has none; — for nobody. Select `…__employee`
    with the user (deferring its encrypted numbers) to save the query; without it only the name is read, so no
    personal number is decrypted to show one."""
    if user is None:
        return "—"
    cache = getattr(getattr(user, "_state", None), "fields_cache", {})
    if "employee" in cache:  # read along (None: a login with no employee, such as an administrator)
        name = cache["employee"].full_name if cache["employee"] is not None else None
    else:
        from roles.models import Employee

        name = Employee.objects.filter(user_id=user.pk).values_list("full_name", flat=True).first()
    return name or user.get_full_name() or user.get_username()


@register.filter
def waited(since) -> str:
    """3天22小时: how long since `since` (shop_ops.waiting.waited)."""
    return waiting.waited(since)
