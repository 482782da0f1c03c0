"""Checklist dashboard tables (completion bars, overdue list) rendered in Python.

The dashboard shows up to 50 people, every role and every department per page, and the template engine spent
about 85 µs on each row (a fifth of the dashboard's time): here a row is one `format_html`. The markup is the same
as a template would give, escaped the same way.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def as_percent(share) -> str:
    """A share (0.7857) as a whole percent by the checklists' one rounding rule ("79%"); "—" when there is none."""
    from ..selectors.checklists import whole_percent

    value = whole_percent(share)
    return "—" if value is None else f"{value}%"


_PK_PLACEHOLDER = 987654321


def url_maker(name: str):
    """`make(pk)` gives `reverse(name, args=[pk])` for an integer pk, reversing once instead of once per row."""
    pattern = reverse(name, args=[_PK_PLACEHOLDER])
    before, after = pattern.split(str(_PK_PLACEHOLDER))
    return lambda pk: f"{before}{int(pk)}{after}"


def _bar_row(row, testid: str, person_url) -> dict:
    return {
        "testid": testid,
        "key": row.key,
        "label": format_html('<a href="{}">{}</a>', person_url(row.key), row.label) if person_url else row.label,
        # Nothing due is not 0%: a dash, as for on time, so an empty day does not read as a failure.
        "done_total": f"{row.done} / {row.total}" if row.total else "—",
        "bar": format_html(
            '<progress class="bar" value="{}" max="100" aria-label="{}%"></progress> {}%',
            row.percent,
            row.percent,
            row.percent,
        )
        if row.total
        else "—",
        "on_time": f"{row.on_time_percent}%" if row.total else "—",
        "overdue": format_html('<span class="late">{}</span>', row.overdue) if row.overdue else "0",
    }


@register.simple_tag
def completion_bars(rows, heading: str, testid: str, link: bool = False):
    """A completion table: label (a link to the person's history when `link`), done / total, a bar, on time,
    overdue; an empty-state row when there is nothing."""
    person_url = url_maker("roles:person-history") if link else None
    # On a phone each row is a card (cards-on-phone); each cell carries its column's heading as its label.
    labels = {
        "heading": heading,
        "done_label": _("Done"),
        "bar_label": _("Completion"),
        "on_time_label": _("On time"),
        "overdue_label": _("Overdue now"),
    }
    body = format_html_join(
        "\n",
        # A <progress> element, not a styled span: the Content-Security-Policy allows no inline style attributes.
        '<tr data-testid="{testid}-{key}"><td class="name card-title card-two" data-label="{heading}">{label}</td>'
        '<td class="nowrap" data-label="{done_label}">{done_total}</td>'
        '<td class="bar-col card-wide" data-label="{bar_label}">{bar}</td>'
        '<td data-label="{on_time_label}">{on_time}</td><td data-label="{overdue_label}">{overdue}</td></tr>',
        (_bar_row(row, testid, person_url) | labels for row in rows),
    ) or format_html('<tr><td colspan="5" class="empty">{}</td></tr>', _("No items due in this period."))
    return format_html(
        '<div class="overflow-auto" tabindex="0" role="region" aria-label="{}">\n'
        '<table class="bars cards-on-phone" data-testid="{}-completion">\n'
        "  <thead><tr><th>{}</th><th>{}</th>"
        '<th class="bar-col">{}</th><th>{}</th><th>{}</th></tr></thead>\n  <tbody>\n{}\n  </tbody>\n</table>\n</div>',
        _("Table (scrolls sideways)"),
        testid,
        heading,
        labels["done_label"],
        labels["bar_label"],
        labels["on_time_label"],
        labels["overdue_label"],
        body,
    )


@register.simple_tag
def overdue_rows(items):
    """The rows of the dashboard's overdue list: due date, person (a link to their history), department, task;
    an empty-state row when nothing is overdue."""
    person_url = url_maker("roles:person-history")
    # Each cell's label on a phone: its column's heading in the dashboard template.
    due, person, department, task = _("Due"), _("Person"), _("Department"), _("Task")
    return format_html_join(
        "\n",
        '<tr><td class="late date" data-label="{}">{}</td><td class="name card-title card-two" data-label="{}">'
        '<a href="{}">{}</a></td><td data-label="{}">{}</td><td class="card-two" data-label="{}">{}</td></tr>',
        (
            (
                due,
                item.due_date.isoformat(),
                person,
                person_url(item.employee_id),
                item.employee.full_name,
                department,
                item.employee.role.department.name,
                task,
                item.title,
            )
            for item in items
        ),
    ) or format_html('<tr><td colspan="4" class="empty">{}</td></tr>', _("Nothing is overdue."))
