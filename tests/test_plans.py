"""Unprepared statements for the jobs' bulk statements, prepared (generic) plans for the rest (shop_ops/plans.py,
issue 17).

The jobs' tests check how each bulk statement was sent *while it ran*: a wrapper on the connection reads the
driver's prepare threshold just before the statements that match, so a job that stops calling `job_statements()`
(or calls it around the wrong code) fails here. Other tests ask PostgreSQL itself: what is in
`pg_prepared_statements`, and that `plan_cache_mode` stays `auto` (forcing custom plans replans every foreign-key
check of an insert, the slowdown the module's docstring measures).
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

from shop_ops.plans import job_statements, statements_prepared

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="prepared statements are PostgreSQL's; on SQLite job_statements() does nothing",
)
UNPREPARED = "unprepared"
PREPARED = "prepared"


def _how_sent() -> str:
    """How the next statement goes, read on the driver connection (no query, so nothing is recorded)."""
    return PREPARED if connection.connection.prepare_threshold is not None else UNPREPARED


def _plan_cache_mode() -> str:
    with connection.connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def _server_prepared(fragment: str) -> list[str]:
    """Statements prepared on this connection's server session whose text contains `fragment`."""
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{fragment}%"])
        return [row[0] for row in cursor.fetchall()]


class SentAs:
    """Records how each statement whose SQL matches `pattern` is sent."""

    def __init__(self, pattern: str):
        self.pattern = re.compile(pattern, re.IGNORECASE | re.DOTALL)
        self.modes: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        if self.pattern.search(sql):
            self.modes.append(_how_sent())
        return execute(sql, params, many, context)


def modes_during(pattern: str, fn) -> list[str]:
    recorder = SentAs(pattern)
    with connection.execute_wrapper(recorder):
        fn()
    assert recorder.modes, f"no statement matched {pattern!r}: the test no longer follows the job"
    return recorder.modes


@pytest.mark.django_db
def test_job_statements_does_nothing_without_postgresql():
    ran = []
    with job_statements():
        ran.append(True)
    assert ran == [True]
    if connection.vendor != "postgresql":
        assert statements_prepared() is None


@on_postgresql
@pytest.mark.django_db
def test_inside_the_block_nothing_is_prepared_and_afterwards_it_is_again():
    assert statements_prepared() is True
    with job_statements():
        assert statements_prepared() is False
        with job_statements():  # nested: still unprepared, and the outer block's state survives the inner one's end
            assert statements_prepared() is False
        assert statements_prepared() is False
    assert statements_prepared() is True
    with pytest.raises(ZeroDivisionError), job_statements():
        1 / 0  # noqa: B018
    assert statements_prepared() is True


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_server_prepares_a_statement_run_often_outside_the_block_and_never_inside_it():
    # What the threshold means on the server: psycopg prepares a statement after its fifth run; inside the block
    # the same statement, run ten times, is never prepared, so PostgreSQL plans it for its values each time.
    inside = "SELECT 'shopops-plans-inside', %s::int"
    outside = "SELECT 'shopops-plans-outside', %s::int"
    with job_statements(), connection.cursor() as cursor:
        for value in range(10):
            cursor.execute(inside, [value])
    with connection.cursor() as cursor:
        for value in range(10):
            cursor.execute(outside, [value])
    assert _server_prepared("shopops-plans-inside") == []
    assert len(_server_prepared("shopops-plans-outside")) == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_block_leaves_plan_cache_mode_alone():
    # force_custom_plan would also replan the server's cached foreign-key checks, once per inserted row.
    with transaction.atomic(), job_statements():
        assert _plan_cache_mode() == "auto"
    with job_statements():
        assert _plan_cache_mode() == "auto"


# --- each job ------------------------------------------------------------------------------------------------------


