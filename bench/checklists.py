"""Benchmark of checklist generation and the checklist pages. Prints figures; changes only its own synthetic data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shopops_bench \
        .venv/bin/python bench/checklists.py --employees 10000 --duties-per-role 20

Synthetic data lives in a department with code `bench`: 20 employees per role, `--duties-per-role` daily duties
per role. Each run deletes that department's checklist items for the bench day, then times one day's generation
(twice: the second run must create nothing), the manager dashboard and one person's "My checklist".
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_ops.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.db.models.functions import Mod  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from roles import services  # noqa: E402
from roles.choices import AccessGroup  # noqa: E402
from roles.models import ChecklistDaySummary, ChecklistItem, Department, DutyTemplate, Employee, Holiday, Role  # noqa: E402

PER_ROLE = 20


def build(employees: int, duties_per_role: int) -> None:
    department, _ = Department.objects.get_or_create(code="bench", defaults={"name_zh": "压测部", "name_en": "Bench"})
    roles_needed = max(1, employees // PER_ROLE)
    have = Role.objects.filter(department=department).count()
    Role.objects.bulk_create(
        [
            Role(
                department=department,
                code=f"bench-{i}",
                title_zh=f"压测岗位{i}",
                title_en=f"Bench role {i}",
                headcount=PER_ROLE,
                pay_grade_min=2000,
                pay_grade_max=4000,
                access_group=AccessGroup.STAFF,
            )
            for i in range(have, roles_needed)
        ],
        batch_size=1000,
    )
    roles = list(Role.objects.filter(department=department).order_by("id")[:roles_needed])
    have_duties = set(DutyTemplate.objects.filter(role__in=roles).values_list("role_id", flat=True).distinct())
    DutyTemplate.objects.bulk_create(
        [
            DutyTemplate(role=role, text_zh=f"压测职责{n}", text_en=f"Bench duty {n}", cadence="daily", sort_order=n)
            for role in roles
            if role.id not in have_duties
            for n in range(duties_per_role)
        ],
        batch_size=5000,
    )
    have_people = Employee.objects.filter(role__department=department).count()
    if have_people < employees:
        User = get_user_model()
        users = User.objects.bulk_create(
            [User(username=f"bench{i}", password="!") for i in range(have_people, employees)], batch_size=5000
        )
        Employee.objects.bulk_create(
            [
                Employee(
                    user=user,
                    employee_number=f"B{i:07d}",
                    full_name=f"压测员{i}",
                    role=roles[i // PER_ROLE % len(roles)],
                    hire_date=datetime.date(2024, 1, 1),
                )
                for i, user in zip(range(have_people, employees), users, strict=True)
            ],
            batch_size=5000,
        )


def timed(label: str, fn, repeat: int = 1):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    best = min(times)
    median = statistics.median(times)
    print(f"{label:<48} best {best * 1000:9.1f} ms   median {median * 1000:9.1f} ms")
    return result, best


def page_queries(client: Client, url: str) -> tuple[int, float]:
    times = []
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for _ in range(5):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries), min(times)


def _cpu_fields(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_cpu_seconds() -> float | None:
    """CPU time (user + system) PostgreSQL's processes have used so far, from /proc when the server runs on this
    machine: every live child of the postmaster (backends, WAL writer, checkpointer…) plus what exited children used
    (the postmaster's cutime/cstime, added when it reaps them). The job's work runs on connections it opens and
    closes (`DB_JOB_CONNECTIONS`), so this backend's own CPU would miss it. On a shared machine it counts other
    databases' work too: run the bench quiet."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")
    try:
        postmaster = int(_cpu_fields(pid)[1])  # the parent of our backend
        fields = _cpu_fields(postmaster)
        total = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                child = _cpu_fields(int(entry.name))
            except OSError:
                continue  # exited meanwhile: its time is in the postmaster's cutime now
            if int(child[1]) == postmaster:
                total += int(child[11]) + int(child[12])
    except OSError:
        return None
    return total / tick


def timed_with_backend(label: str, fn):
    before = server_cpu_seconds()
    result, seconds = timed(label, fn)
    after = server_cpu_seconds()
    if before is not None and after is not None:
        print(f"{'':<48} CPU of PostgreSQL {after - before:.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--duties-per-role", type=int, default=20)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}  employees: {args.employees}  duties per role: {args.duties_per_role}")
    _, seconds = timed(
        "build synthetic data (skipped when present)", lambda: build(args.employees, args.duties_per_role)
    )

    day = timezone.localdate()
    if Holiday.objects.filter(date=day, kind="holiday").exists() or day.isoweekday() > 5:
        Holiday.objects.update_or_create(date=day, defaults={"kind": "workday", "name_zh": "压测", "name_en": "Bench"})
    ChecklistItem.objects.filter(employee__role__department__code="bench", period_start=day).delete()
    ChecklistDaySummary.objects.filter(employee__role__department__code="bench", due_date=day).delete()
    if connection.vendor == "postgresql":
        # What autovacuum does on a live server (the development server runs without it): the rows deleted above
        # leave the indexes, and the planner has statistics, so every run starts from the same state.
        with connection.cursor() as cursor:
            for model in (ChecklistItem, ChecklistDaySummary, Employee, DutyTemplate):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    print(f"{'':<48} load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    created, seconds = timed_with_backend(
        "generate one day (INSERT … SELECT)", lambda: services.generate_checklists(day=day)
    )
    print(f"{'':<48} {created} items, {created / seconds:,.0f} items/s")
    again, _ = timed_with_backend(
        "generate the same day again (idempotent)", lambda: services.generate_checklists(day=day)
    )
    print(f"{'':<48} {again} new items on the second run")

    # Tick two thirds, so the dashboard aggregates a realistic mix.
    now = timezone.now()
    bench_items = ChecklistItem.objects.filter(employee__role__department__code="bench", period_start=day)
    ticked = bench_items.annotate(third=Mod("id", 3)).exclude(third=0).update(status="done", done_at=now, done_on=day)
    services.refresh_day_summaries(due_date=day)
    print(f"{'':<48} ticked {ticked} items")

    # Keep the query log across requests so the figures below can count queries per page.
    request_started.disconnect(reset_queries)
    manager = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.create_superuser(
        "bench-admin", password="bench-admin-pass"
    )
    client = Client()
    client.force_login(manager)
    for label, url in [
        ("dashboard, today", "/checklists/?period=today"),
        ("dashboard, this month", "/checklists/?period=month"),
        ("dashboard, this month, page 100 of people", "/checklists/?period=month&people=100"),
    ]:
        count, best = page_queries(client, url)
        print(f"{label:<48} {count:3d} queries   best {best * 1000:7.1f} ms")
    someone = Employee.objects.filter(role__department__code="bench").order_by("id")[args.employees // 2]
    client.force_login(someone.user)
    count, best = page_queries(client, "/checklist/")
    label = f"My checklist ({args.duties_per_role} items)"
    print(f"{label:<48} {count:3d} queries   best {best * 1000:7.1f} ms")
    reset_queries()


if __name__ == "__main__":
    main()
