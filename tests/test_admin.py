"""The superuser's admin cannot undo what the services guarantee: it searches and filters no personal number, shows
them masked, and changes none of the project's rows (the services and their locks are the only writers)."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.test import RequestFactory
from django.urls import reverse

from inventory import services as inventory_services
from inventory.models import Sku
from roles.models import Employee
from shop_ops.admin import ViewOnlyAdmin
from shop_ops.encryption import EncryptedCharField

from .factories import EmployeeFactory, id_number_with_check
from .inventory.factories import LocationFactory, SkuFactory

PROJECT_APPS = {"roles", "payroll", "inventory", "shop_ops"}
BANK = "6222023141592653589"
ID_NUMBER = id_number_with_check("31010419790304271")


def encrypted_names() -> set[str]:
    return {
        field.name
        for model in admin.site._registry
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedCharField)
    } | {"id_number_digest"}


def lookup_strings(model_admin) -> list[str]:
    names = []
    for option in ("search_fields", "list_filter", "list_display", "ordering", "sortable_by", "list_editable"):
        for item in getattr(model_admin, option, None) or ():
            item = item[0] if isinstance(item, tuple | list) else item
            names.append(item if isinstance(item, str) else getattr(item, "parameter_name", repr(item)))
    return names


def test_no_admin_searches_filters_or_lists_a_personal_number():
    secret = encrypted_names()
    assert {"bank_account", "id_number"} <= secret
    for model, model_admin in admin.site._registry.items():
        for name in lookup_strings(model_admin):
            parts = name.lstrip("^=@-").split("__")
            assert not secret & set(parts), f"{model.__name__}Admin uses {name}"


def test_every_admin_of_the_project_is_view_only(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    project = [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label in PROJECT_APPS]
    assert len(project) >= 18
    for model, model_admin in project:
        assert isinstance(model_admin, ViewOnlyAdmin), model.__name__
        assert model_admin.has_view_permission(request)
        assert not model_admin.has_add_permission(request), model.__name__
        assert not model_admin.has_change_permission(request), model.__name__
        assert not model_admin.has_delete_permission(request), model.__name__


def test_employee_admin_shows_numbers_masked_and_refuses_changes(client_as, superuser):
    employee = EmployeeFactory(bank_account=BANK, id_number=ID_NUMBER)
    client = client_as(superuser)
    url = reverse("admin:roles_employee_change", args=[employee.pk])
    page = client.get(url).content.decode()
    assert employee.bank_account_masked in page and employee.id_number_masked in page
    assert BANK not in page and ID_NUMBER not in page
    response = client.post(url, {"full_name": "改名", "bank_account": "6222000000000000001"})
    assert response.status_code == 403
    employee.refresh_from_db()
    assert (employee.full_name, employee.bank_account) != ("改名", "6222000000000000001")
    assert client.post(reverse("admin:roles_employee_add"), {}).status_code == 403
    assert client.post(reverse("admin:roles_employee_delete", args=[employee.pk]), {"post": "yes"}).status_code == 403
    assert Employee.objects.filter(pk=employee.pk).exists()


@pytest.mark.parametrize(
    "query",
    [
        {"id_number__startswith": ID_NUMBER[:6]},
        {"bank_account__contains": BANK[-8:]},
        {"bank_account": BANK},
        {SEARCH_VAR: BANK},
        {SEARCH_VAR: ID_NUMBER[:10]},
    ],
)
def test_the_employee_changelist_is_no_oracle_for_personal_numbers(client_as, superuser, query):
    """A query that tells the employee with the number apart from one without would reveal the number."""
    employee = EmployeeFactory(bank_account=BANK, id_number=ID_NUMBER)
    other = EmployeeFactory(bank_account="6222000000000000002", id_number=id_number_with_check("11010519491231002"))
    response = client_as(superuser).get(reverse("admin:roles_employee_changelist"), query, follow=True)
    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert (employee in listed) == (other in listed)


def test_the_ledger_and_levels_cannot_be_changed_in_admin(client_as, superuser):
    location = LocationFactory()
    sku = SkuFactory()
    movement = inventory_services.post_movement(sku=sku, location=location, kind="receipt", quantity=5, user=superuser)
    client = client_as(superuser)
    url = reverse("admin:inventory_stockmovement_change", args=[movement.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"quantity": 500}).status_code == 403
    movement.refresh_from_db()
    assert movement.quantity == 5


def test_a_sku_cannot_be_reverted_through_its_admin_history(client_as, superuser):
    """django-simple-history's version form saves a POST after checking only the view permission."""
    sku = SkuFactory(unit_cost=Decimal("25.50"))
    sku.unit_cost = Decimal("30.00")
    inventory_services.save_sku(sku=sku, user=superuser)
    first = sku.history.order_by("history_id").first()
    client = client_as(superuser)
    url = reverse("admin:inventory_sku_simple_history", args=[sku.pk, first.history_id])
    assert client.get(url).status_code == 200  # the old version can be looked at
    form = {
        field.name: getattr(first, field.attname)
        for field in Sku._meta.concrete_fields
        if field.editable and not field.primary_key
    }
    form = {k: ("" if v is None else v) for k, v in form.items()}
    assert client.post(url, form).status_code == 403
    sku.refresh_from_db()
    assert sku.unit_cost == Decimal("30.00")
