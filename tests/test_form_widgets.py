"""Every date, time and month box renders a value the browser accepts, in Chinese (the default) as in English.

Found by a tester with Chromium in Chinese: the zh-hans locale writes dates as 2025/03/17, which
`<input type="date">` refuses, so every pre-filled date box was empty and saving an unchanged form lost the date."""

import datetime
import importlib
import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone, translation

from payroll.forms import MonthField
from roles.choices import Cadence
from roles.models import DutyTemplate
from shop_ops.widgets import MonthSelect

from .factories import EmployeeFactory

FORM_MODULES = ["roles.forms", "payroll.forms", "inventory.forms", "accounts.forms"]
DAY = datetime.date(2025, 3, 17)
MOMENT = datetime.datetime(2025, 3, 17, 9, 30)


def _all_forms():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm) and value.__module__ == name:
                yield value


def _date_fields():
    for form in _all_forms():
        for name, field in form.base_fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField | forms.TimeField | MonthField):
                yield form, name, field


def test_the_walk_finds_the_date_and_month_boxes():
    found = {(form.__name__, name) for form, name, _field in _date_fields()}
    assert {("EmployeeForm", "hire_date"), ("DutyForm", "anchor_date"), ("AdHocTaskForm", "due_date")} <= found
    assert {("StartRunForm", "month"), ("VersionForm", "effective_from"), ("OpenCountForm", "month")} <= found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_date_box_of_every_form_renders_an_iso_value(language):
    for form, name, field in _date_fields():
        if isinstance(field, MonthField) or isinstance(field.widget, MonthSelect):
            value, wanted = DAY, 'value="2025-03" selected'
        elif isinstance(field, forms.DateTimeField):
            value, wanted = MOMENT, 'value="2025-03-17T09:30"'
        elif isinstance(field, forms.TimeField):
            value, wanted = MOMENT.time(), 'value="09:30"'
        else:
            value, wanted = DAY, 'value="2025-03-17"'
        with translation.override(language):
            html = field.widget.render(name, value)
        assert wanted in html, f"{form.__name__}.{name} renders {html!r}"


def test_a_month_is_a_select_labelled_in_chinese_with_this_month_when_required():
    widget = MonthSelect()
    widget.is_required = True
    with translation.override("zh-hans"):
        html = widget.render("month", None)
    this_month = timezone.localdate()
    assert html.startswith("<select")
    assert f'value="{this_month:%Y-%m}" selected>{this_month.year}年{this_month.month}月</option>' in html
    assert "no month" not in html and "未选" not in html
    # A month far outside the offered years still shows as itself, not as another month.
    assert 'value="2001-02" selected' in widget.render("month", datetime.date(2001, 2, 1))


def test_an_optional_month_offers_an_empty_choice():
    widget = MonthSelect()
    widget.is_required = False
    html = widget.render("corrects_month", None)
    assert re.search(r'<option value="" selected>', html)


def _box_value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    match = re.search(r'value="([^"]*)"', tag)
    return match.group(1) if match else ""


def test_chinese_employee_edit_keeps_the_hire_date(client_as, manager, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    employee = EmployeeFactory(hire_date=DAY)
    client = client_as(manager)
    with translation.override("zh-hans"):
        page = client.get(reverse("roles:employee-edit", args=[employee.pk])).content.decode()
    assert 'lang="zh-hans"' in page
    assert _box_value(page, "hire_date") == "2025-03-17"


def test_chinese_duty_and_one_off_task_keep_their_dates(client_as, manager, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    employee = EmployeeFactory()
    duty = DutyTemplate.objects.create(
        role=employee.role, text_zh="盘点", cadence=Cadence.EVERY_N_DAYS, interval_days=3, anchor_date=DAY
    )
    client = client_as(manager)
    with translation.override("zh-hans"):
        duty_page = client.get(reverse("roles:duty-edit", args=[duty.pk])).content.decode()
        task_page = client.get(reverse("roles:adhoc-task")).content.decode()
    assert _box_value(duty_page, "anchor_date") == "2025-03-17"
    assert _box_value(task_page, "due_date") == f"{timezone.localdate():%Y-%m-%d}"


def test_month_lists_end_at_this_month_unless_a_field_looks_ahead_or_back():
    """Found by a tester: the payroll, count and payslip month lists offered 12 future months, each refused only
    after submitting. Now they end at this month; a structure's start looks a year ahead; a correction ends at the
    month before."""
    from inventory.forms import OpenCountForm
    from payroll.forms import AdjustmentForm, PayslipFilterForm, StartRunForm

    this_month = timezone.localdate().replace(day=1)
    next_month = (this_month + datetime.timedelta(days=32)).replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)

    def offered(widget):
        return re.findall(r'<option value="(\d{4}-\d{2})"', widget.render("month", None))

    for form, name in ((StartRunForm, "month"), (PayslipFilterForm, "month"), (OpenCountForm, "month")):
        months = offered(form().fields[name].widget)
        assert months[0] == f"{this_month:%Y-%m}", (form.__name__, months[:3])
        assert f"{next_month:%Y-%m}" not in months
    corrections = AdjustmentForm().fields["corrects_month"].widget
    assert offered(corrections)[0] == f"{last_month:%Y-%m}"
    widget = MonthSelect(months_ahead=12)
    assert offered(widget)[0] == f"{(this_month + datetime.timedelta(days=370)).replace(day=1):%Y-%m}"
    # A month already chosen outside the list still shows as itself.
    assert 'value="2030-01" selected' in MonthSelect().render("month", datetime.date(2030, 1, 1))
