"""China's 2026 public holidays and make-up working days (the list lives in roles/data/holidays_cn.py)."""

from django.db import migrations

from roles.data.holidays_cn import ensure_holidays


def add_holidays(apps, schema_editor):
    ensure_holidays(apps.get_model("roles", "Holiday"))


def remove_holidays(apps, schema_editor):
    apps.get_model("roles", "Holiday").objects.filter(date__year=2026).delete()


class Migration(migrations.Migration):
    dependencies = [("roles", "0003_checklists")]

    operations = [migrations.RunPython(add_holidays, remove_holidays)]
