"""Migration accounts.0002: the clear-text tokens of rest_framework.authtoken are dropped, and a key issued by it
no longer opens the API."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db(transaction=True)
def test_old_authtoken_table_and_its_traces_are_removed(api, staff):
    call_command("migrate", "accounts", "0001_sign_in", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, CURRENT_TIMESTAMP, %s)", ["a" * 40, staff.user.pk])
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('authtoken', '0001_initial', CURRENT_TIMESTAMP)"
        )
    ContentType.objects.create(app_label="authtoken", model="token")

    call_command("migrate", "accounts", verbosity=0)

    assert "authtoken_token" not in connection.introspection.table_names()
    assert "knox_authtoken" not in connection.introspection.table_names()
    assert not ContentType.objects.filter(app_label="authtoken").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
    api.credentials(HTTP_AUTHORIZATION="Token " + "a" * 40)
    assert api.get("/api/employees/me/").status_code == 401
