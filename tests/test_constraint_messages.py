"""No page shows a database constraint's name: every constraint says what is wrong in words, in Chinese too.

Found by a tester: an out-of-bounds base salary showed "约束 profile_base_in_bounds 是无效的"."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from .factories import EmployeeFactory

APPS = {"roles", "payroll", "inventory", "accounts", "shop_ops"}


def _constraints():
    for model in apps.get_models():
        if model._meta.app_label in APPS:
            for constraint in model._meta.constraints:
                yield model, constraint


def test_the_walk_finds_the_constraints():
    names = {constraint.name for _model, constraint in _constraints()}
    assert {"profile_base_in_bounds", "one_sales_figure_per_department_month", "order_line_unique_sku"} <= names


def test_every_constraint_has_a_human_message_in_english_and_chinese():
    missing = []
    for model, constraint in _constraints():
        message = constraint.violation_error_message
        where = f"{model.__name__}.{constraint.name}"
        if message is None or message == constraint.default_violation_error_message:
            missing.append(f"{where}: no violation_error_message")
            continue
        with translation.override("en"):
            english = str(constraint.get_violation_error_message())
        with translation.override("zh-hans"):
            chinese = str(constraint.get_violation_error_message())
        if constraint.name in english or constraint.name in chinese:
            missing.append(f"{where}: the message shows the constraint's name")
        if chinese == english:
            missing.append(f"{where}: no Chinese translation of {english!r}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    ("base", "wanted"),
    [("20000000", "小于或等于10000000"), ("-1", "大于或等于0")],
)
def test_an_out_of_bounds_base_salary_is_said_at_the_field_in_chinese(client_as, manager, settings, base, wanted):
    settings.LANGUAGE_CODE = "zh-hans"
    employee = EmployeeFactory()
    employee.role.pay_grade_max = Decimal("99999999")
    employee.role.save()
    with translation.override("zh-hans"):
        response = client_as(manager).post(
            reverse("payroll:profile-edit", args=[employee.pk]),
            {"base_salary": base, "contribution_base": "", "special_additional_deduction": "0"},
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "profile_base_in_bounds" not in page and "约束" not in page
    assert wanted in page


def test_the_services_bounds_message_is_chinese_on_chinese_pages(db):
    from payroll.exceptions import PayrollError
    from payroll.services import _bounded

    with translation.override("zh-hans"), pytest.raises(PayrollError) as caught:
        _bounded(Decimal("-1"), field="sales")
    assert "必须在 0.00 到 10,000,000.00 之间" in str(caught.value.message)
