"""What changed since last month: a computed run against the previous approved or paid month.

Who joined and who left, each person's net pay and each payslip line (by code) against last month with the change
in money and in per cent, the changes beyond the shop's threshold flagged and listed first, and the totals by
department. A few aggregate queries over both months, whatever the number of payslips; the comparing is exact
Decimal arithmetic in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Abs
from django.utils.translation import gettext as _

from shop_ops.i18n import in_language_text, pick_language

from ..choices import LOCKED_STATUSES, SystemLine
from ..models import PayrollRun, Payslip, PayslipLine, VarianceThreshold

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
NET_PAY = ""  # the code of the net pay row: not a line of the payslip but its total


def variance_threshold() -> VarianceThreshold:
    """The shop's threshold; the defaults (20% and 500.00) until finance sets one."""
    return VarianceThreshold.objects.select_related("updated_by").filter(pk=1).first() or VarianceThreshold(pk=1)


def previous_run(*, run: PayrollRun) -> PayrollRun | None:
    """The month a run is compared with: the latest earlier run that is approved or paid."""
    return (
        PayrollRun.objects.filter(month__lt=run.month, status__in=LOCKED_STATUSES)
        .order_by("-month")
        .only("pk", "month", "status")
        .first()
    )


def change_percent(*, before: Decimal, change: Decimal) -> Decimal | None:
    """The change as a per cent of last month's amount, to one decimal, half up; None when last month was 0."""
    if before == 0:
        return None
    return (change * 100 / abs(before)).quantize(TENTH, rounding=ROUND_HALF_UP)


def is_flagged(*, change: Decimal, percent: Decimal | None, threshold: VarianceThreshold) -> bool:
    """Beyond the threshold: a change of at least its amount AND at least its per cent (the per cent as shown, to
    one decimal). From 0 (no per cent) counts as beyond any per cent; no change is never flagged."""
    if change == 0 or abs(change) < threshold.amount:
        return False
    return percent is None or abs(percent) >= threshold.percent


@dataclass
class Person:
    """A joiner (paid this month, not last) or a leaver (paid last month, not this), with that month's net pay."""

    employee_id: int
    number: str
    name: str
    department: str
    net_pay: Decimal


@dataclass
class Change:
    """One person's net pay, or one line of their payslip, against last month (only amounts that changed)."""

    employee_id: int
    number: str
    name: str
    department: str
    code: str  # NET_PAY for the net pay row
    label: str
    before: Decimal
    now: Decimal
    change: Decimal
    percent: Decimal | None
    flagged: bool
    order: int

    @property
    def is_net_pay(self) -> bool:
        return self.code == NET_PAY


@dataclass
class DepartmentChange:
    department: str
    people_before: int
    people_now: int
    net_before: Decimal
    net_now: Decimal
    gross_before: Decimal
    gross_now: Decimal
    cost_before: Decimal
    cost_now: Decimal

    @property
    def net_change(self) -> Decimal:
        return self.net_now - self.net_before

    @property
    def net_percent(self) -> Decimal | None:
        return change_percent(before=self.net_before, change=self.net_change)


@dataclass
class Variance:
    run: PayrollRun
    previous: PayrollRun | None
    threshold: VarianceThreshold
    joiners: list[Person] = field(default_factory=list)
    leavers: list[Person] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # flagged first, then by employee number and line order
    departments: list[DepartmentChange] = field(default_factory=list)
    total: DepartmentChange | None = None

    @property
    def flagged(self) -> list[Change]:
        return [change for change in self.changes if change.flagged]

    def search(self, text: str) -> list[Change]:
        """The changes of the people whose name or number contains `text` (as the payslips table searches)."""
        text = (text or "").strip().casefold()
        if not text:
            return self.changes
        return [c for c in self.changes if text in c.number.casefold() or text in c.name.casefold()]


