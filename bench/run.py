"""Every bench in bench/ at the scale the README quotes, each figure beside its recorded baseline (`make bench`).

    .venv/bin/python bench/run.py              # measure and compare with bench/baseline.json
    .venv/bin/python bench/run.py --record     # measure and write bench/baseline.json (`make bench-record`)
    .venv/bin/python bench/run.py --only checklists,payroll

Each bench runs in its own process against its own PostgreSQL database on BENCH_DATABASE_URL's server (default
postgres://postgres@127.0.0.1:5432; the databases bench_checklists, bench_payroll, bench_inventory, bench_load and
bench_uploads are made when missing, never the test database). The first run builds the synthetic data (1,000,000
ledger rows take a few minutes); later runs reuse it, so the whole run stays within a few minutes.

A figure more than 1.3x worse than its record (slower, or fewer per second) is listed at the end under
REGRESSIONS and the exit status is 1. Times below a noise floor (see `Figure.floor`) are compared only when the
difference is larger than the floor. The load average is printed with each bench: on a busy machine every wall
time grows, so compare CPU figures too and rerun at a quiet moment before believing a regression.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "baseline.json"
THRESHOLD = 1.3
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")


@dataclass
class Figure:
    key: str
    label: str
    pattern: str
    unit: str  # "s", "ms", "/s" (higher is better) or "MB"
    scale: float = 1.0  # multiplies the matched number (ms printed, s recorded...)
    floor: float = 0.0  # differences smaller than this (in the unit) are noise, never a regression
    group: int = 1

    @property
    def higher_is_better(self) -> bool:
        return self.unit == "/s"


@dataclass
class Bench:
    name: str
    database: str
    commands: list[list[str]]
    figures: list[Figure]
    env: dict[str, str] = field(default_factory=dict)
    failure: str | None = None  # a pattern in the output that means the bench went wrong (errors in the answers)


def _inventory_commands() -> list[list[str]]:
    # The 1,000,000-movement ledger is built once (the warehouse "bench-main"); later runs measure the summary,
    # its export and a count on it again, and time posting on 100,000 movements in a transaction rolled back.
    return [
        ["manage.py", "migrate", "--noinput", "--verbosity", "0"],
        ["bench/inventory.py", "--movements", "1000000", "--skus", "50000", "--name", "main", "--reuse-if-present"],
        ["bench/inventory.py", "--movements", "100000", "--skus", "5000", "--discard"],
    ]


BENCHES = [
    Bench(
        name="checklists",
        database="bench_checklists",
        env={"ALLOWED_HOSTS": "testserver"},
        commands=[["bench/checklists.py", "--employees", "10000", "--duties-per-role", "20"]],
        figures=[
            Figure(
                "checklists.generate",
                "one day's generation, 200,000 items",
                r"generate one day .*?best\s+([\d.]+) ms",
                "s",
                0.001,
                floor=0.5,
            ),
            Figure(
                "checklists.rerun",
                "the same day again (idempotent)",
                r"same day again .*?best\s+([\d.]+) ms",
                "s",
                0.001,
                floor=0.3,
            ),
            Figure(
                "checklists.generate_db_cpu",
                "  CPU of PostgreSQL, all its processes (generation)",
                r"generate one day [\s\S]*?CPU of PostgreSQL ([\d.]+) s",
                "s",
                floor=0.5,
            ),
            Figure(
                "checklists.rerun_db_cpu",
                "  CPU of PostgreSQL, all its processes (rerun)",
                r"same day again [\s\S]*?CPU of PostgreSQL ([\d.]+) s",
                "s",
                floor=0.3,
            ),
            Figure(
                "checklists.dashboard_today",
                "dashboard today",
                r"dashboard, today .*?best\s+([\d.]+) ms",
                "ms",
                floor=20,
            ),
            Figure(
                "checklists.dashboard_month",
                "dashboard this month",
                r"dashboard, this month  .*?best\s+([\d.]+) ms",
                "ms",
                floor=20,
            ),
            Figure(
                "checklists.dashboard_page",
                "dashboard this month, page 100",
                r"page 100 of people .*?best\s+([\d.]+) ms",
                "ms",
                floor=20,
            ),
            Figure(
                "checklists.my_checklist",
                "My checklist (20 items)",
                r"My checklist .*?best\s+([\d.]+) ms",
                "ms",
                floor=5,
            ),
        ],
    ),
    Bench(
        name="payroll",
        database="bench_payroll",
        commands=[["bench/payroll.py", "--employees", "10000"]],
        figures=[
            Figure(
                "payroll.compute",
                "run of 10,000 payslips: compute and store",
                r"computed and stored .*? in ([\d.]+) s",
                "s",
                floor=0.3,
            ),
            Figure(
                "payroll.compute_cpu", "  CPU of the bench process", r"CPU time .*?process: ([\d.]+) s", "s", floor=0.3
            ),
            Figure(
                "payroll.compute_db_cpu",
                "  CPU of its PostgreSQL backend (payroll run)",
                r"PostgreSQL backend: ([\d.]+) s",
                "s",
                floor=0.3,
            ),
            Figure(
                "payroll.input_check",
                "input check (approval, run page)",
                r"input check .*?: ([\d.]+) s",
                "s",
                floor=0.3,
            ),
            Figure(
                "payroll.export",
                "Excel export of 10,000 payslips",
                r"export of \d+ payslips: ([\d.]+) s",
                "s",
                floor=0.3,
            ),
            Figure(
                "payroll.export_cpu",
                "  CPU of the exporting process",
                r"export of \d+ payslips: [\d.]+ s \(([\d.]+) s CPU",
                "s",
                floor=0.3,
            ),
            Figure(
                "payroll.export_memory",
                "  peak memory of the exporting process",
                r"exporting process (\d+) MB",
                "MB",
                floor=10,
            ),
        ],
    ),
    Bench(
        name="inventory",
        database="bench_inventory",
        commands=_inventory_commands(),
        figures=[
            Figure(
                "inventory.post",
                "post_movements (100,000 on top of the 1,000,000)",
                r"discarded post_movements: .*?= ([\d,]+) movements/s",
                "/s",
            ),
            Figure(
                "inventory.summary",
                "monthly 进销存 summary, 1,000,000 movements",
                r"monthly summary .*? in ([\d.]+)s",
                "s",
                floor=0.3,
            ),
            Figure(
                "inventory.export", "its Excel export, 50,000 rows", r"Excel export: .*? in ([\d.]+)s", "s", floor=0.5
            ),
            Figure(
                "inventory.open_count", "open a count, 50,000 lines", r"open a count: .*? in ([\d.]+)s", "s", floor=0.3
            ),
            Figure(
                "inventory.close_count",
                "close that count (500 differences)",
                r"close the count: .*? in ([\d.]+)s",
                "s",
                floor=0.3,
            ),
            Figure(
                "inventory.purchase_requests",
                "morning purchase-request check, 50,000 SKUs",
                r"purchase requests: .*? in ([\d.]+)s",
                "s",
                floor=0.3,
            ),
        ],
    ),
    Bench(
        name="load",
        database="bench_load",
        commands=[["bench/load.py", "--users", "50", "--seconds", "30", "--workers", "2"]],
        failure=r"errors [1-9]\d*",
        figures=[
            Figure("load.rps", "requests per second (50 users, 2 workers, 30 s)", r"([\d.]+) req/s", "/s"),
            Figure("load.p50", "latency p50", r"latency ms: p50 (\d+)", "ms", floor=20),
            Figure("load.p95", "latency p95", r"latency ms: .*?p95 (\d+)", "ms", floor=20),
            Figure("load.p99", "latency p99", r"latency ms: .*?p99 (\d+)", "ms", floor=20),
            Figure("load.web_cpu", "CPU ms per request, web", r"CPU ms per request: web ([\d.]+)", "ms", floor=0.5),
            Figure("load.db_cpu", "CPU ms per request, PostgreSQL", r"PostgreSQL ([\d.]+)", "ms", floor=0.3),
        ],
    ),
    Bench(
        name="uploads",
        database="bench_uploads",  # its own: the load test's database holds numbers encrypted with its own keys
        commands=[
            ["manage.py", "migrate", "--noinput", "--verbosity", "0"],
            ["bench/hostile_uploads.py", "--good", "--summary"],
        ],
        figures=[
            Figure(
                "uploads.wall",
                "refusing every hostile upload at 4 endpoints, total",
                r"all refusals: ([\d.]+) s wall",
                "s",
                floor=1.0,
            ),
            Figure("uploads.cpu", "  CPU of those requests, total", r"all refusals: .*?([\d.]+) s CPU", "s", floor=0.5),
            Figure(
                "uploads.rss",
                "  largest peak RSS growth of one refusal",
                r"largest peak RSS growth ([\d.]+) MB",
                "MB",
                floor=10,
            ),
            Figure(
                "uploads.good",
                "reading a good 20,000-row order workbook",
                r"round 2: reader ([\d.]+) s",
                "s",
                floor=0.3,
            ),
        ],
    ),
]


class BenchFailed(Exception):
    """A bench stopped or printed no figure: said at the end, the other benches still run."""


def ensure_database(name: str) -> str:
    if name == "test" or name.startswith("test_"):
        raise SystemExit(f"refusing to bench on {name}: that is the tests' database")
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
    return f"{SERVER}/{name}"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run_bench(bench: Bench) -> tuple[dict[str, float], str, float]:
    env = {**os.environ, "DATABASE_URL": ensure_database(bench.database), **bench.env}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # No broker: the jobs a bench starts (closing a big count) run in the bench's own process, as a worker would.
    env.pop("CELERY_BROKER_URL", None)
    output = []
    started = time.perf_counter()
    for command in bench.commands:
        done = subprocess.run(
            [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        output.append(done.stdout)
        if done.returncode:
            sys.stdout.write(done.stdout[-4000:] + done.stderr[-4000:])
            raise BenchFailed(f"{bench.name}: {' '.join(command)} failed with status {done.returncode}")
    text = "\n".join(output)
    if bench.failure and (wrong := re.search(bench.failure, text)):
        raise BenchFailed(f"{bench.name}: {wrong.group(0)}")
    figures = {}
    for figure in bench.figures:
        match = re.search(figure.pattern, text)
        if match is None:
            sys.stdout.write(text[-4000:])
            raise BenchFailed(f"{bench.name}: no figure {figure.key!r} in the output (pattern {figure.pattern!r})")
        figures[figure.key] = float(match.group(figure.group).replace(",", "")) * figure.scale
    return figures, text, time.perf_counter() - started


def worse_by(figure: Figure, value: float, recorded: float) -> float:
    """How many times worse than the record (>1 is worse); 1.0 when the difference is within the noise floor."""
    if abs(value - recorded) <= figure.floor:
        return 1.0
    if figure.higher_is_better:
        return recorded / value if value > 0 else float("inf")
    return value / recorded if recorded > 0 else float("inf")


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.2f} s"


MACHINE_LOOP = "s = 0\nfor i in range(20_000_000):\n    s += i\n"


def machine_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop (best of three, each in a fresh interpreter): how fast this machine
    is today. Virtual machines differ from day to day (the same code measured 1.8x more CPU on a slower day), so
    the figure is printed beside the record's and a big difference is said before any regression is believed."""
    best = float("inf")
    for _ in range(3):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import time\nt = time.process_time()\n{MACHINE_LOOP}print(time.process_time() - t)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        best = min(best, float(out.stdout.strip()))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="write the figures to bench/baseline.json")
    parser.add_argument("--only", help=f"comma-separated, of {', '.join(b.name for b in BENCHES)}")
    parser.add_argument("--verbose", action="store_true", help="print each bench's own output too")
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only.split(",")]
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {"figures": {}}
    recorded = baseline.get("figures", {})
    print(
        f"make bench: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} cores, load average "
        f"{load_average()}; baseline {baseline.get('recorded', 'none')} (load {baseline.get('load', '?')})"
    )
    machine, machine_before = machine_seconds(), baseline.get("machine_loop")
    machine_ratio = machine / machine_before if machine_before else None
    print(
        f"machine: 20,000,000-step Python loop {machine:.2f} s CPU"
        + (f", recorded {machine_before:.2f} s ({machine_ratio:.2f}x)" if machine_ratio else "")
    )
    if machine_ratio and not (1 / THRESHOLD <= machine_ratio <= THRESHOLD):
        print(
            f"!!! this machine runs Python {machine_ratio:.2f}x as slow as when the record was made: every figure "
            "moves with it; judge the ratios against this one, or record again on purpose"
        )
    print(f"{'figure':<56} {'now':>12} {'recorded':>12} {'ratio':>7}")
    measured: dict[str, float] = {}
    regressions = []
    total_started = time.perf_counter()
    loads = []
    failed = []
    for bench in chosen:
        try:
            figures, text, seconds = run_bench(bench)
        except BenchFailed as error:
            print(f"-- {bench.name}: FAILED: {error}")
            failed.append(str(error))
            continue
        loads.append(os.getloadavg()[0])
        if args.verbose:
            print(text)
        print(f"-- {bench.name} ({seconds:.0f} s, load average {load_average()})")
        for figure in bench.figures:
            value, before = figures[figure.key], recorded.get(figure.key)
            measured[figure.key] = value
            ratio = "" if before is None else f"{value / before:.2f}x" if before else ""
            flag = ""
            if before is not None and worse_by(figure, value, before) > THRESHOLD:
                flag = "  <-- SLOWER"
                regressions.append((figure, value, before))
            print(f"{figure.label:<56} {fmt(value, figure.unit):>12} {fmt(before, figure.unit):>12} {ratio:>7}{flag}")
    print(f"total {time.perf_counter() - total_started:.0f} s, load average {load_average()}")
    if args.record:
        figures = {**recorded, **measured}
        BASELINE.write_text(
            json.dumps(
                {
                    "recorded": f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
                    "load": f"{min(loads):.1f}–{max(loads):.1f}" if loads else "?",
                    "machine_loop": round(machine, 2),
                    "figures": figures,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
        print(f"recorded {len(measured)} figures in {BASELINE.relative_to(ROOT)}")
    for error in failed:
        print(f"!!! FAILED: {error}")
    if failed and not regressions:
        sys.exit(1)
    if regressions:
        print()
        print(f"!!! REGRESSIONS: {len(regressions)} figure(s) more than {THRESHOLD}x worse than recorded !!!")
        for figure, value, before in regressions:
            print(f"!!!   {figure.label.strip()}: {fmt(value, figure.unit)} against {fmt(before, figure.unit)}")
        if not args.record:
            sys.exit(1)
    else:
        print(f"no figure more than {THRESHOLD}x worse than recorded")


if __name__ == "__main__":
    main()
