"""Demo data of the payroll: the seeds' pay rules as salary structures for every role, Hangzhou's insurance
rates, pay profiles, and two months of sample sales; the first month is computed, approved and paid, the second
is ready for finance to run."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from roles.models import Department, Employee, Role

from . import services
from .choices import AdjustmentKind, ComponentKind, RunStatus
from .engine import ComponentSpec
from .models import Adjustment, InsurancePolicy, PayProfile, PayrollRun, ProfitPoolRule, SalaryStructure, SalesFigure

E, D, B = ComponentKind.EARNING, ComponentKind.DEDUCTION, ComponentKind.BENEFIT
PRORATED_BASE = ComponentSpec("base_pay", "底薪", E, "if(working_days > 0, base * days_worked / working_days, 0)")
BONUS = ComponentSpec("rewards", "奖励", E, "bonus")
PENALTIES = ComponentSpec("penalties", "处罚", D, "penalty")
ROOM_AND_BOARD = ComponentSpec(
    "room_and_board", "包吃住", B, "if(working_days > 0, 1500 * days_worked / working_days, 0)"
)
CHECKLIST_BONUS = ComponentSpec(
    "checklist_bonus",
    "岗位职责完成奖",
    E,
    "if(completion_rate >= 0.95, 300, if(completion_rate >= 0.8, 150, 0))",
)


def _profit_share(rate: str, label: str) -> ComponentSpec:
    return ComponentSpec("profit_share", f"{label} {Decimal(rate):.0%}", E, f"{rate} * profit_pool")


# The seeds (001): 电商部经理 base + 30% team performance share + rewards/penalties + insurance; promotion
# specialists, the art editor and customer service: base + 8% profit share each + rewards/penalties + room and
# board + insurance. The other roles have pay grades but no rule in the seeds: base + checklist bonus +
# rewards/penalties (+ insurance, which every payslip carries).
SEED_RULES: dict[str, list[ComponentSpec]] = {
    "ecommerce_manager": [PRORATED_BASE, _profit_share("0.30", "团队绩效分成"), BONUS, PENALTIES],
    "promotion_specialist": [
        PRORATED_BASE,
        _profit_share("0.08", "利润分成"),
        BONUS,
        PENALTIES,
        ROOM_AND_BOARD,
    ],
    "art_editor": [PRORATED_BASE, _profit_share("0.08", "利润分成"), BONUS, PENALTIES, ROOM_AND_BOARD],
    "cs_staff": [PRORATED_BASE, _profit_share("0.08", "利润分成"), BONUS, PENALTIES, ROOM_AND_BOARD],
    "shop_manager": [
        PRORATED_BASE,
        ComponentSpec("performance_bonus", "绩效奖金", E, "if(completion_rate >= 0.95, round(0.1 * base, 2), 0)"),
        BONUS,
        PENALTIES,
    ],
}
DEFAULT_RULE = [PRORATED_BASE, CHECKLIST_BONUS, BONUS, PENALTIES]

BASE_SALARIES = {
    "manager": "15000",
    "ecom_manager": "8000",
    "designer": "6000",
    "copywriter": "5500",
    "art_editor": "2500",
    "promoter_ops": "7000",
    "promoter": "2500",
    "cs_lead": "5000",
    "cs": "1800",
    "wh_supervisor": "5500",
    "receiver": "4000",
    "order_clerk": "4000",
    "picker": "3600",
    "packer": "3600",
    "shipper": "3500",
    "finance": "6000",
}
SPECIAL_ADDITIONAL = {"manager": "3000", "ecom_manager": "2000", "finance": "1000"}
# Sales and gross profit per department for the two demo months (the sales department sells; design supports).
SALES = {0: {"marketing": ("820000.00", "262000.00")}, 1: {"marketing": ("905000.00", "301500.00")}}

HANGZHOU = {
    "si_base_floor": Decimal("4812.00"),
    "si_base_ceiling": Decimal("24930.00"),
    "hf_base_floor": Decimal("2490.00"),
    "hf_base_ceiling": Decimal("39530.00"),
    "pension_employee": Decimal("0.08"),
    "pension_employer": Decimal("0.16"),
    "medical_employee": Decimal("0.02"),
    "medical_employer": Decimal("0.095"),
    "unemployment_employee": Decimal("0.005"),
    "unemployment_employer": Decimal("0.005"),
    "injury_employer": Decimal("0.002"),
    "housing_fund_employee": Decimal("0.12"),
    "housing_fund_employer": Decimal("0.12"),
}


def demo_months(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The two months before the current one."""
    today = today or timezone.localdate()
    second = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    first = (second - datetime.timedelta(days=1)).replace(day=1)
    return first, second


