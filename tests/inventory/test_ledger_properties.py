"""The ledger's invariant: after any sequence of postings, each level's on_hand is the sum of its ledger rows and
never below zero (no override used); and parallel shipments on PostgreSQL lose no update."""

import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.choices import MovementKind
from inventory.exceptions import InsufficientStock
from inventory.models import StockLevel, StockMovement
from inventory.services import MovementInput, post_movements, signed_quantity

from .factories import LocationFactory, SkuFactory

KINDS = [MovementKind.RECEIPT, MovementKind.SHIPMENT, MovementKind.RETURN, MovementKind.LOSS]
movement = st.tuples(st.integers(0, 2), st.integers(0, 1), st.sampled_from(KINDS), st.integers(1, 20))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(movement, min_size=1, max_size=4), min_size=1, max_size=8))
def test_on_hand_always_equals_the_ledger_and_is_never_negative(db, warehouse, batches):
    skus = SkuFactory.create_batch(3)
    locations = LocationFactory.create_batch(2)
    model: dict[tuple[int, int], int] = {}
    for batch in batches:
        inputs = [
            MovementInput(
                skus[s].pk,
                locations[loc].pk,
                kind,
                signed_quantity(kind=kind, quantity=q),
                "破损" if kind == MovementKind.LOSS else "",
            )
            for s, loc, kind, q in batch
        ]
        after = dict(model)
        for item in inputs:
            key = (item.sku_id, item.location_id)
            after[key] = after.get(key, 0) + item.quantity
        try:
            post_movements(movements=inputs, user=warehouse.user)
        except InsufficientStock:
            assert any(v < 0 for v in after.values()), "refused a batch that fits"
        else:
            assert all(v >= 0 for v in after.values()), "posted a batch that overdraws"
            model = after
        ledger = {
            (s, loc): total
            for s, loc, total in StockMovement.objects.filter(sku__in=skus)
            .values("sku_id", "location_id")
            .annotate(total=Sum("quantity"))
            .values_list("sku_id", "location_id", "total")
            .order_by()
        }
        levels = {(lv.sku_id, lv.location_id): lv.on_hand for lv in StockLevel.objects.filter(sku__in=skus)}
        assert all(v >= 0 for v in levels.values())
        assert {k: v for k, v in levels.items() if v or k in ledger} == ledger
        assert {k: v for k, v in levels.items() if v} == {k: v for k, v in model.items() if v}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_shipments_lose_no_update(warehouse):
    sku = SkuFactory()
    location = LocationFactory()
    post_movements(movements=[MovementInput(sku.pk, location.pk, MovementKind.RECEIPT, 100)], user=warehouse.user)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def ship():
        try:
            start.wait()
            for _ in range(3):
                try:
                    post_movements(
                        movements=[MovementInput(sku.pk, location.pk, MovementKind.SHIPMENT, -4)], user=warehouse.user
                    )
                    result = "shipped"
                except InsufficientStock:
                    result = "refused"
                with lock:
                    outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ship) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    level = StockLevel.objects.get(sku=sku, location=location)
    # 36 attempts of 4 units on 100: exactly 25 fit, 11 are refused, nothing is lost or double-counted.
    assert outcomes.count("shipped") == 25 and outcomes.count("refused") == 11
    assert level.on_hand == 0
    assert StockMovement.objects.filter(sku=sku).aggregate(t=Sum("quantity"))["t"] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_count_opened_while_shipments_run_finds_no_false_difference(warehouse, wh_supervisor):
    """Shipments keep posting while the count's snapshot is taken: each one lands either in the snapshot or in the
    movements after it, so counters who find exactly what is on the shelf get no difference and closing posts
    no correction."""
    from inventory import services
    from inventory.models import StockCount

    from .factories import WarehouseFactory

    store = WarehouseFactory(code="par", name="并发仓")
    bins = [LocationFactory(warehouse=store, code=f"P-{i:02d}") for i in range(4)]
    skus = SkuFactory.create_batch(5)
    post_movements(
        movements=[MovementInput(s.pk, b.pk, MovementKind.RECEIPT, 50) for s in skus for b in bins],
        user=warehouse.user,
    )
    start = threading.Barrier(5)
    errors: list[Exception] = []

    def ship(offset: int):
        try:
            start.wait()
            for n in range(15):
                sku, location = skus[(offset + n) % len(skus)], bins[n % len(bins)]
                post_movements(
                    movements=[MovementInput(sku.pk, location.pk, MovementKind.SHIPMENT, -1)], user=warehouse.user
                )
        except Exception as exc:  # collected: an assertion in a thread would pass silently
            errors.append(exc)
        finally:
            connections.close_all()

    def open_count():
        try:
            start.wait()
            services.open_stock_count(warehouse=store, period=bins[0].levels.first().updated_at.date())
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ship, args=(i,)) for i in range(4)] + [threading.Thread(target=open_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    count = StockCount.objects.get(warehouse=store)
    on_shelf = {(lv.sku_id, lv.location_id): lv.on_hand for lv in StockLevel.objects.filter(location__in=bins)}
    assert sum(on_shelf.values()) == 20 * 50 - 4 * 15
    for line in count.lines.all():
        services.record_count(
            line=line, counted_quantity=on_shelf[(line.sku_id, line.location_id)], user=warehouse.user
        )
        assert line.difference == 0, (line.snapshot_quantity, line.movements_since_snapshot, line.counted_quantity)
    services.close_stock_count(count=count, user=wh_supervisor.user)
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION).exists()
    for (sku_id, location_id), on_hand in on_shelf.items():
        total = StockMovement.objects.filter(sku_id=sku_id, location_id=location_id).aggregate(t=Sum("quantity"))["t"]
        assert total == on_hand
