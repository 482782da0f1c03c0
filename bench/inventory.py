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
    parser.add_argument(
        "--reuse", metavar="RUN", help="measure summary, export and count again on an earlier run's data (no posting)"
    )
    parser.add_argument("--name", metavar="RUN", help="name this run (warehouse bench-RUN) instead of a random name")
    parser.add_argument(
        "--reuse-if-present", action="store_true", help="with --name: reuse that run's data when it is there already"
    )
    parser.add_argument(
        "--discard",
        action="store_true",
        help="time posting only, inside one transaction that is rolled back (the database is left as it was)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from inventory import services
    from inventory.models import Warehouse

    rng = random.Random(args.seed)
    run = args.reuse or args.name or uuid.uuid4().hex[:6]
    if args.name and args.reuse_if_present and Warehouse.objects.filter(code=f"bench-{run}").exists():
        args.reuse = run
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; run {run}")
    # A superuser: closing a count is the warehouse supervisor's or a manager's (inventory/permissions.py).
    user, _ = get_user_model().objects.update_or_create(username="bench", defaults={"is_superuser": True})
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    if args.discard:
        from django.db import transaction

        with transaction.atomic():
            post(
                args, run=f"d{uuid.uuid4().hex[:6]}", rng=rng, month=month, user=user, label="discarded post_movements"
            )
            transaction.set_rollback(True)
        return
    if args.reuse:
        warehouse = Warehouse.objects.get(code=f"bench-{run}")
        for count in warehouse.counts.filter(status="open"):
            services.cancel_stock_count(count=count, user=user)
        measure(month=month, warehouse=warehouse, user=user)
        return
    warehouse = post(args, run=run, rng=rng, month=month, user=user, label="post_movements")
    measure(month=month, warehouse=warehouse, user=user)


def post(args, *, run: str, rng: random.Random, month: datetime.date, user, label: str):
    """A warehouse bench-RUN with its catalogue, then `args.movements` movements posted over the month."""
    from inventory import selectors, services
    from inventory.models import Location, Sku, Warehouse
    from inventory.services import MovementInput

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
    print(f"{label}: {posted} movements in {elapsed:.1f}s = {posted / elapsed:,.0f} movements/s")
    return warehouse


def measure(*, month, warehouse, user) -> None:
    from django.db import connection
    from django.db.models import F
    from django.db.models.functions import Mod
    from django.utils import timezone

    from inventory import selectors, services
    from inventory.exports import summary_workbook
    from inventory.models import PurchaseRequest, Sku, StockCount, StockCountLine, StockLevel, StockMovement

    if connection.vendor == "postgresql":
        # What autovacuum does on a live server (the development server runs without it): statistics for the planner.
        with connection.cursor() as cursor:
            for model in (StockMovement, StockLevel, Sku, PurchaseRequest):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    started = time.perf_counter()
    summary = selectors.monthly_summary(month=month)
    summary_seconds = time.perf_counter() - started
    print(f"monthly summary {month:%Y-%m}: {len(summary.rows)} SKU rows in {summary_seconds:.2f}s")

    started = time.perf_counter()
    data = summary_workbook(summary)
    print(f"Excel export: {len(data) / 1e6:.1f} MB in {time.perf_counter() - started:.2f}s")

    # Each run counts this month. The bench's earlier counts (its own data) are moved to distant years first, one
    # year each by id, so the rules (one count a month, none before the last closed, none in the future) let it
    # count again; their corrections stay in the ledger.
    for earlier in warehouse.counts.only("pk"):
        StockCount.objects.filter(pk=earlier.pk).update(period=datetime.date(1 + earlier.pk % 9000, 1, 1))
    period = timezone.localdate().replace(day=1)
    started = time.perf_counter()
    count = services.open_stock_count(warehouse=warehouse, period=period, user=user)
    print(f"open a count: {count.lines.count()} lines in {time.perf_counter() - started:.2f}s")

    # Everything found as the system says, but one line in a hundred one piece short: 1% corrections and a loss
    # report. The close runs as the Celery job would (tasks run in-process when no broker is configured).
    lines = StockCountLine.objects.filter(count=count)
    lines.update(counted_quantity=F("snapshot_quantity"), counted_at=timezone.now(), counted_by=user)
    lines.annotate(hundredth=Mod("id", 100)).filter(hundredth=0, snapshot_quantity__gt=0).update(
        counted_quantity=F("snapshot_quantity") - 1
    )
    started = time.perf_counter()
    services.close_stock_count(count=count, user=user)
    count = StockCount.objects.get(pk=count.pk)
    assert count.status == "closed", count.status
    print(f"close the count: {count.lines.count()} lines in {time.perf_counter() - started:.2f}s")

    # The morning purchase-request check, with a warning level on every SKU of the warehouse (set once).
    skus = Sku.objects.filter(levels__location__warehouse=warehouse).distinct()
    if not skus.filter(warning_level__gt=0).exists():
        Sku.objects.filter(pk__in=skus.values("pk")).annotate(spread=Mod("id", 40)).update(warning_level=F("spread"))
    started = time.perf_counter()
    check = services.raise_purchase_requests()
    print(
        f"purchase requests: {len(check.raised)} raised, {check.updated} updated, {len(check.to_delist)} to delist "
        f"in {time.perf_counter() - started:.2f}s"
    )


if __name__ == "__main__":
    main()
