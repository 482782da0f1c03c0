"""Reading the audit trail: every change of an audited model, who made it, when, and what changed.

Models are audited with django-simple-history (`history = HistoricalRecords()`); any model of any app that has
one appears here without further registration.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q

from ..masking import mask_bank_account, mask_id_number, mask_phone

MASKED_FIELDS = {"bank_account": mask_bank_account, "id_number": mask_id_number, "phone": mask_phone}
CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class AuditEntry:
    kind: str
    kind_label: str
    object_id: object
    object_label: str
    when: datetime.datetime
    who: str
    change: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def audited_models() -> dict[str, type]:
    """'app_label.model' → the historical model, for every audited model."""
    result = {}
    for model in apps.get_models():
        history = getattr(model, "history", None)
        historical = getattr(history, "model", None)
        if historical is not None and hasattr(historical, "history_date"):
            result[f"{model._meta.app_label}.{model._meta.model_name}"] = historical
    return dict(sorted(result.items()))


def _shown(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if name in MASKED_FIELDS:
        return MASKED_FIELDS[name](str(value))
    return str(value)


def _is_many(model, name: str) -> bool:
    try:
        return model._meta.get_field(name).many_to_many
    except FieldDoesNotExist:
        return False


def _shown_many(model, name: str, rows) -> str:
    """A many-to-many value (a login's groups) by the names of what it links to: 'Finance', not
    [{'user': 3, 'group': 2}], so a grant of rights reads as one."""
    target = model._meta.get_field(name).related_model
    ids = [row.get(target._meta.model_name) for row in rows or ()]
    found = target._base_manager.in_bulk([pk for pk in ids if pk is not None])
    return ", ".join(str(found.get(pk, f"#{pk}")) for pk in ids) or "—"


def _entry(kind: str, record) -> AuditEntry:
    changes = []
    model = record.instance_type
    previous = record.prev_record if record.history_type == "~" else None
    if previous is not None:
        delta = record.diff_against(previous)
        for change in delta.changes:
            if _is_many(model, change.field):
                old, new = _shown_many(model, change.field, change.old), _shown_many(model, change.field, change.new)
            else:
                old, new = _shown(change.field, change.old), _shown(change.field, change.new)
            changes.append((change.field, old, new))
    user = record.history_user
    return AuditEntry(
        kind=kind,
        kind_label=str(model._meta.verbose_name),
        object_id=getattr(record, model._meta.pk.attname),
        object_label=str(record.history_object) if record.history_type != "-" else f"#{record.pk}",
        when=record.history_date,
        who=user.get_username() if user else "system",
        change=CHANGE_TYPES.get(record.history_type, record.history_type),
        changes=changes,
    )


def audit_entries(
    *,
    kind: str | None = None,
    username: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    limit: int = 50,
    page: int = 1,
) -> tuple[list[AuditEntry], int, int]:
    """A page of audit entries, newest first, across all audited models or one; returns (entries, total, page).
    A page past the end gives the last page, as Django's Paginator.get_page does."""
    models = audited_models()
    chosen = {kind: models[kind]} if kind in models else models
    condition = Q()
    if username:
        condition &= Q(history_user__username=username)
    if since:
        condition &= Q(history_date__date__gte=since)
    if until:
        condition &= Q(history_date__date__lte=until)
    found = {
        name: historical.objects.filter(condition).select_related("history_user") for name, historical in chosen.items()
    }
    total = sum(records.count() for records in found.values())
    page = max(1, min(page, -(-total // limit)))
    offset = (page - 1) * limit
    candidates = []
    for name, records in found.items():
        # Each model contributes at most the rows the page could need; the merge below picks the page.
        candidates.extend(
            (name, record) for record in records.order_by("-history_date", "-history_id")[: offset + limit]
        )
    candidates.sort(key=lambda pair: pair[1].history_date, reverse=True)
    return [_entry(name, record) for name, record in candidates[offset : offset + limit]], total, page
