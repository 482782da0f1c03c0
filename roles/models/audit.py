"""Audit trail of logins and their groups (django-simple-history), beside the history of the org models."""

from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save
from simple_history import register
from simple_history.signals import post_create_historical_record

# The change reason of a login's history row written when it signs in: Django saves `last_login` (not kept in the
# history), so the row changes nothing; the audit page lists these rows as sign-ins, apart from the changes.
SIGN_IN_REASON = "sign-in"


def _mark_sign_in(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) == {"last_login"}:
        instance._change_reason = SIGN_IN_REASON


def _forget_sign_in(sender, instance, history_instance, **kwargs):
    # The same object saved or its groups changed later is a change, not a sign-in.
    if getattr(instance, "_change_reason", None) == SIGN_IN_REASON:
        del instance._change_reason


def register_user_history() -> None:
    user_model = get_user_model()
    register(
        user_model,
        app="roles",
        table_name="roles_historicaluser",
        m2m_fields=["groups"],
        excluded_fields=["password", "last_login"],
    )
    pre_save.connect(_mark_sign_in, sender=user_model, dispatch_uid="roles.audit.mark_sign_in")
    post_create_historical_record.connect(_forget_sign_in, dispatch_uid="roles.audit.forget_sign_in")
