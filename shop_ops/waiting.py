"""One line of a start page (what waits for someone): how many, since when, and where to deal with them.

The selectors of each app's start page (inventory: the warehouse queue; payroll: what waits for finance) return
these, and `templates/includes/waiting_rows.html` shows them the same way everywhere.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class WaitingRow:
    key: str
    label: str
    count: int
    url: str
    # The oldest of them has waited since then (None when it has no meaningful time).
    since: datetime.datetime | datetime.date | None = None
    # A short line under the label (which month, what changed...).
    detail: str = ""


def waited(since: datetime.datetime | datetime.date | None, now: datetime.datetime | None = None) -> str:
    """How long something has waited, in the two largest units: 3天22小时 / 5小时10分钟 / 8分钟 (3 days 22 hours in
    English). The one format of every waiting time (template filter `waited`); empty for no time."""
    from django.utils import timezone
    from django.utils.translation import gettext, ngettext

    if since is None:
        return ""
    if not isinstance(since, datetime.datetime):
        since = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    seconds = max(int(((now or timezone.now()) - since).total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    parts = [
        ngettext("%(n)d day", "%(n)d days", days) % {"n": days} if days else "",
        ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours} if hours else "",
        ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes} if minutes and not days else "",
    ]
    parts = [part for part in parts if part][:2] or [ngettext("%(n)d minute", "%(n)d minutes", 0) % {"n": 0}]
    if len(parts) == 1:
        return parts[0]
    return gettext("%(larger)s %(smaller)s") % {"larger": parts[0], "smaller": parts[1]}
