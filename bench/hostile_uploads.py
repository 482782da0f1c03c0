"""Time and memory of refusing each hostile upload, at each import endpoint.

    .venv/bin/python manage.py migrate            # once, on the database the bench should use
    .venv/bin/python bench/hostile_uploads.py     # every file × every endpoint
    .venv/bin/python bench/hostile_uploads.py --files huge_row,xxe --endpoints api-orders

The process sets Django up, signs in a superuser made for the bench (`bench-uploads`) and sends one small upload to each
endpoint to load all the code; then each (file, endpoint) runs in a forked child, so one measurement cannot inherit
another's memory. The child sends the hostile file through Django's full request handling (middleware, session, parsers,
the view; what a gunicorn worker runs, without the socket) and reports the answer's status, whether it names the
expected limit, the time of the request (wall clock and CPU of the process) and the growth of its peak resident memory
(ru_maxrss) over its memory before the request. The files are made in code by tests/hostile_files.py. `--good` also
times reading a good 20 000-row order workbook with the reader and with openpyxl's read-only mode (the reader used
before).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_ops.settings")

ENDPOINTS = ("api-receipt", "api-orders", "form-inventory", "form-payroll")


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-uploads", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _send(client, endpoint: str, filename: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    upload = SimpleUploadedFile(filename, data)
    if endpoint.startswith("api-"):
        return client.post("/api/inventory/imports/", {"kind": endpoint.removeprefix("api-"), "file": upload})
    if endpoint == "form-inventory":
        return client.post(reverse("inventory:import"), {"kind": "receipt", "file": upload})
    return client.post(reverse("payroll:inputs", args=["2026-03"]), {"form": "import", "file": upload})


def _hostile_file(name: str, endpoint: str) -> tuple[str, bytes]:
    from payroll.imports import ADJUSTMENTS, COLUMNS
    from tests.hostile_files import HOSTILE_CSV, HOSTILE_XLSX

    if name in HOSTILE_CSV:
        return "hostile.csv", HOSTILE_CSV[name]()
    if endpoint == "form-payroll":
        return "hostile.xlsx", HOSTILE_XLSX[name](ADJUSTMENTS, COLUMNS[ADJUSTMENTS])
    if endpoint == "api-orders":
        return "hostile.xlsx", HOSTILE_XLSX[name]("Sheet", ["order_number", "recipient", "address", "sku", "quantity"])
    return "hostile.xlsx", HOSTILE_XLSX[name]("Sheet", ["sku", "location", "quantity"])


def measure(client, name: str, endpoint: str) -> dict:
    """One measurement in a forked child of the warmed-up process: its peak resident memory starts at the parent's
    memory at the fork, so no measurement inherits another's peak."""
    from django.db import connections

    from tests.hostile_files import EXPECTED

    filename, data = _hostile_file(name, endpoint)
    connections.close_all()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        before = _rss_kb()
        started, cpu = time.perf_counter(), time.process_time()
        response = _send(client, endpoint, filename, data)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        expected = "not an Excel workbook" if (endpoint, name) == ("form-payroll", "not_a_zip") else EXPECTED[name]
        result = {
            "message": "named" if expected in response.content.decode() else "MISSING",
            "file": name,
            "bytes": len(data),
            "endpoint": endpoint,
            "status": response.status_code,
            "seconds": round(elapsed, 3),
            "cpu_seconds": round(cpu, 3),
            "rss_growth_mb": round(max(0, peak - before) / 1024, 1),
        }
        os.write(write_end, json.dumps(result).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(answer)


def good_file_figures() -> None:
    import io

    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook, load_workbook

    from shop_ops.uploads import read_upload

    book = Workbook()
    sheet = book.active
    sheet.append(["订单号", "收件人", "电话", "收货地址", "快递公司", "商品编码", "数量"])
    for i in range(20_000):
        sheet.append(
            [f"TB{i}", f"张三{i}", "13800000000", f"浙江省杭州市西湖区文三路{i}号", "中通", "TS001-WHT-M", i % 7 + 1]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    raw = buffer.getvalue()
    for round_ in (1, 2):
        started = time.perf_counter()
        rows = read_upload(SimpleUploadedFile("orders.xlsx", raw))[0].rows
        reader = time.perf_counter() - started
        started = time.perf_counter()
        old = list(
            load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0].iter_rows(values_only=True)
        )
        before = time.perf_counter() - started
        assert len(rows) == len(old) == 20_001
        print(
            f"good 20 000-row order workbook ({len(raw) // 1024} KB), round {round_}: reader {reader:.2f} s, "
            f"openpyxl read-only (before) {before:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", help="comma-separated names from tests/hostile_files.py (default: all)")
    parser.add_argument("--endpoints", help=f"comma-separated, of {', '.join(ENDPOINTS)} (default: all)")
    parser.add_argument("--good", action="store_true", help="also time a good 20 000-row workbook")
    parser.add_argument("--summary", action="store_true", help="end with the totals over every file and endpoint")
    args = parser.parse_args()
    import django

    django.setup()
    from tests.hostile_files import HOSTILE_CSV, HOSTILE_XLSX

    names = args.files.split(",") if args.files else [*HOSTILE_XLSX, *HOSTILE_CSV]
    endpoints = args.endpoints.split(",") if args.endpoints else list(ENDPOINTS)
    client = _client()
    for endpoint in endpoints:  # load every module each request needs before the first fork
        _send(client, endpoint, "warm.csv", b"sku,location,quantity\nNOPE,NOPE,1\n")
    print(
        f"{'file':22} {'size':>9} {'endpoint':15} {'status':>6} {'message':>7} {'time':>8} {'CPU':>8} "
        f"{'peak RSS growth':>16}"
    )
    rows = []
    for name in names:
        for endpoint in endpoints:
            if endpoint == "form-payroll" and name in HOSTILE_CSV:
                continue  # payroll reads workbooks only
            row = measure(client, name, endpoint)
            rows.append(row)
            print(
                f"{row['file']:22} {row['bytes']:>9} {row['endpoint']:15} {row['status']:>6} {row['message']:>7} "
                f"{row['seconds']:>7.3f}s {row['cpu_seconds']:>7.3f}s {row['rss_growth_mb']:>13.1f} MB",
                flush=True,
            )
    if args.summary and rows:
        print(
            f"all refusals: {sum(r['seconds'] for r in rows):.2f} s wall, {sum(r['cpu_seconds'] for r in rows):.2f} s "
            f"CPU over {len(rows)} requests; largest peak RSS growth {max(r['rss_growth_mb'] for r in rows):.1f} MB"
        )
    if args.good:
        good_file_figures()


if __name__ == "__main__":
    main()
