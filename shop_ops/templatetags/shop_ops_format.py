"""Filters every template has without {% load %} (settings: TEMPLATES builtins): one money format, one way to
show a name kept in two languages."""

from django import template

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
