"""Demo data of the checklists: every duty of the seed documents, and three weeks of history to look at."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from . import services
from .choices import Cadence, ItemStatus
from .data.holidays_cn import ensure_holidays
from .demo import read_seed
from .models import ChecklistItem, DutyTemplate, Holiday, Role
from .workdays import WorkCalendar

HISTORY_DAYS = 21


def _cadence_values(duty: dict, today: datetime.date) -> dict:
    params = duty.get("cadence_params") or {}
    values = {"cadence": duty["cadence"], "cadence_note": duty.get("cadence_note", "")[:200]}
    if duty["cadence"] == Cadence.WEEKLY:
        values["weekdays"] = params.get("weekdays") or [1]
    elif duty["cadence"] == Cadence.EVERY_N_DAYS:
        values["interval_days"] = params.get("n", 7)
        # Anchor on a Monday a few weeks back so the history shows the rhythm.
        values["anchor_date"] = today - datetime.timedelta(days=today.weekday() + 28)
    elif duty["cadence"] == Cadence.MONTHLY:
        day = params.get("day", "last")
        values.update(last_day_of_month=True) if day == "last" else values.update(month_day=int(day))
    elif duty["cadence"] == Cadence.ON_DEMAND:
        values["deadline_working_days"] = params.get("deadline_working_days", 1)
    return values


@transaction.atomic
def load_duties(*, seed: dict, today: datetime.date) -> int:
    created = 0
    roles = {role.code: role for role in Role.objects.all()}
    existing = set(DutyTemplate.objects.values_list("role__code", "text_zh"))
    for role_data in seed["roles"]:
        role = roles[role_data["code"]]
        for duty in role_data["duties"]:
            if (role.code, duty["text_zh"]) in existing:
                continue
            services.save_duty(
                role=role,
                text_zh=duty["text_zh"][:500],
                text_en=duty["text_en"][:500],
                sort_order=duty["order"],
                **_cadence_values(duty, today),
            )
            created += 1
    return created


def _fill_history(*, today: datetime.date) -> int:
    """Generate the last weeks' checklists and tick most of them: ~85% on time, ~7% late, the rest left open."""
    workdays = WorkCalendar.load(start=today - datetime.timedelta(days=HISTORY_DAYS), end=today)
    randomiser = random.Random(20261125)  # fixed seed: the same demo every time
    generated = 0
    for offset in range(HISTORY_DAYS, 0, -1):
        day = today - datetime.timedelta(days=offset)
        if not workdays.is_working_day(day):
            continue
        generated += services.generate_checklists(day=day)
    items = ChecklistItem.objects.filter(due_date__lt=today, status__in=[ItemStatus.OPEN, ItemStatus.MISSED])
    items = items.select_related("employee")
    to_update = []
    zone = timezone.get_current_timezone()
    for item in items.order_by("id"):
        draw = randomiser.random()
        if draw > 0.92:
            continue
        done_on = (
            item.due_date if draw <= 0.85 else workdays.next_working_day(item.due_date + datetime.timedelta(days=1))
        )
        if done_on >= today:
            continue
        item.status = ItemStatus.DONE
        item.done_on = done_on
        item.done_at = datetime.datetime.combine(done_on, datetime.time(17, randomiser.randrange(60)), tzinfo=zone)
        item.done_by_id = item.employee.user_id
        to_update.append(item)
    ChecklistItem.objects.bulk_update(to_update, ["status", "done_on", "done_at", "done_by"], batch_size=1000)
    for due_date in sorted({item.due_date for item in to_update}):
        services.refresh_day_summaries(due_date=due_date)
    return generated


def load_demo() -> str:
    """Duties from the seeds; history only on the first run; today's checklist (idempotent)."""
    today = timezone.localdate()
    ensure_holidays(Holiday)
    created = load_duties(seed=read_seed(), today=today)
    history = 0
    if not ChecklistItem.objects.filter(due_date__lt=today).exists():
        history = _fill_history(today=today)
    new_today = services.generate_checklists(day=today)
    return (
        f"Checklists: {created} duties created, {history} history items generated, "
        f"{new_today} items for today ({DutyTemplate.objects.count()} duties in all)."
    )
