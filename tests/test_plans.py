"""Custom plans for the jobs' bulk statements, prepared (generic) plans for the rest (shop_ops/plans.py, issue 17).

The jobs' tests check the mode the database had *while each bulk statement ran*: a wrapper on the connection asks
PostgreSQL for plan_cache_mode just before the statements that match, so a job that stops calling
`job_statements()` (or calls it around the wrong code) fails here.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

from shop_ops.plans import JOB_MODE, current_mode, job_statements

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="plan_cache_mode is PostgreSQL's; on SQLite job_statements() does nothing"
)


def _raw_mode() -> str:
    """The mode now, asked on the raw driver connection (below Django's wrappers, so it is not recorded)."""
    with connection.connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


class ModeAt:
    """Records plan_cache_mode as each statement whose SQL matches `pattern` is sent."""

    def __init__(self, pattern: str):
        self.pattern = re.compile(pattern, re.IGNORECASE | re.DOTALL)
        self.modes: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        if self.pattern.search(sql):
            self.modes.append(_raw_mode())
        return execute(sql, params, many, context)


def modes_during(pattern: str, fn) -> list[str]:
    recorder = ModeAt(pattern)
    with connection.execute_wrapper(recorder):
        fn()
    assert recorder.modes, f"no statement matched {pattern!r}: the test no longer follows the job"
    return recorder.modes


@pytest.mark.django_db
def test_job_statements_does_nothing_without_postgresql():
    # On SQLite nothing is sent; on PostgreSQL it is the setting (below). Either way the block runs.
    ran = []
    with job_statements():
        ran.append(True)
    assert ran == [True]
    if connection.vendor != "postgresql":
        assert current_mode() is None


@on_postgresql
@pytest.mark.django_db
def test_inside_a_transaction_the_mode_is_custom_and_comes_back():
    default = current_mode()
    assert default == "auto"
    with job_statements():
        assert current_mode() == JOB_MODE
        with job_statements():  # nested: still custom, and the outer block's mode survives the inner one's end
            assert current_mode() == JOB_MODE
        assert current_mode() == JOB_MODE
    assert current_mode() == default


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_in_autocommit_the_session_gets_its_mode_back():
    # A worker's connection outlives the job (CONN_MAX_AGE): the next request must plan as before.
    assert not connection.in_atomic_block
    with job_statements():
        assert current_mode() == JOB_MODE
    assert current_mode() == "auto"
    with pytest.raises(ZeroDivisionError), job_statements():
        1 / 0  # noqa: B018
    assert current_mode() == "auto"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_transaction_is_undone_with_it():
    with pytest.raises(ZeroDivisionError), transaction.atomic(), job_statements():
        assert current_mode() == JOB_MODE
        1 / 0  # noqa: B018
    assert current_mode() == "auto"


# --- each job ------------------------------------------------------------------------------------------------------


@pytest.fixture
def one_day_of_duties(db):
    from tests.factories import DutyFactory, EmployeeFactory

    employee = EmployeeFactory()
    DutyFactory(role=employee.role)
    DutyFactory(role=employee.role)
    day = timezone.localdate()
    while day.isoweekday() > 5:
        day += datetime.timedelta(days=1)
    from roles.models import Holiday

    Holiday.objects.update_or_create(date=day, defaults={"kind": "workday", "name_zh": "测试", "name_en": "Test"})
    return employee, day


@on_postgresql
def test_checklist_generation_and_its_rerun_use_custom_plans(one_day_of_duties):
    from roles import services

    _employee, day = one_day_of_duties
    generation = r"INSERT INTO \"?roles_checklistitem\"?\s.*SELECT"
    first = modes_during(generation, lambda: services.generate_checklists(day=day))
    again = modes_during(generation, lambda: services.generate_checklists(day=day))
    assert set(first) == set(again) == {JOB_MODE}
    assert current_mode() == "auto"


@on_postgresql
def test_a_tick_keeps_the_prepared_plans(one_day_of_duties, client):
    # The web's hot path (tick, then one person's recount) is what prepared statements are for.
    from roles import services
    from roles.models import ChecklistItem

    employee, day = one_day_of_duties
    services.generate_checklists(day=day)
    item = ChecklistItem.objects.filter(employee=employee).first()
    modes = modes_during(
        r"INSERT INTO \"?roles_checklistdaysummary",
        lambda: services.tick_item(item_id=item.pk, user=employee.user),
    )
    assert set(modes) == {"auto"}


@pytest.fixture
def stocked(db):
    from inventory.services import MovementInput, post_movements
    from tests.factories import UserFactory
    from tests.inventory.factories import LocationFactory, SkuFactory, WarehouseFactory

    warehouse = WarehouseFactory()
    location = LocationFactory(warehouse=warehouse)
    skus = [SkuFactory(warning_level=50) for _ in range(3)]
    user = UserFactory()
    last_month = timezone.now() - datetime.timedelta(days=40)
    post_movements(
        movements=[MovementInput(sku.pk, location.pk, "receipt", 10) for sku in skus], user=user, occurred_at=last_month
    )
    return warehouse, skus, user


@on_postgresql
def test_opening_a_count_uses_custom_plans(stocked):
    from inventory import services

    warehouse, _skus, user = stocked
    modes = modes_during(
        r"INSERT INTO \"?inventory_stockcountline",
        lambda: services.open_stock_count(warehouse=warehouse, period=timezone.localdate(), user=user),
    )
    assert set(modes) == {JOB_MODE}


@on_postgresql
def test_closing_a_big_count_as_a_job_uses_custom_plans(stocked, settings, monkeypatch):
    from inventory import services
    from inventory.models import InventoryJob, StockCountLine

    warehouse, _skus, user = stocked
    monkeypatch.setattr(services, "COUNT_CLOSE_INLINE_LINES", 0)  # these three lines close as a job
    count = services.open_stock_count(warehouse=warehouse, period=timezone.localdate(), user=user)
    StockCountLine.objects.filter(count=count).update(counted_quantity=7, counted_at=timezone.now())
    job_ids = []

    def close():
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(services.jobs, "enqueue", lambda task, args: job_ids.extend(args))
            services.close_stock_count(count=count, user=user)
        services.run_count_close_job(job_id=job_ids[0])

    modes = modes_during(r"UPDATE \"?inventory_stockcountline\"? SET \"?adjusted", close)
    assert set(modes) == {JOB_MODE}
    assert InventoryJob.objects.get(pk=job_ids[0]).status == "done"


@on_postgresql
def test_the_monthly_summary_and_its_export_use_custom_plans(stocked):
    from inventory import selectors

    modes = modes_during(
        r"FROM \"?inventory_stockmovement\"?\s.*GROUP BY",
        lambda: selectors.monthly_summary(month=timezone.localdate() - datetime.timedelta(days=40)),
    )
    assert set(modes) == {JOB_MODE}


@on_postgresql
def test_the_purchase_request_check_uses_custom_plans(stocked):
    from inventory import services

    modes = modes_during(r"INSERT INTO \"?inventory_purchaserequest", services.raise_purchase_requests)
    assert set(modes) == {JOB_MODE}
    assert current_mode() == "auto"


@on_postgresql
@pytest.mark.django_db
def test_db_job_plan_mode_auto_leaves_the_jobs_to_postgresql(settings):
    settings.DB_JOB_PLAN_MODE = "auto"
    with job_statements():
        assert current_mode() == "auto"
