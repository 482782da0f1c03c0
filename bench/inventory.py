"""Warehouse bench: synthetic SKUs and movements in the configured database, then the figures that matter.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/inventory_bench .venv/bin/python bench/inventory.py \
        --movements 1000000 --skus 50000

Use a database of its own (the data stays there for a look afterwards; drop the database to clean up). Prints:
posting speed (movements/s through `post_movements`, batches all-or-nothing with row locks), the monthly 进销存
summary (seconds), its Excel export (seconds), and opening a count over every stock level (seconds).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_ops.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--movements", type=int, default=100_000, help="ledger rows to post (default 100000)")
    parser.add_argument("--skus", type=int, default=5_000, help="SKUs to create (default 5000)")
    parser.add_argument("--locations", type=int, default=50, help="bin locations (default 50)")
    parser.add_argument("--batch", type=int, default=1_000, help="movements per post_movements call (default 1000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from inventory import selectors, services
    from inventory.exports import summary_workbook
    from inventory.models import Location, Sku, Warehouse
    from inventory.services import MovementInput

    rng = random.Random(args.seed)
    run = uuid.uuid4().hex[:6]
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; run {run}")
    user, _ = get_user_model().objects.get_or_create(username="bench")
    warehouse = Warehouse.objects.create(code=f"bench-{run}", name=f"Bench {run}")
    locations = Location.objects.bulk_create(
        [Location(warehouse=warehouse, code=f"L{i:04d}") for i in range(args.locations)]
    )
    if not all(loc.pk for loc in locations):
        locations = list(Location.objects.filter(warehouse=warehouse))
    started = time.perf_counter()
    Sku.objects.bulk_create(
        [
            Sku(code=f"B{run}-{i:06d}", name=f"Bench item {i}", unit_cost=Decimal(rng.randint(100, 20000)) / 100)
            for i in range(args.skus)
        ],
        batch_size=5000,
    )
    sku_ids = list(Sku.objects.filter(code__startswith=f"B{run}-").values_list("pk", flat=True))
    print(f"catalogue: {args.skus} SKUs, {args.locations} locations in {time.perf_counter() - started:.1f}s")

    # Each SKU lives at one home location; the first pass receives stock, later passes mix shipments and receipts.
    home = {sku: locations[i % len(locations)].pk for i, sku in enumerate(sku_ids)}
    on_hand = dict.fromkeys(sku_ids, 0)
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    start, end = selectors.month_bounds(month)
    span = (end - start).total_seconds()
    posted = 0
    started = time.perf_counter()
    while posted < args.movements:
        size = min(args.batch, args.movements - posted)
        batch = []
        for _ in range(size):
            sku = rng.choice(sku_ids)
            if on_hand[sku] >= 5 and rng.random() < 0.6:
                quantity, kind = -rng.randint(1, 5), "shipment"
            else:
                quantity, kind = rng.randint(5, 50), "receipt"
            on_hand[sku] += quantity
            batch.append(MovementInput(sku, home[sku], kind, quantity, "", "BENCH"))
        when = start + datetime.timedelta(seconds=span * posted / args.movements)
        services.post_movements(movements=batch, user=user, occurred_at=when)
        posted += size
        if posted % (args.batch * 100) == 0:
            print(f"  {posted} posted, {posted / (time.perf_counter() - started):,.0f}/s", flush=True)
    elapsed = time.perf_counter() - started
    print(f"post_movements: {posted} movements in {elapsed:.1f}s = {posted / elapsed:,.0f} movements/s")

    started = time.perf_counter()
    summary = selectors.monthly_summary(month=month)
    summary_seconds = time.perf_counter() - started
    print(f"monthly summary {month:%Y-%m}: {len(summary.rows)} SKU rows in {summary_seconds:.2f}s")

    started = time.perf_counter()
    data = summary_workbook(summary)
    print(f"Excel export: {len(data) / 1e6:.1f} MB in {time.perf_counter() - started:.2f}s")

    started = time.perf_counter()
    count = services.open_stock_count(warehouse=warehouse, period=timezone.localdate(), user=user)
    print(f"open a count: {count.lines.count()} lines in {time.perf_counter() - started:.2f}s")


if __name__ == "__main__":
    main()
