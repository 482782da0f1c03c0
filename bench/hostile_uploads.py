"""Time and memory of refusing each hostile upload, at each import endpoint.

    .venv/bin/python manage.py migrate            # once, on the database the bench should use
    .venv/bin/python bench/hostile_uploads.py     # every file × every endpoint
    .venv/bin/python bench/hostile_uploads.py --files huge_row,xxe --endpoints api-orders

Each (file, endpoint) runs in a fresh Python process, so one measurement cannot inherit another's memory: the
process sets Django up, signs in a superuser made for the bench (`bench-uploads`), sends one good small upload
to load all the code, notes its resident memory, then sends the hostile file through Django's full request
handling (middleware, session, parsers, the view; what a gunicorn worker runs, without the socket). It prints
the answer's status, the time of the request and the growth of the peak resident memory (ru_maxrss) over the
memory before it. The files are made in code by tests/hostile_files.py. `--good` also times reading a good
20 000-row order workbook with the reader and with openpyxl's read-only mode (the reader used before).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
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


def child(name: str, endpoint: str) -> dict:
    """One measurement, in this (fresh) process."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from payroll.imports import ADJUSTMENTS, COLUMNS
    from tests.hostile_files import EXPECTED, HOSTILE_CSV, HOSTILE_XLSX

    user, _ = get_user_model().objects.get_or_create(
        username="bench-uploads", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    if endpoint == "form-payroll":
        sheet, header = ADJUSTMENTS, COLUMNS[ADJUSTMENTS]
    elif endpoint == "api-orders":
        sheet, header = "Sheet", ["order_number", "recipient", "address", "sku", "quantity"]
    else:
        sheet, header = "Sheet", ["sku", "location", "quantity"]
    if name in HOSTILE_CSV:
        filename, data = "hostile.csv", HOSTILE_CSV[name]()
    else:
        filename, data = "hostile.xlsx", HOSTILE_XLSX[name](sheet, header)

    def send(filename: str, data: bytes):
        upload = SimpleUploadedFile(filename, data)
        if endpoint.startswith("api-"):
            kind = endpoint.removeprefix("api-")
            return client.post("/api/inventory/imports/", {"kind": kind, "file": upload})
        if endpoint == "form-inventory":
            return client.post(reverse("inventory:import"), {"kind": "receipt", "file": upload})
        return client.post(reverse("payroll:inputs", args=["2026-03"]), {"form": "import", "file": upload})

    send("warm.csv", b"sku,location,quantity\nNOPE,NOPE,1\n")  # load every module the request needs
    before = _rss_kb()
    started = time.perf_counter()
    response = send(filename, data)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    expected = "not an Excel workbook" if (endpoint, name) == ("form-payroll", "not_a_zip") else EXPECTED[name]
    return {
        "message": "named" if expected in response.content.decode() else "MISSING",
        "file": name,
        "bytes": len(data),
        "endpoint": endpoint,
        "status": response.status_code,
        "seconds": round(elapsed, 3),
        "rss_growth_mb": round(max(0, peak - before) / 1024, 1),
    }


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
    parser.add_argument("--child", nargs=2, metavar=("FILE", "ENDPOINT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    from tests.hostile_files import HOSTILE_CSV, HOSTILE_XLSX

    names = args.files.split(",") if args.files else [*HOSTILE_XLSX, *HOSTILE_CSV]
    endpoints = args.endpoints.split(",") if args.endpoints else list(ENDPOINTS)
    print(f"{'file':22} {'size':>9} {'endpoint':15} {'status':>6} {'message':>7} {'time':>8} {'peak RSS growth':>16}")
    for name in names:
        for endpoint in endpoints:
            if endpoint == "form-payroll" and name in HOSTILE_CSV:
                continue  # payroll reads workbooks only
            done = subprocess.run(
                [sys.executable, __file__, "--child", name, endpoint], capture_output=True, text=True, check=True
            )
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{row['file']:22} {row['bytes']:>9} {row['endpoint']:15} {row['status']:>6} {row['message']:>7} "
                f"{row['seconds']:>7.3f}s {row['rss_growth_mb']:>13.1f} MB"
            )
    if args.good:
        good_file_figures()


if __name__ == "__main__":
    main()
