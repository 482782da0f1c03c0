"""The two hooks of signing in that every path goes through, whichever page, admin action or command is used.

- A login that signs in (page, admin, two-factor page) has its browser session recorded, so that
  "sign out everywhere", deactivation and leaving can end it.
- A login saved inactive (leaving the shop, an administrator unticking "active", any other way) loses every API
  token and browser session at once, so reactivating it (rehiring) brings none of them back.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save

from . import services


def _record_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        services.record_browser_session(user=user, session_key=session.session_key)


def _end_sign_ins_of_inactive(sender, instance, created, update_fields=None, **kwargs):
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    services.end_sign_ins(user=instance)


def connect() -> None:
    user_logged_in.connect(_record_session, dispatch_uid="accounts.record_session")
    post_save.connect(_end_sign_ins_of_inactive, sender=get_user_model(), dispatch_uid="accounts.end_sign_ins")
