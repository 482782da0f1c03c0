"""A login's history rows written by a sign-in (only last_login saved, which the history does not keep) get the
change reason "sign-in", so the audit page lists them apart from the changes. Earlier rows are recognised by
changing nothing the history keeps (no field, no group). Rows written from now on are marked
when they are saved (roles/models/audit.py)."""

from django.db import migrations

SIGN_IN_REASON = "sign-in"
META = {"history_id", "history_date", "history_change_reason", "history_type", "history_user", "history_user_id"}


def mark_sign_ins(apps, schema_editor):
    HistoricalUser = apps.get_model("roles", "HistoricalUser")
    Groups = apps.get_model("roles", "HistoricalUser_groups")
    fields = [f.attname for f in HistoricalUser._meta.concrete_fields if f.name not in META and f.attname not in META]
    groups = {}
    for history_id, group_id in Groups.objects.values_list("history_id", "group_id"):
        groups.setdefault(history_id, set()).add(group_id)
    previous = {}
    marked = []
    rows = HistoricalUser.objects.order_by("id", "history_date", "history_id")
    for row in rows.values("history_id", "history_type", "history_change_reason", *fields):
        user_id = row["id"]
        state = (tuple(row[name] for name in fields), frozenset(groups.get(row["history_id"], ())))
        before = previous.get(user_id)
        if row["history_type"] == "~" and before == state and not row["history_change_reason"]:
            marked.append(row["history_id"])
        previous[user_id] = state
    for start in range(0, len(marked), 500):
        HistoricalUser.objects.filter(history_id__in=marked[start : start + 500]).update(
            history_change_reason=SIGN_IN_REASON
        )


class Migration(migrations.Migration):
    dependencies = [("roles", "0008_checklist_item_self_assigned")]

    operations = [migrations.RunPython(mark_sign_ins, migrations.RunPython.noop)]
