"""Reading the audit trail: every change of an audited model, who made it, when, and what changed, written the way
a person would write it (names of records and groups, 是/否, the labels of choices, local time to the minute).

Models are audited with django-simple-history (`history = HistoricalRecords()`); any model of any app that has
one appears here without further registration. A login's record written when it signs in (only `last_login`
changed, which is not kept) is a sign-in, not a change: it has its own list (`sign_ins=True`).
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass, field
from typing import NamedTuple

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shop_ops.numbers import format_money
from shop_ops.templatetags.shop_ops_format import person

from ..masking import mask_bank_account, mask_id_number, mask_phone
from ..models.audit import SIGN_IN_REASON
from .org import with_names

MASKED_FIELDS = {"bank_account": mask_bank_account, "id_number": mask_id_number, "phone": mask_phone}
USER_MODEL = "auth.user"
EMPTY = "—"
TIME_FORMAT = "%Y-%m-%d %H:%M"


def change_label(history_type: str) -> str:
    labels = {
        "+": pgettext("audit", "created"),
        "~": pgettext("audit", "changed"),
        "-": pgettext("audit", "deleted"),
    }
    return labels.get(history_type, history_type)


class FieldChange(NamedTuple):
    field: str  # the model's field name, e.g. "is_active"
    label: str  # its verbose name in the page's language, e.g. "有效"
    old: str
    new: str


@dataclass
class AuditEntry:
    kind: str
    kind_label: str
    object_id: object
    object_label: str
    when: datetime.datetime  # local time (settings.TIME_ZONE)
    who: str
    change: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def when_text(self) -> str:
        return self.when.strftime(TIME_FORMAT)


def audited_models() -> dict[str, type]:
    """'app_label.model' → the historical model, for every audited model."""
    result = {}
    for model in apps.get_models():
        history = getattr(model, "history", None)
        historical = getattr(history, "model", None)
        if historical is not None and hasattr(historical, "history_date"):
            result[f"{model._meta.app_label}.{model._meta.model_name}"] = historical
    return dict(sorted(result.items()))


def local_time(value: datetime.datetime) -> datetime.datetime:
    """An aware time in settings.TIME_ZONE, to the minute."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return timezone.localtime(value).replace(second=0, microsecond=0)


def _field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _field_label(model, name: str) -> str:
    found = _field(model, name)
    return str(capfirst(found.verbose_name)) if found is not None and hasattr(found, "verbose_name") else name


def identified(user) -> str:
    """A login as the audit shows it: the person's name with the login beside it when they differ, "陈志远
    (manager)". A name alone can be shared, or copied by someone editing their own (found by a tester); the login
    cannot."""
    name = person(user)
    return name if name == user.username else f"{name} ({user.username})"


def _record_name(target, pk) -> str:
    """A related record by its name (a login by `identified`); one that is gone by the name its history last gave
    it."""
    found = target._base_manager.filter(pk=pk).first()
    if found is not None:
        return identified(found) if isinstance(found, get_user_model()) else str(found)
    history = getattr(getattr(target, "history", None), "model", None)
    if history is not None:
        last = history.objects.filter(**{target._meta.pk.attname: pk}).order_by("-history_date").first()
        if last is not None:
            return _object_name(last, fallback=f"#{pk}")
    return f"#{pk}"


def _shown_many(model, name: str, rows) -> str:
    """A many-to-many value (a login's groups) by the names of what it links to: 'Finance', not
    [{'user': 3, 'group': 2}], so a grant of rights reads as one."""
    target = model._meta.get_field(name).related_model
    ids = [row.get(target._meta.model_name) for row in rows or ()]
    found = target._base_manager.in_bulk([pk for pk in ids if pk is not None])
    names = []
    for pk in ids:
        record = found.get(pk)
        names.append(_group_name(record) if record is not None else f"#{pk}")
    return ", ".join(names) or EMPTY


def _group_name(record) -> str:
    """Access groups carry English names in the database (they are also the permission keys); a page shows the
    translated label of the group's choice."""
    from ..choices import AccessGroup

    if record._meta.label_lower == "auth.group" and record.name in AccessGroup.values:
        return str(AccessGroup(record.name).label)
    return str(record)


