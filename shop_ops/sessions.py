"""Sessions in the database (Django's `db` engine), read with a prepared query.

Every signed-in request reads its session first; this engine reads it with SQL compiled once per process
(`shop_ops.prepared`) instead of compiling the lookup each time. Storage, expiry, `clearsessions`, cycling the
key at login and deleting it at logout are Django's, unchanged.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.utils import timezone

from .prepared import PreparedQuery


def _session_query(session_key):
    from django.contrib.sessions.models import Session

    return Session.objects.filter(session_key=session_key).values_list("session_data", "expire_date")


SESSION = PreparedQuery(_session_query, str)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        rows = SESSION.rows(self.session_key) if self.session_key else []
        if rows and rows[0][1] > timezone.now():
            data, expire_date = rows[0]
            return self.model(session_key=self.session_key, session_data=data, expire_date=expire_date)
        self._session_key = None
        return None
