from decimal import Decimal

from django import template

from ..permissions import can_run_payroll, can_view_payroll_inputs

register = template.Library()


@register.filter
def payroll_all(user) -> bool:
    """Whether the navigation shows the payroll pages (Manager, Finance)."""
    return can_view_payroll_inputs(user)


@register.filter
def payroll_runs(user) -> bool:
    """Whether the user runs the payroll (Finance): their start page is what waits for finance."""
    return can_run_payroll(user)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def percent(rate) -> str:
    """A rate stored as a share (0.0850) shown as a percentage (8.5%), exactly: no float in between."""
    if rate is None or rate == "":
        return "—"
    value = (Decimal(rate) * 100).normalize()
    return f"{value:f}%"


@register.filter
def money_change(value) -> str:
    """A change in money with its sign: +¥1,000.00, -¥250.00, ¥0.00 (shop_ops.numbers.format_money)."""
    from shop_ops.numbers import format_money

    text = format_money(value)
    return f"+{text}" if isinstance(value, Decimal) and value > 0 else text


@register.filter
def percent_change(value) -> str:
    """A change in per cent as computed (one decimal) with its sign: +25.0%, -3.5%; blank when there is none
    (last month was 0)."""
    if value is None:
        return ""
    return f"+{value}%" if value > 0 else f"{value}%"
