"""Deleting a record that others still point to: one place turns PROTECT/RESTRICT references into a 409 that
names what blocks the delete ("Cannot delete role 客服: 3 duties, 1 salary structure refer to it")."""

from __future__ import annotations

from collections import Counter

from django.db import models
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .exceptions import ConflictError

BLOCKING = (models.PROTECT, models.RESTRICT)


class DeleteBlocked(ConflictError):
    """A delete refused because other records refer to the one being deleted."""


def _describe(counts: Counter) -> str:
    parts = []
    for model, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]._meta.label)):
        name = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
        parts.append(ngettext("%(count)d %(name)s", "%(count)d %(name)s", count) % {"count": count, "name": name})
    return ", ".join(parts)


def blocked_message(obj: models.Model, counts: Counter) -> str:
    return _("Cannot delete %(kind)s %(name)s: %(blockers)s refer to it.") % {
        "kind": obj._meta.verbose_name,
        "name": obj,
        "blockers": _describe(counts),
    }


def blocking_references(obj: models.Model) -> Counter:
    """How many records of each model point at `obj` through a PROTECT or RESTRICT foreign key: one count query
    per such relation (the model meta lists them), never the records themselves."""
    counts = Counter()
    # include_hidden: relations declared with related_name="+" (a sales figure's department) block deletes too.
    for relation in obj._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        if relation.on_delete not in BLOCKING:
            continue
        count = relation.related_model._base_manager.filter(**{relation.field.name: obj}).count()
        if count:
            counts[relation.related_model] += count
    return counts


def delete_record(obj: models.Model) -> None:
    """Delete `obj`, or raise DeleteBlocked naming the records that refer to it (also those met while cascading)."""
    counts = blocking_references(obj)
    if counts:
        raise DeleteBlocked(blocked_message(obj, counts))
    try:
        obj.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise DeleteBlocked(blocked_message(obj, referring_models(exc))) from None


def referring_models(exc: ProtectedError | RestrictedError) -> Counter:
    found = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    return Counter(type(record) for record in found)


def protected_error_message(exc: ProtectedError | RestrictedError) -> str:
    """For a ProtectedError that reached the API without passing delete_record (the record is not known there)."""
    return _("This record cannot be deleted: %(blockers)s refer to it.") % {
        "blockers": _describe(referring_models(exc))
    }
