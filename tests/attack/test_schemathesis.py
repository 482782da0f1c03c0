"""Schemathesis walks the project's own OpenAPI schema: generated requests to every operation must never give a
500 and every response must match the schema."""

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis import checks

from accounts.services import issue_api_token

from ..factories import UserFactory


@pytest.fixture
def api_schema(db):
    # Requests go straight through the WSGI app, inside the test's transaction: like Django's test client, keep
    # the request signals from closing that connection (on PostgreSQL it would end the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def token(db, django_db_blocker):
    user = UserFactory(is_superuser=True, is_staff=True, username="schemathesis")
    return issue_api_token(user=user)[1]


# Left out: "positive data acceptance" (business rules such as unique codes reject schema-valid data by design)
# and "ignored auth" (authentication and permissions are walked exhaustively by tests/test_permission_matrix.py).
EXCLUDED_CHECKS = [checks.positive_data_acceptance, checks.ignored_auth]


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_operation(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, excluded_checks=EXCLUDED_CHECKS)


# The stateful phase: schemathesis infers the links between operations from the schema (a POST's `id` feeds the
# GET/PUT/PATCH of that record, a list's ids its detail) and walks sequences of calls with real ids, so what a
# record looks like after it was created, changed or acted on is checked against the schema too. Kept small so
# `make test` stays quick on SQLite and PostgreSQL: STATEFUL_EXAMPLES sequences of up to STATEFUL_STEPS calls.
STATEFUL_EXAMPLES = 25
STATEFUL_STEPS = 8


def test_api_stateful(api_schema, token):
    machine = api_schema.as_state_machine()
    assert machine.bundles, "no links between operations: the stateful phase would test nothing"

    class Workflow(machine):
        # Each sequence starts from the same database: Hypothesis replays a sequence to shrink it, and a replay
        # that met the records an earlier sequence left (a taken code, a closed count) would answer differently
        # and end the run as "flaky" instead of reporting what failed.
        def setup(self):
            self._savepoint = transaction.savepoint()
            cache.clear()

        def teardown(self):
            transaction.savepoint_rollback(self._savepoint)
            cache.clear()

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=EXCLUDED_CHECKS,
                transport_kwargs=kwargs or None,
            )

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
