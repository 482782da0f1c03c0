"""The formula editor as a tester used it in Chinese: the blank extra row, a division by zero, errors in Chinese."""

import pytest
from django.urls import reverse
from django.utils import translation

from payroll.formula import FormulaError, parse
from payroll.models import StructureVersion
from shop_ops.templatetags.shop_ops_format import money


def _data(formula: str, **extra):
    """One component row and the blank extra row the page always shows (kind pre-selected, nothing typed)."""
    return {
        "effective_from": "2026-03",
        "note": "",
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "1",
        "form-0-code": "base_pay",
        "form-0-name": "Base",
        "form-0-kind": "earning",
        "form-0-formula": formula,
        "form-1-code": "",
        "form-1-name": "",
        "form-1-kind": "earning",
        "form-1-formula": "",
        **extra,
    }


@pytest.mark.parametrize("button", ["preview", "save"])
def test_the_blank_extra_row_is_ignored(client_as, manager, payroll_world, sales_employee, button):
    sales_employee()
    structure = payroll_world["structure"]
    url = reverse("payroll:structure-edit", args=[structure.pk])
    response = client_as(manager).post(url, _data("base * 2", **{button: "1"}))
    if button == "preview":
        assert response.status_code == 200
        page = response.content.decode()
        assert "This field is required" not in page and 'data-testid="preview-table"' in page
    else:
        assert response.status_code == 302, response.content.decode()
        assert StructureVersion.objects.filter(structure=structure).count() == 2


def test_a_half_typed_extra_row_is_still_checked(client_as, manager, payroll_world):
    structure = payroll_world["structure"]
    data = _data("base", save="1", **{"form-1-code": "extra"})
    response = client_as(manager).post(reverse("payroll:structure-edit", args=[structure.pk]), data)
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert StructureVersion.objects.filter(structure=structure).count() == 1


@pytest.mark.parametrize("button", ["preview", "save"])
def test_division_by_zero_is_a_form_error_not_a_500(client_as, manager, payroll_world, sales_employee, button):
    sales_employee()
    structure = payroll_world["structure"]
    url = reverse("payroll:structure-edit", args=[structure.pk])
    response = client_as(manager).post(url, _data("base / 0", **{button: "1"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "division by zero" in page
    assert StructureVersion.objects.filter(structure=structure).count() == 1


def test_money_never_fails_on_a_non_number():
    assert money("n/a") == "—"
    assert money(None) == "—"
    assert money("1234.5") == "¥1,234.50"


def test_formula_errors_are_in_chinese_on_chinese_pages_and_keep_the_name():
    with pytest.raises(FormulaError) as caught:
        parse("min(bonsu, 5000)", names={"bonus"})
    with translation.override("zh-hans"):
        chinese = str(caught.value.message)
    with translation.override("en"):
        english = str(caught.value.message)
    assert english == "unknown name 'bonsu' at column 5; did you mean 'bonus'?"
    assert "bonsu" in chinese and "bonus" in chinese and "unknown" not in chinese
    assert "未知名称" in chinese and "第 5 列" in chinese


def test_the_editor_shows_the_formula_error_in_chinese(client_as, manager, payroll_world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    structure = payroll_world["structure"]
    with translation.override("zh-hans"):
        response = client_as(manager).post(
            reverse("payroll:structure-edit", args=[structure.pk]), _data("min(bonsu, 5000)", save="1")
        )
    page = response.content.decode()
    assert "未知名称" in page and "bonsu" in page and "unknown name" not in page
