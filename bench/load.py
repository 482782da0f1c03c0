"""Load test on loopback: gunicorn + PostgreSQL serving a mix of staff ticking checklists, managers reading
dashboards and finance reading payslips. Prints requests/s and p50/p95/p99 latency; bounded in time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shopops_load .venv/bin/python bench/load.py \\
        --users 50 --seconds 30 --workers 2

It migrates and loads the demo data into that database, adds `--staff` synthetic staff with a checklist each,
starts gunicorn on 127.0.0.1, signs every virtual user in (a session per user), then each user loops: pick a
request by weight, send it, record the latency. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_ops.settings")
# The sessions made here are read by the server: both sides share these settings (the secret key signs them).
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "load-test-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "AXES_ENABLED": "false",
    # Production-like settings need the keys of the encrypted and hashed personal numbers; fixed made-up ones, so a
    # second run reads what the first one stored (never use these anywhere else).
    "FIELD_ENCRYPTION_KEYS": "bG9hZC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtMDAwMDA=",
    "FIELD_HASH_KEY": "load-test-hash-key-not-a-secret-" + "0" * 16,
}


def prepare(staff: int) -> dict:
    """Demo data, synthetic staff with today's checklist, and a session per virtual user."""
    os.environ.update(SERVER_ENV)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.services import needs_two_factor
    from roles import services
    from roles.models import ChecklistItem, Employee, Holiday, Role
    from roles.permissions import OPERATOR

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production settings serve the manifest
    with open(os.devnull, "w") as quiet:
        call_command("load_demo", quiet_logins=True, verbosity=0, stdout=quiet)
    today = timezone.localdate()
    if today.isoweekday() > 5 or Holiday.objects.filter(date=today, kind="holiday").exists():
        Holiday.objects.update_or_create(date=today, defaults={"kind": "workday", "name_zh": "压测", "name_en": "Load"})
    role = Role.objects.get(code="cs_staff")
    User = get_user_model()
    have = Employee.objects.filter(employee_number__startswith="L").count()
    for i in range(have, staff):
        services.create_employee(
            username=f"load{i}",
            password="load-test-password-1",
            employee_number=f"L{i:05d}",
            full_name=f"压测员{i}",
            role=role,
            hire_date=today.replace(year=today.year - 1),
            by=OPERATOR,
        )
    services.generate_checklists(day=today)

    def session_for(username: str) -> str:
        user = User.objects.get(username=username)
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = "shop_ops.auth.ModelBackend"
        store["_auth_user_hash"] = user.get_session_auth_hash()
        if needs_two_factor(user):
            # Production settings ask Finance and Manager for a second factor: these sessions have passed it, as
            # the two-factor page leaves them (django-otp's session key naming the confirmed device).
            device, _ = TOTPDevice.objects.get_or_create(user=user, name="load-test", defaults={"confirmed": True})
            store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store.create()
        return store.session_key

    staff_users = [f"load{i}" for i in range(staff)]
    items = {
        name: list(
            ChecklistItem.objects.filter(employee__user__username=name, due_date=today).values_list("id", flat=True)
        )
        for name in staff_users
    }
    payslip_urls = []
    try:
        from payroll.models import Payslip

        payslip_urls = [f"/payroll/payslips/{pk}/" for pk in Payslip.objects.values_list("pk", flat=True)[:50]]
    except Exception:
        payslip_urls = []
    return {
        "staff": [(session_for(name), items[name]) for name in staff_users],
        "manager": session_for("manager"),
        "finance": session_for("finance"),
        "payslips": payslip_urls or ["/payroll/"],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class User(threading.Thread):
    def __init__(self, port, plan, deadline, results, seed):
        super().__init__(daemon=True)
        self.port, self.plan, self.deadline, self.results = port, plan, deadline, results
        self.random = random.Random(seed)

    def request(self, method, path, session, csrf=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": f"sessionid={session}" + (f"; csrftoken={csrf}" if csrf else ""), "Host": "127.0.0.1"}
        body = None
        if method == "POST":
            headers.update({"X-CSRFToken": csrf, "HX-Request": "true", "Referer": f"http://127.0.0.1:{self.port}/"})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = "note=load"
        start = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0
        finally:
            connection.close()
        if status in (301, 302):  # a redirect here means the session was refused: count it as an error
            status = 599
        self.results.append((path.split("/")[1] or "home", status, time.perf_counter() - start))

    def run(self):
        csrf = "LoadTestCsrfToken0123456789abcde"  # 32 characters, as Django's CSRF cookie
        while time.perf_counter() < self.deadline:
            kind = self.random.choices(["tick", "checklist", "dashboard", "payslip"], weights=[35, 30, 20, 15])[0]
            if kind in {"tick", "checklist"}:
                session, items = self.random.choice(self.plan["staff"])
                if kind == "tick" and items:
                    action = self.random.choice(["tick", "untick"])
                    self.request("POST", f"/checklist/items/{self.random.choice(items)}/{action}/", session, csrf)
                else:
                    self.request("GET", "/checklist/", session)
            elif kind == "dashboard":
                self.request(
                    "GET", self.random.choice(["/checklists/", "/checklists/?period=month"]), self.plan["manager"]
                )
            else:
                self.request("GET", self.random.choice(self.plan["payslips"]), self.plan["finance"])


def cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes so far (from /proc; 0 for a process that has gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / tick


def processes(*, parent: int | None = None, name: str | None = None) -> list[int]:
    """Pids of the children of `parent` (and the parent), or of every process called `name`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm, rest = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        if (parent is not None and int(rest.split()[1]) == parent) or (name and comm.split("(", 1)[1] == name):
            found.append(int(entry.name))
    return found + ([parent] if parent is not None else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--staff", type=int, default=200, help="synthetic staff whose checklists are ticked")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database for the load test (e.g. .../shopops_load).")
    plan = prepare(args.staff)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "shop_ops.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **SERVER_ENV},
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        # The CSRF check compares the cookie with the header; both carry the same made-up token.
        results: list = []
        deadline = time.perf_counter() + args.seconds
        users = [User(port, plan, deadline, results, seed) for seed in range(args.users)]
        for _ in range(100):  # every gunicorn worker booted, so that its CPU is counted from here on
            workers = processes(parent=server.pid)
            if len(workers) > args.workers:
                break
            time.sleep(0.1)
        database = processes(name="postgres")
        server_cpu, database_cpu = cpu_seconds(workers), cpu_seconds(database)
        client_cpu = time.process_time()
        started = time.perf_counter()
        for user in users:
            user.start()
        for user in users:
            user.join()
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        server_cpu = cpu_seconds(workers) - server_cpu
        database_cpu = cpu_seconds(processes(name="postgres")) - database_cpu
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    latencies = sorted(r[2] for r in results)
    errors = [r for r in results if not 200 <= r[1] < 400]

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    print(f"users {args.users}, gunicorn workers {args.workers}, {args.seconds} s, {os.cpu_count()} cores")
    print(f"requests {len(results)}   {len(results) / elapsed:.0f} req/s   errors {len(errors)}")
    per = 1000 / max(len(results), 1)
    print(
        f"CPU ms per request: web {server_cpu * per:.1f}   PostgreSQL {database_cpu * per:.1f}"
        f"   load client {client_cpu * per:.1f}   (all PostgreSQL processes; load average {os.getloadavg()[0]:.1f})"
    )
    mean = statistics.mean(latencies) * 1000
    print(f"latency ms: p50 {pct(50):.0f}   p95 {pct(95):.0f}   p99 {pct(99):.0f}   mean {mean:.0f}")
    by_kind: dict[str, list] = {}
    for kind, _, seconds in results:
        by_kind.setdefault(kind, []).append(seconds * 1000)
    for kind, values in sorted(by_kind.items()):
        values.sort()
        p50, p99 = values[len(values) // 2], values[int(len(values) * 0.99)]
        print(f"  {kind:<12} {len(values):6d} requests   p50 {p50:.0f} ms   p99 {p99:.0f} ms")
    if errors:
        print("first errors:", sorted({(r[0], r[1]) for r in errors})[:10])


if __name__ == "__main__":
    main()