def run_variance(*, run: PayrollRun) -> Variance:
    """The run against the previous approved or paid month (see the module); four queries, or two when there is
    no previous month."""
    variance = Variance(run=run, previous=previous_run(run=run), threshold=variance_threshold())
    if variance.previous is None:
        return variance
    previous = variance.previous
    threshold = variance.threshold

    slips = Payslip.objects.filter(run_id__in=[run.pk, previous.pk]).values_list(
        "run_id",
        "employee_id",
        "employee__employee_number",
        "employee__full_name",
        "department__name_zh",
        "department__name_en",
        "net_pay",
    )
    now: dict[int, Person] = {}
    before: dict[int, Person] = {}
    for run_id, employee_id, number, name, department_zh, department_en, net_pay in slips:
        person = Person(employee_id, number, name, pick_language(department_zh, department_en), net_pay)
        (now if run_id == run.pk else before)[employee_id] = person
    variance.joiners = sorted((p for key, p in now.items() if key not in before), key=lambda p: p.number)
    variance.leavers = sorted((p for key, p in before.items() if key not in now), key=lambda p: p.number)

    def change_of(person: Person, code: str, label: str, old: Decimal, new: Decimal, order: int) -> Change:
        difference = new - old
        percent = change_percent(before=old, change=difference)
        return Change(
            employee_id=person.employee_id,
            number=person.number,
            name=person.name,
            department=person.department,
            code=code,
            label=label,
            before=old,
            now=new,
            change=difference,
            percent=percent,
            flagged=is_flagged(change=difference, percent=percent, threshold=threshold),
            order=order,
        )

    changes = [
        change_of(person, NET_PAY, _("Net pay"), before[key].net_pay, person.net_pay, -1)
        for key, person in now.items()
        if key in before and person.net_pay != before[key].net_pay
    ]
    labels = _line_labels(run=run, previous=previous)
    this_month = Q(payslip__run_id=run.pk)
    last_month = Q(payslip__run_id=previous.pk)
    # One row per person and code with both months' sums; amounts equal in both months stay in the database (the
    # half cent only guards SQLite, which compares decimals as floating point; the values read are exact).
    lines = (
        PayslipLine.objects.filter(payslip__run_id__in=[run.pk, previous.pk])
        .values("payslip__employee_id", "code")
        .annotate(
            now=Sum("amount", filter=this_month, default=ZERO),
            before=Sum("amount", filter=last_month, default=ZERO),
            first=Min("order"),
        )
        .annotate(difference=Abs(F("now") - F("before")))
        .filter(difference__gte=Decimal("0.005"))
        .values_list("payslip__employee_id", "code", "now", "before", "first")
    )
    for employee_id, code, new, old, order in lines:
        person = now.get(employee_id)
        if person is None or employee_id not in before or new == old:
            continue  # joiners and leavers are listed as such
        changes.append(change_of(person, code, labels.get(code, code), old, new, order))
    changes.sort(key=lambda c: (not c.flagged, c.number, c.order, c.code))
    variance.changes = changes
    variance.departments, variance.total = _department_changes(run=run, previous=previous)
    return variance


def _line_labels(*, run: PayrollRun, previous: PayrollRun) -> dict[str, str]:
    """Each line code's name in the page's language, as this month's payslips name it (else last month's)."""
    rows = (
        PayslipLine.objects.filter(payslip__run_id__in=[run.pk, previous.pk])
        .values("code", "name", "is_system", "payslip__run_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    labels: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r["payslip__run_id"] == run.pk):  # this month's last: they win
        code = row["code"]
        if row["is_system"] and code in SystemLine.values:
            labels[code] = str(SystemLine(code).label)
        else:
            labels[code] = in_language_text(row["name"])
    return labels


def _department_changes(*, run: PayrollRun, previous: PayrollRun):
    """Totals by department (the department each payslip was computed in), this month and last; one query."""
    rows = (
        Payslip.objects.filter(run_id__in=[run.pk, previous.pk])
        .values("run_id", "department_id", "department__sort_order", "department__name_zh", "department__name_en")
        .annotate(people=Count("id"), net=Sum("net_pay"), gross=Sum("gross_pay"), cost=Sum("employer_cost"))
        .order_by()
    )
    by_department: dict[int, DepartmentChange] = {}
    order: dict[int, tuple] = {}
    for row in rows:
        name = pick_language(row["department__name_zh"], row["department__name_en"])
        entry = by_department.setdefault(
            row["department_id"], DepartmentChange(name, 0, 0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)
        )
        order[row["department_id"]] = (row["department__sort_order"], name)
        if row["run_id"] == run.pk:
            entry.department = name
            entry.people_now, entry.net_now, entry.gross_now, entry.cost_now = (
                row["people"],
                row["net"],
                row["gross"],
                row["cost"],
            )
        else:
            entry.people_before, entry.net_before, entry.gross_before, entry.cost_before = (
                row["people"],
                row["net"],
                row["gross"],
                row["cost"],
            )
    departments = [by_department[key] for key in sorted(by_department, key=lambda key: order[key])]
    total = DepartmentChange(
        _("Total"),
        sum(d.people_before for d in departments),
        sum(d.people_now for d in departments),
        *(
            sum((getattr(d, name) for d in departments), ZERO)
            for name in ("net_before", "net_now", "gross_before", "gross_now", "cost_before", "cost_now")
        ),
    )
    return departments, total
