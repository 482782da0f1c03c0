"""What a computed run read: the month's inputs fingerprint and what changed since."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..calculation import MonthData
from ..engine import ComponentError, ComputationError
from ..fingerprint import Fingerprint, InputChanges
from ..models import PayrollRun, Payslip


def month_inputs_fingerprint(month) -> Fingerprint:
    """Read `month`'s inputs the way its computation does (payroll.calculation, batch by batch) and fingerprint
    them. Raises the computation's own errors when the inputs cannot be computed any more."""
    from ..services import BATCH_SIZE

    data = MonthData(month)
    fingerprint = Fingerprint()
    ids = data.employee_ids()
    for start in range(0, len(ids), BATCH_SIZE):
        people = data.load_people(ids[start : start + BATCH_SIZE])
        fingerprint.add_batch(data, people, data.batch(people))
    return fingerprint


def run_input_changes(*, run: PayrollRun) -> InputChanges:
    """How the inputs of a computed run's month differ now from what its computation read (empty: unchanged)."""
    stored = dict(Payslip.objects.filter(run=run).values_list("employee_id", "inputs_fingerprint"))
    if not run.inputs_fingerprint or not run.inputs_by_kind or None in stored.values():
        return InputChanges(not_recorded=True)
    try:
        now = month_inputs_fingerprint(run.month)
    except (ComputationError, ComponentError) as error:
        employee_id = getattr(error, "employee_id", None)
        return InputChanges(error=error.message, changed=[employee_id] if employee_id else [])
    if now.digest() == run.inputs_fingerprint:
        return InputChanges()
    kinds_now = now.by_kind()
    kinds = sorted(
        kind for kind in {*kinds_now, *run.inputs_by_kind} if kinds_now.get(kind) != run.inputs_by_kind.get(kind)
    )
    changed = sorted(pk for pk, digest in now.employees.items() if pk in stored and stored[pk] != digest)
    added = sorted(set(now.employees) - set(stored))
    removed = sorted(set(stored) - set(now.employees))
    if added or removed:
        # Each kind's digest runs over everyone paid, so a hire or a leaver moves all of them and what else changed
        # cannot be told apart (a tester read 25 kinds of change after one hire): say who is paid changed; the people
        # named (also those whose pay it moves, e.g. a pool shared by one more) are what to check.
        kinds = ["people"]
    return InputChanges(paid=len(stored), kinds=kinds, changed=changed, added=added, removed=removed)


@dataclass
class InputChangesView:
    """Input changes shaped for a page or the API: labels of the kinds and the people named."""

    changes: InputChanges
    people: dict[int, str]

    @classmethod
    def of(cls, changes: InputChanges, *, limit: int = 10) -> InputChangesView:
        from roles.models import Employee

        ids = changes.employee_ids[:limit]
        people = {e.pk: str(e) for e in Employee.objects.filter(pk__in=ids)}
        return cls(changes=changes, people=people)

    def names(self, ids: list[int]) -> list[str]:
        return [self.people[pk] for pk in ids if pk in self.people]

    def _named(self, ids: list[int]) -> str:
        names = self.names(ids)
        more = len(ids) - len(names)
        return ", ".join(names) + (_(" and %(count)s more") % {"count": more} if more > 0 else "")

    @property
    def changed_names(self) -> str:
        changed = self.changes.changed
        if len(changed) > 1 and len(changed) == self.changes.paid:
            return _("everyone in this run (%(count)s people)") % {"count": len(changed)}
        return self._named(changed)

    @property
    def added_names(self) -> str:
        return self._named(self.changes.added)

    @property
    def removed_names(self) -> str:
        return self._named(self.changes.removed)

    def as_dict(self) -> dict:
        c = self.changes
        return {
            "inputs": [{"kind": kind, "label": label} for kind, label in zip(c.kinds, c.kind_labels, strict=True)],
            # Named up to the view's limit (the first ten), then null: never an empty name (a tester read 14 of them).
            "changed_employees": [{"id": pk, "name": self.people.get(pk)} for pk in c.changed],
            "added_employees": [{"id": pk, "name": self.people.get(pk)} for pk in c.added],
            "removed_employees": [{"id": pk, "name": self.people.get(pk)} for pk in c.removed],
            "error": c.error,
            "not_recorded": c.not_recorded,
        }

    def summary(self) -> str:
        """One sentence naming what changed, for messages and the API's error detail."""
        c = self.changes
        if c.not_recorded:
            return _("It was computed before ShopOps recorded what a run reads; run it again.")
        parts = []
        if c.error:
            parts.append(_("Its inputs can no longer be computed: %(error)s.") % {"error": c.error})
        if c.kinds:
            parts.append(_("Changed inputs: %(kinds)s.") % {"kinds": ", ".join(c.kind_labels)})
        for label, names in (
            (_("Changed for: %(names)s."), self.changed_names),
            (_("Now paid this month: %(names)s."), self.added_names),
            (_("No longer paid this month: %(names)s."), self.removed_names),
        ):
            if names:
                parts.append(label % {"names": names})
        return " ".join(parts)