def shown_value(model, name: str, value) -> str:
    """One value of a field as a person would write it."""
    if name in MASKED_FIELDS and value not in (None, ""):
        return MASKED_FIELDS[name](str(value))
    found = _field(model, name)
    if found is not None and found.many_to_many:
        return _shown_many(model, name, value)
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool) or isinstance(found, models.BooleanField):
        return _("Yes") if value else _("No")
    if found is not None and found.choices:
        return str(dict(found.flatchoices).get(value, value))
    if found is not None and (found.many_to_one or found.one_to_one) and found.related_model is not None:
        return _record_name(found.related_model, value)
    if isinstance(value, datetime.datetime):
        return local_time(value).strftime(TIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(found, models.DecimalField) and found.decimal_places == 2:
        return format_money(value)
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or EMPTY
    return str(value)


def _object_name(record, *, fallback: str) -> str:
    """The record's name as it was when this history row was written (a deleted record's too)."""
    try:
        return str(record.history_object) or fallback
    except Exception:  # a __str__ that follows a link to a record that is gone
        return fallback


def _entry(kind: str, record) -> AuditEntry:
    model = record.instance_type
    object_id = getattr(record, model._meta.pk.attname)
    changes = []
    previous = record.prev_record if record.history_type == "~" else None
    if previous is not None:
        for change in record.diff_against(previous).changes:
            changes.append(
                FieldChange(
                    field=change.field,
                    label=_field_label(model, change.field),
                    old=shown_value(model, change.field, change.old),
                    new=shown_value(model, change.field, change.new),
                )
            )
    user = record.history_user
    who = identified(user) if user else _("system")  # by name, as people know each other, and by login
    if getattr(record, "history_change_reason", None) == SIGN_IN_REASON:
        who = record.username  # the login that signed in (no one is signed in yet while it does)
    return AuditEntry(
        kind=kind,
        kind_label=str(capfirst(model._meta.verbose_name)),
        object_id=object_id,
        object_label=_object_name(record, fallback=f"#{object_id}"),
        when=local_time(record.history_date),
        who=who,
        change=change_label(record.history_type),
        changes=changes,
    )


def _sign_in_condition() -> Q:
    return Q(history_change_reason=SIGN_IN_REASON)


# How far back the pages go (newest first); older entries are reached with the date filters (README, Audit).
MAX_AUDIT_ENTRIES = 1000


def audit_entries(
    *,
    kind: str | None = None,
    username: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    sign_ins: bool = False,
    limit: int = 50,
    page: int = 1,
) -> tuple[list[AuditEntry], int, int]:
    """A page of audit entries, newest first, across all audited models or one; returns (entries, total, page).
    Changes by default; `sign_ins=True` gives the logins' sign-ins instead (who signed in is the record).
    A page past the end gives the last page, as Django's Paginator.get_page does; pages stop at
    MAX_AUDIT_ENTRIES."""
    models_ = audited_models()
    if sign_ins:
        chosen = {USER_MODEL: models_[USER_MODEL]} if USER_MODEL in models_ else {}
    else:
        chosen = {kind: models_[kind]} if kind in models_ else models_
    condition = Q()
    if username:
        condition &= Q(username=username) if sign_ins else Q(history_user__username=username)
    if since:
        condition &= Q(history_date__date__gte=since)
    if until:
        condition &= Q(history_date__date__lte=until)
    found = {}
    for name, historical in chosen.items():
        records = with_names(historical.objects.filter(condition), "history_user")
        if name == USER_MODEL:
            records = records.filter(_sign_in_condition()) if sign_ins else records.exclude(_sign_in_condition())
        found[name] = records
    total = sum(records.count() for records in found.values())
    # Pages reach back MAX_AUDIT_ENTRIES at most: each model is read down to the page's end and merged, so a deep
    # page would read (and sort) that many rows of every model; older entries are found by dates.
    page = max(1, min(page, -(-min(total, MAX_AUDIT_ENTRIES) // limit)))
    offset = (page - 1) * limit
    candidates = []
    for name, records in found.items():
        # Each model contributes at most the rows the page could need; the merge below picks the page.
        candidates.extend(
            (name, record) for record in records.order_by("-history_date", "-history_id")[: offset + limit]
        )
    candidates.sort(key=lambda pair: pair[1].history_date, reverse=True)
    return [_entry(name, record) for name, record in candidates[offset : offset + limit]], total, page