@transaction.atomic
def load_rules(*, effective_from: datetime.date) -> dict[str, int]:
    """The default insurance policy, the 40% profit pool and one structure per role; idempotent."""
    created = {"structures": 0, "policies": 0}
    if not InsurancePolicy.objects.exists():
        services.save_insurance_policy(city="杭州", is_default=True, user=None, **HANGZHOU)
        created["policies"] += 1
    marketing = Department.objects.filter(code="marketing").first()
    if marketing is not None and not ProfitPoolRule.objects.exists():
        services.save_pool_rule(department=marketing, rate=Decimal("0.40"), user=None)
    for role in Role.objects.all():
        if SalaryStructure.objects.filter(role=role).exists():
            continue
        structure = services.create_structure(code=role.code.replace("_", "-"), name=role.title_zh[:100], role=role)
        services.save_structure_version(
            structure=structure,
            effective_from=effective_from,
            components=SEED_RULES.get(role.code, DEFAULT_RULE),
            note=f"依据种子文档（{role.source}）"
            if role.code in SEED_RULES
            else "Base, checklist bonus, rewards and penalties (the seeds give no rule for this role)",
        )
        created["structures"] += 1
    return created


def load_demo() -> str:
    """Create the module's demo data if missing; running it twice changes nothing. Returns a one-line summary."""
    first, second = demo_months()
    created = load_rules(effective_from=first.replace(month=1))
    profiles = 0
    for employee in Employee.objects.select_related("user", "role").filter(user__username__in=BASE_SALARIES):
        if PayProfile.objects.filter(employee=employee).exists():
            continue
        username = employee.user.username
        base = Decimal(BASE_SALARIES[username])
        base = min(max(base, employee.role.pay_grade_min), employee.role.pay_grade_max)
        services.save_pay_profile(
            employee=employee,
            user=None,
            base_salary=base,
            special_additional_deduction=Decimal(SPECIAL_ADDITIONAL.get(username, "0")),
        )
        profiles += 1
    _opening_balances(first)
    finance = Employee.objects.filter(user__username="finance").select_related("user").first()
    manager = Employee.objects.filter(user__username="ecom_manager").select_related("user").first()
    finance_user = finance.user if finance else None
    manager_user = manager.user if manager else None
    months = 0
    for index, month in enumerate((first, second)):
        if SalesFigure.objects.filter(month=month).exists() or PayrollRun.objects.filter(month=month).exists():
            continue
        months += 1
        for code, (sales, profit) in SALES[index].items():
            department = Department.objects.filter(code=code).first()
            if department:
                services.save_sales_figure(
                    month=month,
                    department=department,
                    sales=Decimal(sales),
                    gross_profit=Decimal(profit),
                    user=finance_user,
                )
        _sample_adjustments(month, index, manager_user, finance_user)
    first_run = PayrollRun.objects.filter(month=first).first()
    if first_run is None and Employee.objects.exists() and not PayrollRun.objects.filter(month__gt=first).exists():
        run = services.start_run(month=first, user=finance_user, queue=False)
        services.compute_run(run_id=run.pk, attempt=run.attempt)
        run.refresh_from_db()
        if run.status == RunStatus.READY and finance_user is not None:
            run = services.approve_run(run=run, user=finance_user)
            services.mark_paid(run=run, user=finance_user)
    return (
        f"Payroll: {created['structures']} salary structures, {profiles} pay profiles, "
        f"sample sales for {months} month(s) created; {first:%Y-%m} paid, {second:%Y-%m} ready to run."
    )


def _sample_adjustments(month: datetime.date, index: int, user, other_user) -> None:
    """The manager enters the sample bonuses and penalties; finance enters the manager's own (nobody enters their
    own pay)."""
    samples = [
        ("promoter", AdjustmentKind.BONUS, "800.00", "双11预热活动转化率第一"),
        ("cs", AdjustmentKind.BONUS, "300.00", "好评率 98%"),
        ("packer", AdjustmentKind.PENALTY, "50.00", "错发一单，寄错地址"),
    ]
    if index == 1:
        samples.append(("ecom_manager", AdjustmentKind.BONUS, "2000.00", "月销售目标达成"))
    for username, kind, amount, reason in samples:
        employee = Employee.objects.filter(user__username=username).first()
        if employee is None or Adjustment.objects.filter(month=month, employee=employee, reason=reason).exists():
            continue
        services.add_adjustment(
            month=month,
            employee=employee,
            kind=kind,
            amount=Decimal(amount),
            reason=reason,
            user=other_user if user is not None and employee.user_id == user.pk else user,
        )


def _opening_balances(first: datetime.date) -> None:
    """The demo shop adopted ShopOps in `first`: its earlier months this year come in as opening balances (base
    salary only, tax withheld by the same cumulative rule), so the demo's income tax is realistic."""
    from . import tax
    from .models import TaxOpeningBalance

    if first.month == 1:
        return
    before = first.replace(month=first.month - 1)
    for profile in PayProfile.objects.select_related("employee"):
        employee = profile.employee
        if TaxOpeningBalance.objects.filter(employee=employee, year=first.year).exists():
            continue
        months = tax.months_employed(hire_date=employee.hire_date, month=before)
        if months <= 0:
            continue
        income = profile.base_salary * months
        additional = profile.special_additional_deduction * months
        taxable = max(income - tax.BASIC_DEDUCTION_PER_MONTH * months - additional, Decimal(0))
        TaxOpeningBalance.objects.create(
            employee=employee,
            year=first.year,
            income=income,
            special_deductions=Decimal("0.00"),
            additional_deductions=additional,
            tax_withheld=tax.cumulative_tax(taxable),
        )
