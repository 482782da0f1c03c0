"""Special additional deductions (专项附加扣除) by category: the one table of amounts and caps, and their rules.

An employee declares each category as an entry (payroll.models.SpecialDeduction) from a start month, to an end
month or open-ended. Each month of the tax year an entry entitles an amount by its category's measure:

    share     the standard amount x the employee's share (100% or 50%, the parents' split), one entry per child
    fixed     the standard amount every month, for at most `max_months` months from the start
    once      the standard amount once, in the start month (the month the certificate was obtained)
    tiers     one of the standard amounts (housing rent: by the city's tier)
    shared    the whole standard amount as an only child, otherwise the employee's agreed part, at most `shared_cap`
    entered   the amount entered each month (actual contributions), at most `year_cap` over the tax year

Housing loan interest and housing rent are never claimed in the same month. The month's cumulative special
additional deduction is the sum of what the entries entitle over the tax year's months up to this one (from the
first month counted, see payroll.calculation), so an entry entered late is caught up from its start month.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal as D

from django.utils.translation import gettext as _

from .choices import DeductionCategory as C
from .exceptions import PayrollError
from .money import ZERO, round_money

SHARE = "share"
FIXED = "fixed"
ONCE = "once"
TIERS = "tiers"
SHARED = "shared"
ENTERED = "entered"

# The earliest month a deduction may start: the deductions began on 2019-01-01 (国发〔2018〕41号).
FIRST_MONTH = datetime.date(2019, 1, 1)


@dataclass(frozen=True)
class CategoryRule:
    measure: str
    amount: D  # the standard monthly amount (once: the one amount; entered: the most a single month may hold)
    source: str  # the announcement the amount comes from
    shares: tuple[D, ...] = ()
    tiers: tuple[D, ...] = ()
    shared_cap: D | None = None
    max_months: int | None = None  # the longest an entry may run
    year_cap: D | None = None  # at most this much in a tax year, over all the employee's entries of the category
    per_child: bool = False  # one entry per child: entries may overlap (others: one at a time)
    excludes: tuple[str, ...] = ()  # categories never claimed in the same month


# The one table. 2023 amounts: 国务院关于提高个人所得税有关专项附加扣除标准的通知 (国发〔2023〕13号), from 2023-01-01.
RULES: dict[str, CategoryRule] = {
    C.CHILDREN_EDUCATION: CategoryRule(
        SHARE,
        D("2000.00"),
        "国发〔2018〕41号；2023年起：国发〔2023〕13号",
        shares=(D("1"), D("0.5")),
        per_child=True,
    ),
    C.INFANT_CARE: CategoryRule(
        SHARE,
        D("2000.00"),
        "国发〔2022〕8号；2023年起：国发〔2023〕13号",
        shares=(D("1"), D("0.5")),
        per_child=True,
    ),
    C.DEGREE_EDUCATION: CategoryRule(FIXED, D("400.00"), "国发〔2018〕41号", max_months=48),
    C.CERTIFICATE_EDUCATION: CategoryRule(ONCE, D("3600.00"), "国发〔2018〕41号", year_cap=D("3600.00")),
    C.HOUSING_LOAN: CategoryRule(FIXED, D("1000.00"), "国发〔2018〕41号", max_months=240, excludes=(C.HOUSING_RENT,)),
    # 1,500: 直辖市, 省会 (首府) cities, 计划单列市 and others the State Council names; 1,100: other cities of more than
    # a million registered people; 800: a million or fewer.
    C.HOUSING_RENT: CategoryRule(
        TIERS,
        D("1500.00"),
        "国发〔2018〕41号",
        tiers=(D("1500.00"), D("1100.00"), D("800.00")),
        excludes=(C.HOUSING_LOAN,),
    ),
    C.ELDERLY_SUPPORT: CategoryRule(
        SHARED, D("3000.00"), "国发〔2018〕41号；2023年起：国发〔2023〕13号", shared_cap=D("1500.00")
    ),
    C.PERSONAL_PENSION: CategoryRule(
        ENTERED, D("12000.00"), "国发〔2022〕7号；财政部 税务总局公告2022年第34号", year_cap=D("12000.00")
    ),
}


def month_index(month: datetime.date) -> int:
    return month.year * 12 + month.month - 1


def month_of(index: int) -> datetime.date:
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Entry:
    """What the rules read of a declared deduction (a SpecialDeduction row, or one being checked)."""

    category: str
    start_month: datetime.date
    end_month: datetime.date | None = None
    share: D | None = None
    monthly_amount: D | None = None
    pk: int | None = None

    def covers(self, month: datetime.date) -> bool:
        return self.start_month <= month and (self.end_month is None or month <= self.end_month)


@dataclass(frozen=True)
class CategoryAmount:
    """One category's deduction in a month and cumulatively over the tax year's counted months up to it."""

    category: str
    month: D
    cumulative: D


@dataclass(frozen=True)
class AdditionalDeductions:
    """An employee's special additional deductions by category for a payroll month: the categories, and the
    cumulative figure the tax uses (the opening balance's deductions before ShopOps, plus the categories')."""

    first_month: int  # the first month of the tax year counted (1-12)
    opening: D  # the tax opening balance's cumulative special additional deductions
    categories: tuple[CategoryAmount, ...]

    @property
    def cumulative(self) -> D:
        return self.opening + sum((c.cumulative for c in self.categories), ZERO)


def label(category: str) -> str:
    return str(C(category).label) if category in C.values else category


def describe(rule: CategoryRule) -> str:
    """The rule in words, with its amounts."""
    amount = _money(rule.amount)
    if rule.measure == SHARE:
        return _("%(amount)s a month per child, shared 100%% or 50%% between the parents") % {"amount": amount}
    if rule.measure == FIXED:
        return _("%(amount)s a month, for at most %(months)s months") % {"amount": amount, "months": rule.max_months}
    if rule.measure == ONCE:
        return _("%(amount)s once, in the year the certificate is obtained (start month: the month obtained)") % {
            "amount": amount
        }
    if rule.measure == TIERS:
        return _("%(amounts)s a month by the city's size") % {"amounts": " / ".join(_money(t) for t in rule.tiers)}
    if rule.measure == SHARED:
        return _("%(amount)s a month for an only child; otherwise shared, at most %(cap)s each") % {
            "amount": amount,
            "cap": _money(rule.shared_cap),
        }
    return _("the amount actually paid in, at most %(cap)s a year") % {"cap": _money(rule.year_cap)}


def month_amount(entry: Entry, month: datetime.date) -> D:
    """What one entry entitles in `month`, before the year's caps."""
    if not entry.covers(month):
        return ZERO
    rule = RULES[entry.category]
    if rule.max_months is not None and month_index(month) - month_index(entry.start_month) >= rule.max_months:
        return ZERO
    if rule.measure == SHARE:
        return round_money(rule.amount * (entry.share if entry.share is not None else D("1")))
    if rule.measure == FIXED:
        return rule.amount
    if rule.measure == ONCE:
        return rule.amount if month == entry.start_month else ZERO
    return entry.monthly_amount or ZERO  # tiers, shared, entered: the checked amount


