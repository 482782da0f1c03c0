"""Query plans per workload: prepared statements for the web's lookups, custom plans for the jobs' bulk statements.

With `DB_PREPARED_STATEMENTS` on (the default), psycopg prepares a statement on its connection after its fifth
run, and PostgreSQL, after five runs of a prepared statement, may switch to one *generic* plan that ignores the
parameters' values. That is what a web request's small lookups want (no parsing or planning per request), and what
a job's bulk statement does not: an `INSERT … SELECT` over 10,000 people or a grouped read over a million ledger
rows, repeated with a new chunk of ids or a new date, ran 3–20x slower on a generic plan (issue 17).

`job_statements()` wraps those bulk statements: on PostgreSQL it sets `plan_cache_mode = force_custom_plan`, so
each run is planned for its own values (the statement stays prepared: parsing is still saved); on SQLite it does
nothing. Inside a transaction the setting is `SET LOCAL`-like (it ends with the transaction at the latest); in
autocommit it is set for the session; either way the value before is put back when the block ends, so a
connection kept for the next request (`CONN_MAX_AGE`) goes back to the default.

`DB_JOB_PLAN_MODE=auto` turns it off (to compare with `make bench`). Which jobs use it, and which keep PostgreSQL's
own choice because they measured no better with it, is in the README (*Development → Performance*).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.db import connections
from django.db.utils import DatabaseError

SETTING = "plan_cache_mode"
JOB_MODE = "force_custom_plan"


@contextlib.contextmanager
def job_statements(*, using: str = "default") -> Iterator[None]:
    """Run the block's statements with custom plans (PostgreSQL); nestable, and the previous mode comes back."""
    connection = connections[using]
    if connection.vendor != "postgresql" or settings.DB_JOB_PLAN_MODE != JOB_MODE:
        yield
        return
    local = connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, %s)", [SETTING, SETTING, JOB_MODE, local])
        previous = cursor.fetchone()[0]
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        if previous != JOB_MODE and not (failed and connection.in_atomic_block):
            # After an error inside a transaction the rollback (of the transaction or of its savepoint) undoes a
            # local setting by itself, and the connection accepts no statement until then.
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, %s)", [SETTING, previous, local])


def current_mode(*, using: str = "default") -> str | None:
    """The connection's plan_cache_mode (PostgreSQL), for tests and the bench; None elsewhere."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]