@pytest.fixture
def one_day_of_duties(db):
    from tests.factories import DutyFactory, EmployeeFactory

    employee = EmployeeFactory()
    DutyFactory(role=employee.role)
    DutyFactory(role=employee.role)
    day = timezone.localdate()  # today, made a working day: the tick test ticks it, and a later day cannot be ticked
    from roles.models import Holiday

    Holiday.objects.update_or_create(date=day, defaults={"kind": "workday", "name_zh": "测试", "name_en": "Test"})
    return employee, day


@on_postgresql
def test_checklist_generation_and_its_rerun_are_sent_unprepared(one_day_of_duties):
    from roles import services

    _employee, day = one_day_of_duties
    generation = r"INSERT INTO \"?roles_checklistitem\"?\s.*SELECT"
    first = modes_during(generation, lambda: services.generate_checklists(day=day))
    again = modes_during(generation, lambda: services.generate_checklists(day=day))
    assert set(first) == set(again) == {UNPREPARED}
    assert statements_prepared() is True


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
    assert set(modes) == {PREPARED}


@pytest.fixture
def stocked(db):
    from inventory.services import MovementInput, post_movements
    from tests.factories import UserFactory
    from tests.inventory.factories import LocationFactory, SkuFactory, WarehouseFactory

    warehouse = WarehouseFactory()
    location = LocationFactory(warehouse=warehouse)
    skus = [SkuFactory(warning_level=50) for _ in range(3)]
    user = UserFactory(is_superuser=True)  # closes counts too (a supervisor's or a manager's right)
    last_month = timezone.now() - datetime.timedelta(days=40)
    post_movements(
        movements=[MovementInput(sku.pk, location.pk, "receipt", 10) for sku in skus], user=user, occurred_at=last_month
    )
    return warehouse, skus, user


@on_postgresql
def test_opening_a_count_is_sent_unprepared(stocked):
    from inventory import services

    warehouse, _skus, user = stocked
    modes = modes_during(
        r"INSERT INTO \"?inventory_stockcountline",
        lambda: services.open_stock_count(warehouse=warehouse, period=timezone.localdate(), user=user),
    )
    assert set(modes) == {UNPREPARED}


@on_postgresql
def test_closing_a_big_count_as_a_job_is_sent_unprepared(stocked, settings, monkeypatch):
    from inventory import services
    from inventory.models import InventoryJob, StockCountLine

    warehouse, _skus, user = stocked
    monkeypatch.setattr(services.counts, "COUNT_CLOSE_INLINE_LINES", 0)  # these three lines close as a job
    count = services.open_stock_count(warehouse=warehouse, period=timezone.localdate(), user=user)
    StockCountLine.objects.filter(count=count).update(counted_quantity=7, counted_at=timezone.now())
    job_ids = []

    def close():
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(services.counts.jobs, "enqueue", lambda task, args: job_ids.extend(args))
            services.close_stock_count(count=count, user=user)
        services.run_count_close_job(job_id=job_ids[0])

    modes = modes_during(r"UPDATE \"?inventory_stockcountline\"? SET \"?adjusted", close)
    assert set(modes) == {UNPREPARED}
    assert InventoryJob.objects.get(pk=job_ids[0]).status == "done"


@on_postgresql
def test_the_monthly_summary_and_its_export_are_sent_unprepared(stocked):
    from inventory import selectors

    modes = modes_during(
        r"FROM \"?inventory_stockmovement\"?\s.*GROUP BY",
        lambda: selectors.monthly_summary(month=timezone.localdate() - datetime.timedelta(days=40)),
    )
    assert set(modes) == {UNPREPARED}


@on_postgresql
def test_the_purchase_request_check_is_sent_unprepared(stocked):
    from inventory import services

    modes = modes_during(r"INSERT INTO \"?inventory_purchaserequest", services.raise_purchase_requests)
    assert set(modes) == {UNPREPARED}
    assert statements_prepared() is True


@on_postgresql
@pytest.mark.django_db
def test_db_job_plan_mode_auto_leaves_the_jobs_prepared(settings):
    settings.DB_JOB_PLAN_MODE = "auto"
    with job_statements():
        assert statements_prepared() is True
