"""The API tokens of rest_framework.authtoken (kept in clear text, never expiring) are gone: django-rest-knox tokens
(accounts.ApiToken) replace them and every client signs in again. Drops the old table and forgets the old app.

Also drops knox's own `knox_authtoken`: its migrations create it even though KNOX_TOKEN_MODEL swaps the model for
accounts.ApiToken, and an unused table that points at auth_user would stop PostgreSQL from truncating the logins
(`flush`, the restore of a backup)."""

from django.db import migrations


def forget_authtoken(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="authtoken").delete()  # and, by cascade, its permissions
    schema_editor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_sign_in"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL("DROP TABLE IF EXISTS knox_authtoken", reverse_sql=migrations.RunSQL.noop),
        migrations.RunPython(forget_authtoken, migrations.RunPython.noop),
    ]
