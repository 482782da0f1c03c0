"""A job's independent bulk statements spread over several connections (shop_ops/plans.py `run_spread`, issue 17).

Which connection ran each statement is read from PostgreSQL itself (`pg_backend_pid()` inserted with the rows), so
these tests fail if the spreading stops, if a group is split across connections, or if it spreads where it must
not (inside the caller's transaction)."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from shop_ops.plans import run_spread

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer: run_spread runs the statements one by one"
)


@pytest.fixture
def spread_table(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS shopops_test_spread")
        cursor.execute(
            "CREATE TABLE shopops_test_spread (grp int, seq int, pid int, at timestamptz DEFAULT clock_timestamp())"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS shopops_test_spread")


def _insert(group: int, seq: int) -> tuple[str, list]:
    # pg_sleep makes each statement last long enough that the pool hands groups to both connections.
    return (
        "INSERT INTO shopops_test_spread (grp, seq, pid) SELECT %s, %s, pg_backend_pid() FROM pg_sleep(0.05)",
        [group, seq],
    )


def _rows() -> list[tuple[int, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT grp, seq, pid FROM shopops_test_spread ORDER BY at")
        return cursor.fetchall()


def _own_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _open_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _open_backends_settled(expected: int, timeout: float = 5) -> int:
    """The count once it is `expected` or `timeout` seconds have passed: a server process leaves pg_stat_activity
    a moment after its client closed the connection (later still on a busy machine)."""
    deadline = time.monotonic() + timeout
    while (count := _open_backends()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


@on_postgresql
def test_groups_run_on_other_connections_at_once_each_group_in_order_on_one(spread_table, settings):
    settings.DB_JOB_CONNECTIONS = 2
    before = _open_backends()
    groups = [[_insert(group, 1), _insert(group, 2)] for group in range(6)]

    assert run_spread(groups) == 12

    rows = _rows()
    assert sorted((g, s) for g, s, _pid in rows) == [(g, s) for g in range(6) for s in (1, 2)]
    pids = {pid for _g, _s, pid in rows}
    assert len(pids) == 2 and _own_pid() not in pids
    for group in range(6):
        mine = [(s, pid) for g, s, pid in rows if g == group]
        assert [s for s, _pid in mine] == [1, 2], "a group's statements run in order"
        assert len({pid for _s, pid in mine}) == 1, "a group stays on one connection"
    assert _open_backends_settled(before) == before, "the worker threads close their connections"


@on_postgresql
def test_one_connection_configured_runs_on_the_callers(spread_table, settings):
    settings.DB_JOB_CONNECTIONS = 1
    run_spread([[_insert(0, 1)], [_insert(1, 1)]])
    assert {pid for _g, _s, pid in _rows()} == {_own_pid()}


@on_postgresql
def test_inside_the_callers_transaction_it_runs_there_and_rolls_back_with_it(spread_table, settings):
    settings.DB_JOB_CONNECTIONS = 2
    with pytest.raises(RuntimeError), transaction.atomic():
        run_spread([[_insert(0, 1)], [_insert(1, 1)], [_insert(2, 1)]])
        assert {pid for _g, _s, pid in _rows()} == {_own_pid()}
        raise RuntimeError("the caller gives up")
    assert _rows() == []


@on_postgresql
def test_an_error_is_raised_after_the_other_groups_finish(spread_table, settings):
    settings.DB_JOB_CONNECTIONS = 2
    broken = ("INSERT INTO shopops_no_such_table VALUES (1)", [])
    with pytest.raises(Exception, match="shopops_no_such_table"):
        run_spread([[_insert(0, 1)], [broken], [_insert(2, 1)], [_insert(3, 1)]])
    assert sorted(g for g, _s, _pid in _rows()) == [0, 2, 3]


@pytest.mark.django_db
def test_on_sqlite_or_in_a_test_transaction_it_runs_one_by_one_on_the_callers_connection(settings):
    settings.DB_JOB_CONNECTIONS = 4
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE shopops_spread_serial (n int)")
    statements = [[("INSERT INTO shopops_spread_serial (n) VALUES (%s)", [n])] for n in range(5)]
    # A temporary table is seen only by the connection that made it: five rows means the caller's ran them all.
    assert run_spread(statements) == 5
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM shopops_spread_serial ORDER BY n")
        assert [row[0] for row in cursor.fetchall()] == [0, 1, 2, 3, 4]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_day_generated_over_two_connections_is_the_day_generated_over_one(settings):
    # The morning job outside a transaction (as Celery runs it): the same items and day summaries either way.
    from roles import services
    from roles.models import ChecklistDaySummary, ChecklistItem, DutyAssignment, Holiday
    from tests.factories import DutyFactory, EmployeeFactory

    day = timezone.localdate()  # made a working day below, whatever day of the week the suite runs on
    Holiday.objects.update_or_create(date=day, defaults={"kind": "workday", "name_zh": "测试", "name_en": "Test"})
    people = [EmployeeFactory() for _ in range(3)]
    duties = [DutyFactory(role=person.role) for person in people for _ in range(400)]  # 1,200 duties: 3 chunks
    # Cover: the first person also holds a duty of the second's role (both statements of a chunk may insert it).
    DutyAssignment.objects.create(duty=duties[400], employee=people[0], valid_from=day)

    def generate(connections: int) -> tuple[int, list, list]:
        ChecklistItem.objects.all().delete()
        ChecklistDaySummary.objects.all().delete()
        settings.DB_JOB_CONNECTIONS = connections
        created = services.generate_checklists(day=day)
        items = sorted(ChecklistItem.objects.values_list("employee_id", "duty_id", "period_start", "status"))
        summaries = sorted(ChecklistDaySummary.objects.values_list("employee_id", "due_date", "total", "done"))
        return created, items, summaries

    serial = generate(1)
    assert serial[0] == 1201
    assert generate(2) == serial
    assert services.generate_checklists(day=day) == 0
