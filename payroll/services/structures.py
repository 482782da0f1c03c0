"""Salary structures and their versions."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from roles.services import check_not_own_pay

from ..choices import LOCKED_STATUSES
from ..engine import ComponentSpec, compile_components
from ..exceptions import PayrollConflict, PayrollError
from ..models import Component, PayrollRun, Payslip, SalaryStructure, StructureVersion, month_label

logger = logging.getLogger(__name__)


@transaction.atomic
def create_structure(*, code: str, name: str, role=None, employee=None, user=None) -> SalaryStructure:
    """A salary structure for a role, or an override for one employee (then it wins over the role's); not for
    one's own role or oneself."""
    check_not_own_pay(by=user, employee=employee, role=role, field="role" if role is not None else "employee")
    structure = SalaryStructure(code=code, name=name, role=role, employee=employee, created_by=user)
    if (role is None) == (employee is None):
        raise ValidationError({"role": _("Choose a role or an employee (one of them).")})
    structure.full_clean()
    structure.save()
    return structure


def check_components(specs: Iterable[ComponentSpec]):
    """Parse and check the components; raises engine.ComponentError naming the row, field and column."""
    return compile_components(list(specs))


@transaction.atomic
def save_structure_version(
    *,
    structure: SalaryStructure,
    effective_from: datetime.date,
    components: Sequence[ComponentSpec],
    note: str = "",
    user=None,
) -> StructureVersion:
    """Save the structure's components from a month on, as a new version (or replacing that month's version
    while no approved run used it). Every formula is checked first; nothing is saved if one is wrong. Not the
    structure of one's own role or of oneself."""
    check_not_own_pay(by=user, employee=structure.employee, role=structure.role)
    effective_from = effective_from.replace(day=1)
    if not components:
        raise PayrollError(_("A structure needs at least one component."), field="components")
    check_components(components)
    version = (
        StructureVersion.objects.select_for_update().filter(structure=structure, effective_from=effective_from).first()
    )
    if version is not None:
        if Payslip.objects.filter(structure_version=version, run__status__in=LOCKED_STATUSES).exists():
            raise PayrollConflict(
                _("The version from %(month)s was used by an approved payroll; save the change from a later month.")
                % {"month": month_label(effective_from)}
            )
        locked_later = PayrollRun.objects.filter(month__gte=effective_from, status__in=LOCKED_STATUSES)
        if locked_later.exists():
            raise PayrollConflict(_("An approved payroll already uses this month; save the change from a later month."))
        for component in version.components.all():  # one by one, so the audit trail records each removal
            component.delete()
        version.note = note
        version.created_by = user
        version.save()
    else:
        if PayrollRun.objects.filter(month__gte=effective_from, status__in=LOCKED_STATUSES).exists():
            raise PayrollConflict(
                _("An approved payroll exists from %(month)s on; the new version must start later.")
                % {"month": month_label(effective_from)}
            )
        version = StructureVersion.objects.create(
            structure=structure, effective_from=effective_from, note=note, created_by=user
        )
    bulk_create_with_history(
        [
            Component(version=version, order=i, code=c.code.strip(), name=c.name, kind=c.kind, formula=c.formula)
            for i, c in enumerate(components, start=1)
        ],
        Component,
        default_user=user if getattr(user, "is_authenticated", False) else None,
    )
    return version
