"""What a computed run read: a fingerprint of every input of its computation, checked again before approval.

The fingerprint is taken from the engine's own inputs — each employee's `PayPerson` placement (role, department,
structure version) and `EmployeeMonth` (components, policy, every formula variable, contribution base, corrections,
year to date, months employed) — exactly as `payroll.calculation` loaded them for the computation. Nothing is
listed by hand: every field of `EmployeeMonth` and every variable is walked generically, so an input added to the
engine later is covered by the same fingerprint without a change here (a value of a type this module does not know
raises, rather than being skipped). Beside them, each employee's bank account (its keyed hash): not an input of the
pay but of the payment, since approval copies it to the payslip for the bank sheet.

Each employee gets one digest (stored on the payslip) and every kind of input (a field of `EmployeeMonth`, each
formula variable, the placement) one digest over all employees in id order (stored on the run), so a mismatch
names both who and what changed.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .engine import EmployeeMonth
from .formula import Formula

# Names of the kinds of input for a reader; a kind without a label is named by its key.
KIND_LABELS = {
    "people": _("who is paid (hires and leavers)"),
    "placement": _("role, department and salary structure"),
    "bank_account": _("bank accounts and the names they are paid to"),
    "components": _("salary structure formulas"),
    "policy": _("social insurance policy"),
    "contribution_base": _("contribution base"),
    "corrections": _("corrections of earlier months"),
    "special_additional_deduction": _("special additional deductions"),
    "additional_deductions": _("special additional deductions by category"),
    "prior": _("income and tax earlier this year (approved months, opening balances)"),
    "months_employed": _("months employed this year"),
    "tax_month": _("month of the tax year"),
    "withholding_option": _("basic deduction option"),
    "base": _("base salary"),
    "working_days": _("working days (calendar, holidays, attendance)"),
    "days_worked": _("days worked (attendance, hire and leave dates)"),
    "unpaid_leave_days": _("unpaid leave days"),
    "bonus": _("bonuses"),
    "penalty": _("penalties"),
    "completion_rate": _("checklist completion"),
    "sales": _("company sales"),
    "gross_profit": _("company gross profit"),
    "team_sales": _("department sales"),
    "team_gross_profit": _("department gross profit"),
    "profit_pool": _("profit pool"),
    "pool_headcount": _("profit pool headcount"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def _text(value) -> str:
    """A canonical text of an engine input value."""
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Formula):
        return repr(value.source)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "(" + ",".join(f"{f.name}={_text(getattr(value, f.name))}" for f in dataclasses.fields(value)) + ")"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_text(v)}" for k, v in sorted(value.items())) + "}"
    raise TypeError(f"payroll fingerprint: no canonical text for {type(value).__name__}")


# Inputs that are one object shared by many employees (a structure version's components, a city's policy): their
# text is written once per computation, keyed by the object, which the month's data keeps alive meanwhile.
SHARED = ("components", "policy")


def employee_parts(
    *, role_id: int, department_id: int, version_id: int, item: EmployeeMonth, memo, bank_account_digest: str = ""
) -> dict[str, str]:
    """Every input of one employee's payslip, by kind, as canonical text (and the bank account approval copies)."""
    parts = {"placement": f"{role_id},{department_id},{version_id}", "bank_account": bank_account_digest or ""}
    for f in dataclasses.fields(item):
        if f.name == "employee_id":
            continue
        value = getattr(item, f.name)
        if f.name == "variables":
            for name, variable in value.items():
                parts[name] = _text(variable)
        elif f.name in SHARED:
            key = (f.name, id(value))
            if key not in memo:
                memo[key] = _text(value)
            parts[f.name] = memo[key]
        else:
            parts[f.name] = _text(value)
    return parts


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass
class Fingerprint:
    """Accumulates, batch by batch in employee id order, the digests of what a month's computation read."""

    employees: dict[int, str] = field(default_factory=dict)
    _kinds: dict[str, hashlib.blake2b] = field(default_factory=dict)
    _memo: dict[tuple[str, int], str] = field(default_factory=dict)

    def add_batch(self, data, people: Sequence, items: Sequence[EmployeeMonth]) -> list[str]:
        """Record one batch (`data` is the month's `MonthData`); returns each employee's digest, in order."""
        digests = []
        for person, item in zip(people, items, strict=True):
            version = data.version_for(person)
            parts = employee_parts(
                role_id=person.role_id,
                department_id=person.department_id,
                version_id=version.pk,
                item=item,
                memo=self._memo,
                bank_account_digest=f"{person.bank_account_digest or ''}|{person.full_name}",
            )
            for kind, text in parts.items():
                hasher = self._kinds.get(kind)
                if hasher is None:
                    hasher = self._kinds[kind] = hashlib.blake2b(digest_size=16)
                hasher.update(f"{person.pk}={text};".encode())
            digest = _digest("|".join(f"{kind}={text}" for kind, text in sorted(parts.items())))
            self.employees[person.pk] = digest
            digests.append(digest)
        return digests

    def by_kind(self) -> dict[str, str]:
        kinds = {kind: hasher.hexdigest() for kind, hasher in sorted(self._kinds.items())}
        kinds["people"] = _digest(",".join(str(pk) for pk in sorted(self.employees)))
        return kinds

    def digest(self) -> str:
        return _digest("|".join(f"{kind}={value}" for kind, value in self.by_kind().items()))


@dataclass
class InputChanges:
    """How a month's inputs now differ from what its computed run read."""

    kinds: list[str] = field(default_factory=list)  # keys of KIND_LABELS (or new kinds)
    changed: list[int] = field(default_factory=list)  # employee ids whose inputs differ
    added: list[int] = field(default_factory=list)  # now paid this month, not in the run
    removed: list[int] = field(default_factory=list)  # in the run, no longer paid this month
    error: str = ""  # the inputs cannot be computed any more (no structure, no policy...)
    not_recorded: bool = False  # computed before fingerprints were kept
    paid: int = 0  # payslips in the run, to say "everyone" rather than list them all

    def __bool__(self) -> bool:
        return bool(self.kinds or self.changed or self.added or self.removed or self.error or self.not_recorded)

    @property
    def kind_labels(self) -> list[str]:
        return [kind_label(kind) for kind in self.kinds]

    @property
    def employee_ids(self) -> list[int]:
        return sorted({*self.changed, *self.added, *self.removed})