class DeductionConflict(PayrollError):
    """Entries whose categories may not be claimed in the same month (housing loan interest and rent)."""


def year_to_date(
    entries: Iterable[Entry], *, first_month: datetime.date, month: datetime.date
) -> tuple[CategoryAmount, ...]:
    """Each category's amount in `month` and cumulatively from `first_month` (same tax year) to `month`, the year's
    caps applied; categories with nothing in the year are left out. Raises DeductionConflict for categories that
    exclude each other in one month."""
    entries = list(entries)
    totals: dict[str, list[D]] = {}  # category -> [cumulative before this month, cumulative with it]
    for index in range(month_index(first_month), month_index(month) + 1):
        current = month_of(index)
        claimed: dict[str, D] = {}
        for entry in entries:
            amount = month_amount(entry, current)
            if amount:
                claimed[entry.category] = claimed.get(entry.category, ZERO) + amount
        for category in claimed:
            for other in RULES[category].excludes:
                if other in claimed:
                    raise DeductionConflict(
                        _("%(one)s and %(other)s are both claimed for %(month)s; only one of them may be.")
                        % {"one": label(category), "other": label(other), "month": current.strftime("%Y-%m")},
                        field="category",
                    )
        for category, amount in claimed.items():
            before = totals.get(category, [ZERO, ZERO])[1]
            cap = RULES[category].year_cap
            after = before + amount if cap is None else min(before + amount, cap)
            totals[category] = [before, after]
        if current != month:
            for pair in totals.values():
                pair[0] = pair[1]
    return tuple(
        CategoryAmount(
            category=category, month=totals[category][1] - totals[category][0], cumulative=totals[category][1]
        )
        for category in RULES
        if category in totals and totals[category][1]
    )


# --- checking an entry -----------------------------------------------------------------------------------------


def _money(value: D) -> str:
    return f"{value:,.2f}"


