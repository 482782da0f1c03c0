"""Query plans per workload: prepared statements for the web's lookups, unprepared ones for the jobs' bulk statements.

With `DB_PREPARED_STATEMENTS` on (the default), psycopg prepares a statement on its connection after its fifth
run, and PostgreSQL, after five runs of a prepared statement, may switch to one *generic* plan that ignores the
parameters' values. That is what a web request's small lookups want (no parsing or planning per request). A job's
bulk statement (an `INSERT … SELECT` over 10,000 people, a grouped read over a million ledger rows), repeated with
a new chunk of ids or a new date, wants a plan for its own values, and saves nothing worth having by being prepared.

`job_statements()` wraps those statements: on PostgreSQL it turns psycopg's preparing off for the block
(`prepare_threshold = None`), so each statement goes as an unnamed one, which PostgreSQL plans for the values it
carries, every time; on SQLite it does nothing. The previous threshold comes back when the block ends, so a
connection kept for the next request (`CONN_MAX_AGE`) prepares as before.

Why not `SET plan_cache_mode = force_custom_plan` (what this module did first): that setting also reaches the plans
PostgreSQL caches *inside* the server — above all the foreign-key checks, one `SELECT … FOR KEY SHARE` per inserted
row. Forced to custom plans they are planned again for every row: measured on the 200,000-item checklist day, the
foreign-key checks of 20,000 rows took 9.8–11.1 s instead of 2.0–3.5 s, and the whole generation 33–35 s of backend
CPU instead of 13–14 s (README, *Query plans per workload*). Leaving preparing off for the job's own statements
gives them custom plans and leaves the server's own caches alone.

`DB_JOB_PLAN_MODE=auto` turns it off (the job's statements are prepared like any other; to compare with
`make bench`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence

from django.conf import settings
from django.db import connections

JOB_MODE = "unprepared"


@contextlib.contextmanager
def job_statements(*, using: str = "default") -> Iterator[None]:
    """Send the block's statements unprepared (PostgreSQL), each planned for its own values; nestable."""
    connection = connections[using]
    if connection.vendor != "postgresql" or settings.DB_JOB_PLAN_MODE != JOB_MODE:
        yield
        return
    connection.ensure_connection()
    driver = connection.connection
    previous = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        # The block may have closed the connection (an error, close_old_connections): put the threshold back on the
        # driver connection it was taken from; a new connection starts from the settings anyway.
        driver.prepare_threshold = previous


def statements_prepared(*, using: str = "default") -> bool | None:
    """Whether the connection prepares statements now (PostgreSQL), for tests and the bench; None elsewhere."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    return connection.connection.prepare_threshold is not None


Statement = tuple[str, Sequence]


def run_spread(groups: Sequence[Sequence[Statement]], *, using: str = "default") -> int:
    """Run groups of bulk statements over `DB_JOB_CONNECTIONS` connections at once, each statement in its own
    transaction, the statements of a group one after another on one connection; returns the rows they touched.
    PostgreSQL runs one statement on one core, so a day's chunked `INSERT … SELECT`s take about half the time on two.

    Groups must touch disjoint rows (a day's chunks of different duties): two statements running at once that
    insert the same keys in different orders could deadlock, so whatever may overlap goes in one group.

    One after another, on the caller's connection, when there is nothing to gain or it would be wrong: SQLite
    (one writer), one connection configured, or a transaction open on the caller's connection (a test, or a caller
    that wants the rows in its own transaction: other connections could not see its uncommitted rows, and their
    rows would not roll back with it). Each worker thread has its own Django connection (they are per thread) and
    closes it when done. The first error is raised once every group has finished or failed; statements that
    succeeded stay, as on the serial path (autocommit, one transaction each).
    """
    connection = connections[using]
    workers = min(settings.DB_JOB_CONNECTIONS, len(groups))
    if workers <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        with job_statements(using=using), connection.cursor() as cursor:
            return sum(_execute(cursor, sql, params) for group in groups for sql, params in group)

    pending = iter(groups)
    lock = threading.Lock()
    counts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        # One connection per thread for all the groups it takes, closed when the groups run out.
        try:
            with job_statements(using=using), connections[using].cursor() as cursor:
                while True:
                    with lock:
                        group = next(pending, None)
                    if group is None:
                        return
                    try:
                        counts.append(sum(_execute(cursor, sql, params) for sql, params in group))
                    except Exception as error:  # raised below, once the other groups are done
                        errors.append(error)
        except Exception as error:  # no connection: the caller hears of it below
            errors.append(error)
        finally:
            connections[using].close()

    threads = [threading.Thread(target=work, name=f"db-job-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts)


def _execute(cursor, sql: str, params: Sequence) -> int:
    cursor.execute(sql, params)
    return max(cursor.rowcount, 0)
