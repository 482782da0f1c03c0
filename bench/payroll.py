"""Benchmark of the monthly payroll run and its Excel export. Prints figures; use a database of its own.

    createdb -h 127.0.0.1 -U postgres payroll_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/payroll_bench .venv/bin/python bench/payroll.py --employees 10000

The database is migrated and given the demo data (the seeds' salary structures, insurance policy, two months of
sales); synthetic employees are added on the demo roles up to --employees (kept between runs, so growing the number
only adds people). Each run deletes the bench month's unapproved run, then times: computing and storing every
payslip (in the run's batches, counting queries per batch), and the export of the workbook (in a child process
spawned afresh like a worker, whose peak memory and CPU time are its own). --export-only exports the month's existing
run again; --verify then checks the file: every XML part well-formed (lxml), reopened by openpyxl in read-only mode,
the bank sheet adding up to the payslips' net pay.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_ops.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from payroll import selectors, services  # noqa: E402
from payroll.demo import demo_months  # noqa: E402
from payroll.exports import export_run  # noqa: E402
from payroll.models import PayProfile, PayrollRun, Payslip, PayslipLine  # noqa: E402
from roles.models import Employee, Role  # noqa: E402


def build(employees: int) -> None:
    """Synthetic employees on the demo roles (so the demo structures pay them), each with a pay profile."""
    have = Employee.objects.count()
    if have >= employees:
        return
    roles = list(Role.objects.order_by("pk"))
    rng = random.Random(7)
    User = get_user_model()
    chunk = 5000
    for start in range(have, employees, chunk):
        stop = min(start + chunk, employees)
        users = User.objects.bulk_create([User(username=f"bench{i}", password="!") for i in range(start, stop)])
        people = Employee.objects.bulk_create(
            [
                Employee(
                    user=user,
                    employee_number=f"B{i:07d}",
                    full_name=f"压测员工{i}",
                    role=roles[i % len(roles)],
                    hire_date=datetime.date(2020 + i % 6, 1 + i % 12, 1),
                    bank_account=f"62220{rng.randrange(10**13, 10**14)}",
                )
                for i, user in zip(range(start, stop), users, strict=True)
            ]
        )
        PayProfile.objects.bulk_create(
            [
                PayProfile(
                    employee=person,
                    base_salary=max(
                        person.role.pay_grade_min, min(person.role.pay_grade_max, Decimal(rng.randrange(2500, 20000)))
                    ),
                    special_additional_deduction=Decimal(rng.choice([0, 0, 1000, 2000, 3000])),
                )
                for person in people
            ]
        )
    print(f"built {employees - have} synthetic employees ({employees} in all)")


def _export_child(run_id: int, path: str, results) -> None:
    """The export in a fresh process, as a worker runs it: its peak memory is the export's own, not the bench's."""
    started, cpu = time.perf_counter(), os.times()
    export_run(run=PayrollRun.objects.get(pk=run_id), path=path)
    elapsed = time.perf_counter() - started
    after = os.times()
    cpu_seconds = after.user - cpu.user + after.system - cpu.system
    results.send((elapsed, cpu_seconds, _peak_mb()))


def _peak_mb() -> float:
    """Peak resident memory of this process: VmHWM (getrusage's maxrss keeps the forking parent's peak across
    exec, so it would report the bench's memory)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_in_child(run: PayrollRun, path: str) -> tuple[float, float, float]:
    """Export in a spawned process (not forked: a fork would count the bench's own memory, such as the demo load,
    in the child's peak): (seconds, CPU seconds user+sys, peak resident MB) of that process."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_export_child, args=(run.pk, path, send))
    child.start()
    child.join()
    if child.exitcode != 0 or not receive.poll():
        raise SystemExit(f"the export child failed (exit code {child.exitcode})")
    return receive.recv()


def verify(run: PayrollRun, path: str) -> None:
    """The file as a reader sees it: well-formed XML parts, openpyxl's read-only mode, the bank sheet's total."""
    import zipfile

    import openpyxl
    from lxml import etree

    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                with package.open(name) as part:
                    for _event, element in etree.iterparse(part, huge_tree=True):
                        element.clear()
    workbook = openpyxl.load_workbook(path, read_only=True)
    bank = workbook["银行转账 Bank transfer"]
    rows = list(bank.iter_rows(min_row=2, values_only=True))
    paid = sum(Decimal(str(row[4])) for row in rows[:-1])
    expected = sum(Payslip.objects.filter(run=run).values_list("net_pay", flat=True), Decimal(0))
    if paid != expected or not str(rows[-1][4]).startswith("=SUM("):
        raise SystemExit(f"the bank sheet adds up to {paid}, the payslips to {expected}")
    print(f"  verified: XML well-formed, reopened by openpyxl, bank transfer total {paid:,.2f} = net pay")


def backend_cpu_seconds() -> float | None:
    """CPU time (user + sys) of this connection's PostgreSQL backend, when the server runs on this machine and its
    /proc entry is readable; None otherwise."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--employees", type=int, default=10_000, help="employees to pay (default 10,000)")
    parser.add_argument("--batch-size", type=int, default=services.BATCH_SIZE, help="employees per batch")
    parser.add_argument("--skip-export", "--no-export", action="store_true", help="time the run only")
    parser.add_argument("--export-only", action="store_true", help="export the month's existing run again")
    parser.add_argument("--verify", action="store_true", help="check the exported file (slow for big runs)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("note: not PostgreSQL; the figures will not be comparable with the targets")

    call_command("migrate", verbosity=0)
    call_command("load_demo", password="bench-pass-123", quiet_logins=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    build(args.employees)
    _first, month = demo_months()
    run = PayrollRun.objects.filter(month=month).first()
    if args.export_only:
        if run is None or not run.payslips.exists():
            raise SystemExit(f"no computed run of {month:%Y-%m} to export: run the bench without --export-only")
        export(run, month, verify_file=args.verify)
        return
    if run is not None:
        if run.is_locked:
            raise SystemExit(f"the bench month {month:%Y-%m} is approved in this database; use a fresh one")
        PayslipLine.objects.filter(payslip__run=run).delete()
        Payslip.objects.filter(run=run).delete()
        run.delete()
    people = Employee.objects.count()
    print(f"payroll bench: {people} employees, month {month:%Y-%m}, batch {args.batch_size}, {connection.vendor}")

    run = services.start_run(month=month, user=None, queue=False)
    reset_queries()  # the set-up's queries would fill the (bounded) debug query log
    backend_started = backend_cpu_seconds()
    with CaptureQueriesContext(connection) as queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        outcome = services.compute_run(run_id=run.pk, attempt=run.attempt, batch_size=args.batch_size)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    backend_finished = backend_cpu_seconds()
    run.refresh_from_db()
    if outcome != "ready":
        raise SystemExit(f"run ended {outcome}: {run.error_message}")
    batches = -(-people // args.batch_size)
    lines = PayslipLine.objects.filter(payslip__run=run).count()
    per_batch = len(queries) / batches
    rate = run.done / elapsed
    print(f"  computed and stored {run.done} payslips ({lines} lines) in {elapsed:.2f} s: {rate:,.0f} payslips/s")
    print(f"  CPU time (user + sys) of this process: {cpu:.2f} s", end="")
    if backend_started is not None and backend_finished is not None:
        print(f", of its PostgreSQL backend: {backend_finished - backend_started:.2f} s")
    else:
        print()
    print(f"  load average at the end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    print(f"  queries: {len(queries)} in all, {per_batch:.1f} per batch of {args.batch_size} (constant: see the tests)")

    # What approval and the run page add: reading the month's inputs again and comparing their fingerprint.
    started, cpu_started = time.perf_counter(), time.process_time()
    changes = selectors.run_input_changes(run=run)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"  input check (approval, run page): {elapsed:.2f} s, CPU {cpu:.2f} s, unchanged: {not changes}")

    if not args.skip_export:
        export(run, month, verify_file=args.verify)


def export(run: PayrollRun, month: datetime.date, *, verify_file: bool) -> None:
    path = f"/tmp/payroll-bench-{month:%Y-%m}.xlsx"
    people = run.payslips.count()
    seconds, cpu_seconds, peak = export_in_child(run, path)
    size = os.path.getsize(path) / 1024 / 1024
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"  export of {people} payslips: {seconds:.2f} s ({cpu_seconds:.2f} s CPU), peak memory of the exporting "
        f"process {peak:.0f} MB, file {size:.1f} MB; load average {load}"
    )
    if verify_file:
        verify(run, path)


if __name__ == "__main__":
    main()
