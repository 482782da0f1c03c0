"""Deleting a record that others still point to (any PROTECT or RESTRICT foreign key, found through the model
meta by shop_ops/deletion.py): 409 naming what blocks it, in the API and on the delete confirmation page."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from payroll.models import ProfitPoolRule, SalaryStructure, SalesFigure
from roles.models import Department, DutyTemplate, Role
from shop_ops.deletion import DeleteBlocked, blocking_references, delete_record

from .factories import DepartmentFactory, DutyFactory, RoleFactory

pytestmark = pytest.mark.django_db


def department_with_figures():
    department = DepartmentFactory(name_zh="销售部", name_en="Sales")
    SalesFigure.objects.create(
        month=datetime.date(2026, 1, 1), department=department, sales=Decimal("1.00"), gross_profit=Decimal("1.00")
    )
    SalesFigure.objects.create(
        month=datetime.date(2026, 2, 1), department=department, sales=Decimal("1.00"), gross_profit=Decimal("1.00")
    )
    ProfitPoolRule.objects.create(department=department, rate=Decimal("0.1000"))
    return department


def role_with_duties():
    role = RoleFactory(title_zh="客服", title_en="Customer service")
    for _ in range(3):
        DutyFactory(role=role)
    SalaryStructure.objects.create(code="cs", name="CS", role=role)
    return role


def test_deleting_a_department_with_sales_figures_and_a_pool_rule_is_a_409_naming_them(api_as, manager):
    department = department_with_figures()
    response = api_as(manager).delete(f"/api/departments/{department.pk}/")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "Cannot delete department" in detail
    assert "2 sales figures" in detail and "1 profit pool rule" in detail
    assert Department.objects.filter(pk=department.pk).exists()


def test_deleting_a_role_with_duties_and_a_salary_structure_is_a_409_naming_them(api_as, manager):
    role = role_with_duties()
    response = api_as(manager).delete(f"/api/roles/{role.pk}/")
    assert response.status_code == 409
    assert response.json()["detail"] == f"Cannot delete role {role}: 3 duties, 1 salary structure refer to it."
    assert Role.objects.filter(pk=role.pk).exists()
    assert DutyTemplate.objects.filter(role=role).count() == 3


@pytest.mark.parametrize(("make", "url_name"), [(role_with_duties, "roles:role-delete"), (department_with_figures,
                                                 "roles:department-delete")])  # fmt: skip
def test_the_delete_page_shows_the_blockers_as_a_form_error(client_as, manager, make, url_name):
    record = make()
    response = client_as(manager).post(reverse(url_name, args=[record.code]))
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-testid="delete-error"' in body and "refer to it" in body
    assert type(record).objects.filter(pk=record.pk).exists()


def test_the_delete_page_error_is_in_chinese(client_as, manager):
    role = role_with_duties()
    response = client_as(manager).post(reverse("roles:role-delete", args=[role.code]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "无法删除" in response.content.decode()


def test_a_record_nobody_refers_to_is_deleted(api_as, manager):
    role = RoleFactory()
    assert api_as(manager).delete(f"/api/roles/{role.pk}/").status_code == 204
    assert not Role.objects.filter(pk=role.pk).exists()


def blocking_relations():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.remote_field.on_delete in (models.PROTECT, models.RESTRICT):
                yield model, field


def test_every_protect_foreign_key_is_found_by_the_model_meta():
    """Each PROTECT/RESTRICT foreign key of the project (56 today) is one of the relations delete_record counts."""
    relations = list(blocking_relations())
    assert len(relations) > 40
    for model, field in relations:
        target = field.related_model
        counted = {
            (relation.related_model, relation.field.name)
            for relation in target._meta.get_fields(include_hidden=True)
            if relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)
        }
        assert (model, field.name) in counted, f"{model._meta.label}.{field.name}"


def test_delete_record_counts_hidden_relations_and_refuses(manager):
    department = department_with_figures()
    assert blocking_references(department) == Counter({SalesFigure: 2, ProfitPoolRule: 1})
    with pytest.raises(DeleteBlocked) as refused:
        delete_record(department)
    assert refused.value.status_code == 409


def test_a_protected_error_that_reaches_the_api_is_a_409(api_as, manager, monkeypatch):
    """The net under delete_record: a ProtectedError from anywhere becomes 409 with the blockers, not a 500."""
    from roles.services import org

    role = role_with_duties()
    monkeypatch.setattr(org, "delete_record", lambda record: record.delete())
    response = api_as(manager).delete(f"/api/roles/{role.pk}/")
    assert response.status_code == 409
    assert "3 duties" in response.json()["detail"]
