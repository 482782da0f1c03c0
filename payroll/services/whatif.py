"""What-if: the payslips a structure change would give, before it is saved."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from roles.models import Employee

from ..calculation import MonthData
from ..engine import ComponentSpec, ComputationError, ComputedPayslip, compute_payslip
from ..models import StructureVersion
from .structures import check_components

logger = logging.getLogger(__name__)


@dataclass
class PreviewRow:
    employee: Employee
    before: ComputedPayslip | None
    after: ComputedPayslip | None
    error: str = ""

    @property
    def net_difference(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after.net_pay - self.before.net_pay

    def amount(self, which: str, code: str) -> Decimal | None:
        slip = getattr(self, which)
        if slip is None:
            return None
        return next((line.amount for line in slip.lines if line.code == code), None)


def preview_structure_change(
    *, version: StructureVersion, components: Sequence[ComponentSpec], month: datetime.date, limit: int = 500
) -> list[PreviewRow]:
    """Recompute `month` for the employees on this version, once as stored and once with `components`;
    nothing is written. Formula errors in `components` raise ComponentError before any computing."""
    compiled = check_components(components)
    before = MonthData(month)
    after = MonthData(month, overrides={version.pk: compiled})
    people = [
        person
        for person in before.load_people(before.employee_ids())
        if (v := before.version_for(person)) is not None and v.pk == version.pk
    ][:limit]
    employees = Employee.objects.in_bulk([person.pk for person in people])
    rows = []
    for current, changed, person in zip(before.batch(people), after.batch(people), people, strict=True):
        row = PreviewRow(employee=employees[person.pk], before=None, after=None)
        try:
            row.before = compute_payslip(current)
        except ComputationError as error:
            row.error = error.message
        try:
            row.after = compute_payslip(changed)
        except ComputationError as error:
            row.error = error.message
        rows.append(row)
    return rows
