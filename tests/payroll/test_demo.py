"""The payroll demo: the seeds' pay rules for every role, two months of sales, one month paid, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from payroll import selectors
from payroll.demo import SEED_RULES, demo_months
from payroll.models import Component, PayrollRun, Payslip, SalaryStructure, SalesFigure
from roles.models import Role

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_a_second_run_changes_nothing():
    call_command("load_demo", password="demo-pass-123", stdout=StringIO())
    first, second = demo_months()
    assert SalaryStructure.objects.count() == Role.objects.count() == 16
    assert set(SalesFigure.objects.values_list("month", flat=True)) == {first, second}
    run = PayrollRun.objects.get()
    assert (run.month, run.status) == (first, "paid")
    assert Payslip.objects.filter(run=run).count() == 16
    # Every demo base salary lies within its role's pay grade: the run page flags nobody (it compared gross pay
    # with the grade, and flagged the people whose profit share lifts them above it).
    assert Payslip.objects.filter(run=run, gross_pay__gt=F("role__pay_grade_max")).exists()
    assert selectors.count_outside_pay_grade(run=run) == 0
    # The seeds' rules: 30% team share for the e-commerce manager, 8% and room and board for the sales staff.
    manager = Component.objects.get(version__structure__role__code="ecommerce_manager", code="profit_share")
    assert manager.formula == "0.30 * profit_pool"
    cs = Component.objects.filter(version__structure__role__code="cs_staff").values_list("code", flat=True)
    assert {"base_pay", "profit_share", "rewards", "penalties", "room_and_board"} <= set(cs)
    assert set(SEED_RULES) <= set(Role.objects.values_list("code", flat=True))
    counts = (SalaryStructure.objects.count(), Component.objects.count(), Payslip.objects.count())
    out = StringIO()
    call_command("load_demo", password="demo-pass-123", stdout=out)
    assert (SalaryStructure.objects.count(), Component.objects.count(), Payslip.objects.count()) == counts
    assert "Payroll: 0 salary structures, 0 pay profiles, sample sales for 0 month(s)" in out.getvalue()
