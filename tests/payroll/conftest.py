import datetime
from decimal import Decimal

import pytest

from payroll import services
from payroll.choices import ComponentKind
from payroll.engine import ComponentSpec
from roles.choices import AccessGroup

from ..factories import DepartmentFactory, EmployeeFactory, RoleFactory, UserFactory

MONTH = datetime.date(2026, 3, 1)  # 22 working days by the default calendar (no holidays loaded in tests)

# Round rates so the expected figures can be worked out by hand.
POLICY = {
    "si_base_floor": Decimal("3000.00"),
    "si_base_ceiling": Decimal("20000.00"),
    "hf_base_floor": Decimal("2000.00"),
    "hf_base_ceiling": Decimal("30000.00"),
    "pension_employee": Decimal("0.08"),
    "pension_employer": Decimal("0.16"),
    "medical_employee": Decimal("0.02"),
    "medical_employer": Decimal("0.08"),
    "unemployment_employee": Decimal("0"),
    "unemployment_employer": Decimal("0"),
    "injury_employer": Decimal("0"),
    "housing_fund_employee": Decimal("0.05"),
    "housing_fund_employer": Decimal("0.05"),
}

COMPONENTS = [
    ComponentSpec("base_pay", "Base pay", ComponentKind.EARNING, "base * days_worked / working_days"),
    ComponentSpec("profit_share", "Profit share", ComponentKind.EARNING, "0.08 * profit_pool"),
    ComponentSpec("rewards", "Rewards", ComponentKind.EARNING, "min(bonus, 5000)"),
    ComponentSpec("penalties", "Penalties", ComponentKind.DEDUCTION, "penalty"),
    ComponentSpec("kpi", "KPI", ComponentKind.EARNING, "if(completion_rate >= 0.95, 500, 0)"),
    ComponentSpec("training", "Training fund", ComponentKind.EMPLOYER_COST, "0.015 * base_pay"),
    ComponentSpec("room_and_board", "Room and board", ComponentKind.BENEFIT, "1000"),
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Export files go to a temporary MEDIA_ROOT, never the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def payroll_world(db, finance, manager):
    """A department with a role on a salary structure, a 40% pool and a default policy."""
    services.save_insurance_policy(city="Testville", is_default=True, user=None, **POLICY)
    department = DepartmentFactory(code="marketing")
    role = RoleFactory(department=department, pay_grade_min=Decimal("1000"), pay_grade_max=Decimal("50000"))
    structure = services.create_structure(code="sales", name="Sales", role=role)
    version = services.save_structure_version(
        structure=structure, effective_from=datetime.date(2026, 1, 1), components=COMPONENTS
    )
    services.save_pool_rule(department=department, rate=Decimal("0.40"), user=None)
    # Finance and manager fixtures sit on roles without structures: give them one too.
    for person in (finance, manager):
        plain_structure(person.role)
    return {"department": department, "role": role, "structure": structure, "version": version}


@pytest.fixture
def sales_employee(payroll_world):
    def make(base="10000.00", hire_date=datetime.date(2024, 1, 1), **kwargs):
        employee = EmployeeFactory(
            role=payroll_world["role"], hire_date=hire_date, user=UserFactory(groups=[AccessGroup.STAFF]), **kwargs
        )
        services.save_pay_profile(employee=employee, user=None, base_salary=Decimal(base))
        return employee

    return make


def plain_structure(role):
    """A one-component structure (base salary) for a role of the shared fixtures."""
    structure = services.create_structure(code=f"s-{role.code}", name="Plain", role=role)
    services.save_structure_version(
        structure=structure,
        effective_from=datetime.date(2026, 1, 1),
        components=[ComponentSpec("base_pay", "Base pay", ComponentKind.EARNING, "base")],
    )
    return structure


def run_month(month=MONTH, user=None):
    """Start and compute a month eagerly; returns the refreshed run."""
    run = services.start_run(month=month, user=user, queue=False)
    services.compute_run(run_id=run.pk, attempt=run.attempt)
    run.refresh_from_db()
    return run
