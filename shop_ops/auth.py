"""Reading the signed-in user once per request.

Every page needs the user, their employee record and role (navigation, "my" pages, customer-service rules) and
their access groups (every permission rule). Django's ModelBackend reads the user alone, and each of the others
costs one more query later in the request. This backend reads all of them in one prepared query
(`shop_ops.prepared`); `roles.permissions` and `inventory.permissions` then find them already loaded. Nothing
is kept between requests, so a change of group, role or password applies to the user's next request.
"""

from __future__ import annotations

import functools
import json

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group
from django.db.models import Aggregate, OuterRef, Subquery, TextField

from .encryption import EncryptedCharField
from .prepared import PreparedQuery


class JsonList(Aggregate):
    """The aggregated values as the text of a JSON list (PostgreSQL `JSON_AGG`, SQLite `JSON_GROUP_ARRAY`)."""

    function = "JSON_AGG"
    template = "%(function)s(%(expressions)s)::text"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, function="JSON_GROUP_ARRAY", template="%(function)s(%(expressions)s)", **extra_context
        )


@functools.cache
def _fields(model) -> tuple[str, ...]:
    # Encrypted fields (personal numbers) stay deferred: no page needs them for the signed-in user on every
    # request, and decrypting costs ~20 µs each; reading one later loads it.
    return tuple(field.attname for field in model._meta.concrete_fields if not isinstance(field, EncryptedCharField))


def _signed_in_user_query(user_id):
    from roles.models import Employee, Role

    User = get_user_model()
    groups = Group.objects.filter(user=OuterRef("pk")).values("user").annotate(names=JsonList("name")).values("names")
    return (
        User._default_manager.filter(pk=user_id)
        .annotate(shopops_groups=Subquery(groups))
        .values_list(
            *_fields(User),
            *(f"employee__{name}" for name in _fields(Employee)),
            *(f"employee__role__{name}" for name in _fields(Role)),
            "shopops_groups",
        )
    )


SIGNED_IN_USER = PreparedQuery(_signed_in_user_query, int)


def load_signed_in_user(user_id: int, using: str = "default"):
    """The user with `employee` (or none), `employee.role` and `_shopops_group_names` set, or None."""
    from roles.models import Employee, Role

    User = get_user_model()
    rows = SIGNED_IN_USER.rows(user_id, using=using)
    if not rows:
        return None
    row = rows[0]
    user_fields, employee_fields, role_fields = _fields(User), _fields(Employee), _fields(Role)
    end_user, end_employee = len(user_fields), len(user_fields) + len(employee_fields)
    user = User.from_db(using, user_fields, row[:end_user])
    if row[end_user] is not None:  # the employee's id: the user has an employee record
        employee = Employee.from_db(using, employee_fields, row[end_user:end_employee])
        employee.role = Role.from_db(using, role_fields, row[end_employee:-1])
        user.employee = employee  # sets both sides: employee.user is this user
    else:
        Employee.user.field.remote_field.set_cached_value(user, None)  # "no employee record", without a query
    user._shopops_group_names = frozenset(json.loads(row[-1]) if row[-1] else ())
    return user


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend (passwords, permissions); `get_user` also loads employee, role and group names."""

    def get_user(self, user_id):
        try:
            user = load_signed_in_user(int(user_id))
        except (TypeError, ValueError):
            return None
        if user is None or not self.user_can_authenticate(user):
            return None
        return user
