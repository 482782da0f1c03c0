import os

import pytest
from rest_framework.test import APIClient

from roles.choices import AccessGroup

from .factories import EmployeeFactory, RoleFactory, UserFactory

PASSWORD = "secret-pass-123"

# The longest test by far (about 4 minutes): first among the transactional tests (see below).
LONG_FIRST = "tests/browser/test_page_walk.py::"


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """pytest-django has put the tests in Django's order: those that roll back, the transactional ones (whose flush
    empties the tables), those without a database. `make test` splits them over two pytest-xdist workers, each
    taking the next test in that order when it is free; the page walk goes first among the transactional tests, so
    the other worker runs the rest meanwhile instead of waiting for the walk at the end."""
    long = [item for item in items if item.nodeid.startswith(LONG_FIRST)]
    if not long:
        return
    rest = [item for item in items if not item.nodeid.startswith(LONG_FIRST)]
    at = next((n for n, item in enumerate(rest) if _transactional(item)), len(rest))
    items[:] = rest[:at] + long + rest[at:]


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Unit tests run tasks in-process; the integration tests start a real worker instead."""
    from shop_ops.celery import app

    # With the CELERY namespace, the Django-style key is the one Celery reads back.
    previous = app.conf.CELERY_TASK_ALWAYS_EAGER
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = previous


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English messages; the Chinese pages have their own tests."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    # Hashing strength is not under test; the default PBKDF2 costs ~0.3 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client's login() calls authenticate() without a request, which django-axes refuses; the lock-out
    # has its own tests that switch it back on.
    settings.AXES_ENABLED = False
    with translation.override("en"):
        yield


def _employee_in(group: str, **kwargs):
    role = RoleFactory(access_group=group)
    employee = EmployeeFactory(role=role, user=UserFactory(groups=[group]), **kwargs)
    return employee


@pytest.fixture
def manager(db):
    return _employee_in(AccessGroup.MANAGER)


@pytest.fixture
def finance(db):
    return _employee_in(AccessGroup.FINANCE)


@pytest.fixture
def warehouse(db):
    return _employee_in(AccessGroup.WAREHOUSE)


@pytest.fixture
def wh_supervisor(db):
    """The warehouse supervisor (仓库主管, role code `warehouse_supervisor`): the Warehouse role that closes counts."""
    from roles.models import Role

    role = Role.objects.filter(code="warehouse_supervisor").first() or RoleFactory(
        code="warehouse_supervisor", access_group=AccessGroup.WAREHOUSE
    )
    return EmployeeFactory(role=role, user=UserFactory(groups=[AccessGroup.WAREHOUSE]))


@pytest.fixture
def staff(db):
    return _employee_in(AccessGroup.STAFF)


@pytest.fixture
def other_staff(db):
    return _employee_in(AccessGroup.STAFF)


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    def login(employee_or_user):
        user = getattr(employee_or_user, "user", employee_or_user)
        api.force_authenticate(user)
        return api

    return login


@pytest.fixture
def client_as(client):
    def login(employee_or_user):
        client.force_login(getattr(employee_or_user, "user", employee_or_user))
        return client

    return login


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
