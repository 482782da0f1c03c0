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
