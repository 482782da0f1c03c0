"""Audit trail of logins and their groups (django-simple-history), beside the history of the org models."""

from django.contrib.auth import get_user_model
from simple_history import register


def register_user_history() -> None:
    register(
        get_user_model(),
        app="roles",
        table_name="roles_historicaluser",
        m2m_fields=["groups"],
        excluded_fields=["password", "last_login"],
    )
