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
from collections.abc import Iterator

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