def check_entry(entry: Entry) -> Entry:
    """The entry with its share and amount as stored (empty where its measure has none), or a PayrollError naming
    the field at fault and the cap it breaks."""
    if entry.category not in RULES:
        raise PayrollError(_("Choose one of the deduction categories."), field="category")
    rule = RULES[entry.category]
    name = label(entry.category)
    start, end = entry.start_month, entry.end_month
    if start < FIRST_MONTH:
        raise PayrollError(_("Special additional deductions began in January 2019."), field="start_month")
    if end is not None and end < start:
        raise PayrollError(_("The end month cannot be before the start month."), field="end_month")
    if rule.measure == ONCE:
        end = start  # a certificate counts once, in the month it was obtained
    if rule.max_months is not None and end is not None and month_index(end) - month_index(start) >= rule.max_months:
        raise PayrollError(
            _("%(category)s is deducted for at most %(months)s months; the last month can be %(last)s.")
            % {
                "category": name,
                "months": rule.max_months,
                "last": month_of(month_index(start) + rule.max_months - 1).strftime("%Y-%m"),
            },
            field="end_month",
        )
    share, amount = entry.share, entry.monthly_amount
    if rule.measure == SHARE:
        share = D("1") if share is None else share
        if share not in rule.shares:
            raise PayrollError(
                _("%(category)s is claimed 100%% by one parent or 50%% by each: write 1 or 0.5.") % {"category": name},
                field="share",
            )
        share = D("0.5") if share == D("0.5") else D("1")
        if amount is not None and amount != round_money(rule.amount * share):
            raise PayrollError(
                _("%(category)s is %(amount)s a month per child times the share; leave the amount empty.")
                % {"category": name, "amount": _money(rule.amount)},
                field="monthly_amount",
            )
        return Entry(entry.category, start, end, share, None, entry.pk)
    if share is not None and share != D("1"):
        raise PayrollError(_("%(category)s has no share; leave it empty.") % {"category": name}, field="share")
    if rule.measure in (FIXED, ONCE):
        if amount is not None and amount != rule.amount:
            raise PayrollError(
                _("%(category)s is %(amount)s; leave the amount empty.")
                % {"category": name, "amount": _money(rule.amount)},
                field="monthly_amount",
            )
        return Entry(entry.category, start, end, None, None, entry.pk)
    if amount is None:
        raise PayrollError(_("Enter the monthly amount."), field="monthly_amount")
    if rule.measure == TIERS and amount not in rule.tiers:
        raise PayrollError(
            _(
                "Housing rent is %(big)s a month in a municipality, provincial capital or city specially designated "
                "in the state plan, %(mid)s in another city of more than a million people, %(small)s in a smaller one."
            )
            % {"big": _money(rule.tiers[0]), "mid": _money(rule.tiers[1]), "small": _money(rule.tiers[2])},
            field="monthly_amount",
        )
    if rule.measure == SHARED and amount != rule.amount and not ZERO < amount <= rule.shared_cap:
        raise PayrollError(
            _(
                "Elderly support is %(whole)s a month for an only child; brothers and sisters share %(whole)s, "
                "at most %(cap)s each."
            )
            % {"whole": _money(rule.amount), "cap": _money(rule.shared_cap)},
            field="monthly_amount",
        )
    if rule.measure == ENTERED and not ZERO < amount <= rule.amount:
        raise PayrollError(
            _("%(category)s is the amount actually paid in, at most %(cap)s a year.")
            % {"category": name, "cap": _money(rule.year_cap)},
            field="monthly_amount",
        )
    return Entry(entry.category, start, end, None, round_money(amount), entry.pk)


def _overlap(one: Entry, other: Entry) -> datetime.date | None:
    """The first month both entries cover, if any."""
    start = max(one.start_month, other.start_month)
    ends = [e for e in (one.end_month, other.end_month) if e is not None]
    if ends and min(ends) < start:
        return None
    return start


def check_against(entry: Entry, others: Iterable[Entry]) -> None:
    """Refuse an entry that clashes with the employee's other entries: a second one of a category claimed one at a
    time, housing loan interest and rent in the same month, a second certificate in a year."""
    rule = RULES[entry.category]
    for other in others:
        if other.pk is not None and other.pk == entry.pk:
            continue
        first = _overlap(entry, other)
        if first is None:
            continue
        month = first.strftime("%Y-%m")
        if other.category == entry.category and not rule.per_child:
            if rule.measure == ONCE:
                message = _("A vocational certificate is deducted once a year; %(year)s already has one.") % {
                    "year": entry.start_month.year
                }
            else:
                message = _("%(category)s is already declared for %(month)s; end that entry first.") % {
                    "category": label(entry.category),
                    "month": month,
                }
            raise PayrollError(message, field="start_month")
        if other.category in rule.excludes:
            raise PayrollError(
                _(
                    "%(other)s is declared for %(month)s: housing loan interest and housing rent are never claimed "
                    "in the same month."
                )
                % {"other": label(other.category), "month": month},
                field="category",
            )
    if rule.measure == ONCE:
        for other in others:
            same_year = other.start_month.year == entry.start_month.year
            if other.category == entry.category and same_year and (other.pk is None or other.pk != entry.pk):
                raise PayrollError(
                    _("A vocational certificate is deducted once a year; %(year)s already has one.")
                    % {"year": entry.start_month.year},
                    field="start_month",
                )
