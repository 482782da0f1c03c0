import datetime
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.test import override_settings

from inventory import services, tasks
from inventory.choices import CountStatus, JobStatus, LossReportStatus, MovementKind, OrderStatus, PurchaseRequestStatus
from inventory.exceptions import InsufficientStock, InvalidTransition, InventoryConflict, InventoryError
from inventory.models import InventoryJob, LossReport, PurchaseRequest, StockLevel, StockMovement
from inventory.services import MovementInput, post_movements

from .conftest import on_hand
from .factories import LocationFactory, SkuFactory, WarehouseFactory

R, S = MovementKind.RECEIPT, MovementKind.SHIPMENT


class TestPostMovements:
    def test_receipt_and_shipment_keep_level_and_ledger_together(self, tshirt, bin_a, stock, warehouse):
        stock(tshirt, bin_a, R, 10)
        movement = stock(tshirt, bin_a, S, -4)
        assert on_hand(tshirt, bin_a) == 6
        assert movement.value == Decimal("-102.00") and movement.unit_cost == Decimal("25.50")
        assert movement.created_by == warehouse.user
        assert StockMovement.objects.aggregate(t=Sum("quantity"))["t"] == 6

    def test_a_batch_is_all_or_nothing(self, tshirt, bin_a, bin_b, stock, warehouse):
        stock(tshirt, bin_a, R, 5)
        with pytest.raises(InsufficientStock) as caught:
            post_movements(
                movements=[MovementInput(tshirt.pk, bin_a.pk, S, -3), MovementInput(tshirt.pk, bin_b.pk, S, -1)],
                user=warehouse.user,
            )
        assert "B-01 has 0, the batch takes 1" in caught.value.message
        assert on_hand(tshirt, bin_a) == 5
        assert StockMovement.objects.count() == 1

    def test_two_movements_on_one_level_are_summed_before_the_check(self, tshirt, bin_a, stock, warehouse):
        stock(tshirt, bin_a, R, 5)
        with pytest.raises(InsufficientStock):
            post_movements(
                movements=[MovementInput(tshirt.pk, bin_a.pk, S, -3), MovementInput(tshirt.pk, bin_a.pk, S, -3)],
                user=warehouse.user,
            )
        assert on_hand(tshirt, bin_a) == 5

    @pytest.mark.parametrize(
        ("kind", "quantity", "message"),
        [(R, -1, "positive"), (S, 2, "negative"), (R, 0, "other than zero"), ("gift", 1, "Unknown movement kind")],
    )
    def test_bad_input_is_refused(self, tshirt, bin_a, warehouse, kind, quantity, message):
        with pytest.raises(InventoryError, match=message):
            post_movements(movements=[MovementInput(tshirt.pk, bin_a.pk, kind, quantity)], user=warehouse.user)
        assert not StockMovement.objects.exists()

    def test_only_a_manager_may_go_below_zero_and_it_is_recorded(self, tshirt, bin_a, stock, warehouse, manager):
        with pytest.raises(InventoryError, match="Only a manager"):
            stock(tshirt, bin_a, S, -2, allow_negative=True)
        movement = stock(tshirt, bin_a, S, -2, allow_negative=True, user=manager.user)
        assert movement.negative_override is True
        level = StockLevel.objects.get(sku=tshirt, location=bin_a)
        assert (level.on_hand, level.allow_negative) == (-2, True)
        stock(tshirt, bin_a, R, 5)  # back above zero: the override flag clears
        level.refresh_from_db()
        assert (level.on_hand, level.allow_negative) == (3, False)

    def test_the_database_refuses_a_negative_level_without_override(self, tshirt, bin_a, stock):
        stock(tshirt, bin_a, R, 1)
        with pytest.raises(IntegrityError), transaction.atomic():
            StockLevel.objects.filter(sku=tshirt).update(on_hand=-1)

    def test_movements_are_immutable(self, tshirt, bin_a, stock):
        movement = stock(tshirt, bin_a, R, 1)
        movement.quantity = 100
        with pytest.raises(ValueError, match="immutable"):
            movement.save()
        with pytest.raises(ValueError, match="immutable"):
            movement.delete()

    def test_transfer_moves_units_between_bins(self, tshirt, bin_a, bin_b, stock, warehouse):
        stock(tshirt, bin_a, R, 4)
        out, into = services.transfer_stock(
            sku=tshirt, from_location=bin_a, to_location=bin_b, quantity=3, user=warehouse.user
        )
        assert (out.kind, out.quantity, into.kind, into.quantity) == ("transfer_out", -3, "transfer_in", 3)
        assert (on_hand(tshirt, bin_a), on_hand(tshirt, bin_b)) == (1, 3)
        with pytest.raises(InventoryError):
            services.transfer_stock(sku=tshirt, from_location=bin_a, to_location=bin_a, quantity=1, user=warehouse.user)

    def test_form_level_post_movement_signs_the_quantity(self, tshirt, bin_a, warehouse):
        services.post_movement(sku=tshirt, location=bin_a, kind=R, quantity=7, user=warehouse.user)
        movement = services.post_movement(sku=tshirt, location=bin_a, kind=S, quantity=2, user=warehouse.user)
        assert movement.quantity == -2
        with pytest.raises(InventoryError, match="closing a stock count"):
            services.post_movement(
                sku=tshirt, location=bin_a, kind=MovementKind.COUNT_CORRECTION, quantity=1, user=warehouse.user
            )


class TestStockCount:
    def test_count_with_shipments_during_the_count(
        self, tshirt, bin_a, bin_b, stock, warehouse, main_warehouse, wh_supervisor
    ):
        jeans = SkuFactory(code="JN001-BLU-30", unit_cost=Decimal("80.00"))
        stock(tshirt, bin_a, R, 10)
        stock(jeans, bin_b, R, 5)
        count = services.open_stock_count(
            warehouse=main_warehouse, period=datetime.date(2025, 3, 31), user=warehouse.user
        )
        assert count.period == datetime.date(2025, 3, 1)
        assert count.lines.count() == 2
        stock(tshirt, bin_a, S, -3)  # shipped while the count is open: expected becomes 7
        line = count.lines.get(sku=tshirt)
        services.record_count(line=line, counted_quantity=6, user=warehouse.user)
        assert (line.snapshot_quantity, line.movements_since_snapshot, line.difference) == (10, -3, -1)
        stock(tshirt, bin_a, S, -1)  # after this line was counted: does not change its difference
        jeans_line = count.lines.get(sku=jeans)
        services.record_count(line=jeans_line, counted_quantity=5, user=warehouse.user)
        assert services.close_stock_count(count=count, user=wh_supervisor.user) is None
        count.refresh_from_db()
        assert count.status == CountStatus.CLOSED
        assert on_hand(tshirt, bin_a) == 5  # 10 - 3 - 1, then the count says one more is missing
        correction = StockMovement.objects.get(kind=MovementKind.COUNT_CORRECTION)
        assert (correction.quantity, correction.reference) == (-1, f"COUNT-{count.pk}")
        report = count.loss_report
        assert (report.total_quantity, report.total_value, report.status) == (1, Decimal("25.50"), "pending")

    def test_closing_needs_every_line_counted_and_happens_once(
        self, tshirt, bin_a, stock, warehouse, main_warehouse, wh_supervisor
    ):
        stock(tshirt, bin_a, R, 2)
        count = services.open_stock_count(
            warehouse=main_warehouse, period=datetime.date(2025, 3, 1), user=warehouse.user
        )
        with pytest.raises(InventoryConflict, match="1 line"):
            services.close_stock_count(count=count, user=wh_supervisor.user)
        services.record_count(line=count.lines.get(), counted_quantity=3, user=warehouse.user)
        services.close_stock_count(count=count, user=wh_supervisor.user)
        assert on_hand(tshirt, bin_a) == 3
        surplus = LossReport.objects.get()  # a surplus is no loss, but finance reviews it too
        assert (surplus.total_quantity, surplus.surplus_quantity, surplus.surplus_value) == (0, 1, Decimal("25.50"))
        with pytest.raises(InvalidTransition):
            services.close_stock_count(count=count, user=wh_supervisor.user)
        with pytest.raises(InvalidTransition):
            services.record_count(line=count.lines.get(), counted_quantity=1, user=warehouse.user)
        with pytest.raises(InventoryConflict, match="already has a count"):
            services.open_stock_count(warehouse=main_warehouse, period=datetime.date(2025, 3, 9))

    def test_a_big_count_closes_as_a_job_with_progress(
        self,
        tshirt,
        bin_a,
        stock,
        warehouse,
        main_warehouse,
        monkeypatch,
        django_capture_on_commit_callbacks,
        wh_supervisor,
    ):
        monkeypatch.setattr(services.counts, "COUNT_CLOSE_INLINE_LINES", 1)
        monkeypatch.setattr(services.counts, "COUNT_CLOSE_CHUNK", 2)
        skus = [tshirt, *SkuFactory.create_batch(4)]
        for sku in skus:
            stock(sku, bin_a, R, 3)
        count = services.open_stock_count(
            warehouse=main_warehouse, period=datetime.date(2025, 4, 1), user=warehouse.user
        )
        for line in count.lines.all():
            services.record_count(line=line, counted_quantity=2, user=warehouse.user)
        with django_capture_on_commit_callbacks(execute=True):
            job = services.close_stock_count(count=count, user=wh_supervisor.user)
        job.refresh_from_db()
        assert (job.status, job.done, job.total, job.percent) == (JobStatus.DONE, 5, 5, 100)
        count.refresh_from_db()
        assert count.status == CountStatus.CLOSED
        assert count.loss_report.total_quantity == 5
        assert tasks.close_stock_count_job(job.pk) == JobStatus.DONE  # a second run changes nothing
        assert StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION).count() == 5


class TestLossReportReview:
    @pytest.fixture
    def report(self, tshirt, bin_a, stock, warehouse, main_warehouse, wh_supervisor):
        stock(tshirt, bin_a, R, 2)
        count = services.open_stock_count(warehouse=main_warehouse, period=datetime.date(2025, 5, 1))
        services.record_count(line=count.lines.get(), counted_quantity=0, user=warehouse.user)
        services.close_stock_count(count=count, user=wh_supervisor.user)
        return count.loss_report

    def test_finance_approves_once(self, report, finance):
        services.review_loss_report(report=report, approve=True, user=finance.user)
        report.refresh_from_db()
        assert report.status == LossReportStatus.APPROVED and report.reviewed_by == finance.user
        with pytest.raises(InvalidTransition, match="already approved"):
            services.review_loss_report(report=report, approve=False, note="x", user=finance.user)

    def test_rejection_needs_a_note_and_only_finance_reviews(self, report, finance, manager):
        with pytest.raises(InventoryError, match="why"):
            services.review_loss_report(report=report, approve=False, user=finance.user)
        with pytest.raises(InventoryError, match="Only finance"):
            services.review_loss_report(report=report, approve=True, user=manager.user)
        services.review_loss_report(report=report, approve=False, note="请复盘 A-01", user=finance.user)
        report.refresh_from_db()
        assert (report.status, report.review_note) == (LossReportStatus.REJECTED, "请复盘 A-01")


class TestPurchaseRequests:
    def test_daily_task_raises_one_open_request_per_sku(self, tshirt, bin_a, stock, warehouse):
        tshirt.warning_level = 5
        tshirt.save()
        tag = SkuFactory(code="TAG-01", kind="material", warning_level=100, reorder_quantity=1000)
        stock(tshirt, bin_a, R, 5)
        stock(SkuFactory(code="OK-1", warning_level=2), bin_a, R, 3)
        assert tasks.raise_purchase_requests() == {"raised": 2, "updated": 0, "to_delist": []}
        assert tasks.raise_purchase_requests() == {"raised": 0, "updated": 0, "to_delist": []}
        by_sku = {r.sku.code: r for r in PurchaseRequest.objects.select_related("sku")}
        assert (by_sku["TS001-WHT-M"].quantity, by_sku["TAG-01"].quantity) == (5, 1000)
        stock(tshirt, bin_a, S, -5)  # sold out since: the draft follows, and the T-shirt is to be delisted
        assert tasks.raise_purchase_requests() == {"raised": 0, "updated": 1, "to_delist": ["TS001-WHT-M"]}
        draft = PurchaseRequest.objects.get(sku=tshirt)
        assert (draft.quantity, draft.on_hand_when_raised) == (10, 0)
        services.change_purchase_request_status(request=draft, status="ordered", user=warehouse.user)
        stock(tshirt, bin_a, R, 1)
        assert tasks.raise_purchase_requests()["updated"] == 0  # an ordered request is not touched
        assert PurchaseRequest.objects.get(sku=tshirt).quantity == 10
        with pytest.raises(IntegrityError), transaction.atomic():
            PurchaseRequest.objects.create(sku=tag, quantity=1)

    def test_request_goes_to_ordered_then_received_with_a_receipt(self, tshirt, bin_a, warehouse):
        request = services.create_purchase_request(sku=tshirt, quantity=20, user=warehouse.user)
        with pytest.raises(InventoryConflict):
            services.create_purchase_request(sku=tshirt, quantity=1, user=warehouse.user)
        with pytest.raises(InvalidTransition):
            services.change_purchase_request_status(request=request, status="received", user=warehouse.user)
        services.change_purchase_request_status(request=request, status="ordered", user=warehouse.user)
        services.change_purchase_request_status(request=request, status="received", user=warehouse.user, location=bin_a)
        request.refresh_from_db()
        assert request.status == PurchaseRequestStatus.RECEIVED
        assert on_hand(tshirt, bin_a) == 20
        services.create_purchase_request(sku=tshirt, quantity=1, user=warehouse.user)  # a new one may follow


class TestMonthlyCountTask:
    @override_settings(INVENTORY_COUNT_DAY=0)
    def test_opens_on_the_last_day_only_and_once(self, bin_a, tshirt, stock):
        stock(tshirt, bin_a, R, 1)
        WarehouseFactory(code="second", name="二号仓")
        assert tasks.open_stock_counts("2025-02-27") == []
        opened = tasks.open_stock_counts("2025-02-28")
        assert len(opened) == 2
        assert tasks.open_stock_counts("2025-02-28") == []

    @override_settings(INVENTORY_COUNT_DAY=25)
    def test_configured_day(self, main_warehouse):
        assert services.count_day_of(datetime.date(2025, 2, 1)) == 25
        assert tasks.open_stock_counts("2025-02-28") == []
        assert len(tasks.open_stock_counts("2025-02-25")) == 1

    def test_beat_schedule_has_the_jobs(self):
        from django.conf import settings

        tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert {"inventory.raise_purchase_requests", "inventory.open_stock_counts"} <= tasks_scheduled


class TestOrders:
    @pytest.fixture
    def order(self, tshirt):
        (order,) = services.create_orders(
            orders=[services.OrderInput(number="TB1001", recipient="张三", address="杭州市", lines=[(tshirt.pk, 2)])]
        )
        return order

    def test_pipeline_ships_from_the_fullest_bin(self, order, tshirt, bin_a, bin_b, stock, warehouse):
        stock(tshirt, bin_a, R, 1)
        stock(tshirt, bin_b, R, 5)
        for step in (OrderStatus.PRINTED, OrderStatus.PICKED):
            order = services.advance_order(order=order, to_status=step, user=warehouse.user)
        with pytest.raises(InvalidTransition, match="packing check"):
            services.advance_order(order=order, to_status=OrderStatus.PACKED, user=warehouse.user)
        order = services.pack_order(order=order, items=[services.PackedItem("TS001-WHT-M", 2)], user=warehouse.user)
        assert order.status == OrderStatus.PACKED
        with pytest.raises(InventoryError, match="tracking number"):
            services.ship_order(order=order, tracking_number=" ", user=warehouse.user)
        assert not StockMovement.objects.filter(kind=S).exists()
        order = services.ship_order(
            order=order, courier="顺丰", tracking_number="ＳＦ１００２００３００", user=warehouse.user
        )
        assert order.status == OrderStatus.SHIPPED and order.shipped_at
        assert (order.courier, order.tracking_number) == ("顺丰", "SF100200300")
        assert (on_hand(tshirt, bin_a), on_hand(tshirt, bin_b)) == (1, 3)
        assert StockMovement.objects.get(kind=S).reference == "TB1001"
        with pytest.raises(InvalidTransition):
            services.advance_order(order=order, to_status=OrderStatus.CANCELLED, user=warehouse.user)

    def test_out_of_stock_at_picking_goes_to_customer_service(
        self, order, tshirt, bin_a, stock, warehouse, customer_service
    ):
        stock(tshirt, bin_a, R, 1)
        services.advance_order(order=order, to_status=OrderStatus.PRINTED, user=warehouse.user)
        order = services.advance_order(order=order, to_status=OrderStatus.PICKED, user=warehouse.user)
        assert order.status == OrderStatus.PRINTED and order.needs_customer_service
        assert "Out of stock: TS001-WHT-M (1/2)" in order.flag_reason
        with pytest.raises(InvalidTransition, match="waits for customer service"):
            services.advance_order(order=order, to_status=OrderStatus.PICKED, user=warehouse.user)
        with pytest.raises(InventoryError):
            services.resolve_order_flag(order=order, note=" ", user=customer_service.user)
        stock(tshirt, bin_a, R, 1)
        services.resolve_order_flag(order=order, note="客户同意等待补货", user=customer_service.user)
        order = services.advance_order(order=order, to_status=OrderStatus.PICKED, user=warehouse.user)
        assert order.status == OrderStatus.PICKED

    def test_skipping_a_step_is_refused(self, order, warehouse):
        with pytest.raises(InvalidTransition):
            services.advance_order(order=order, to_status=OrderStatus.SHIPPED, user=warehouse.user)
        services.flag_order(order=order, reason="地址不全", user=warehouse.user)
        with pytest.raises(InventoryConflict):
            services.create_orders(orders=[services.OrderInput(number="TB1001", recipient="x", address="y", lines=[])])


def test_money_rounds_half_up():
    from inventory.money import to_cent

    assert to_cent(Decimal("2.345")) == Decimal("2.35")
    assert to_cent(Decimal("-2.345")) == Decimal("-2.35")


def test_other_locations_share_a_code_across_warehouses(db):
    other = WarehouseFactory(code="north", name="北仓")
    LocationFactory(warehouse=other, code="A-01")
    LocationFactory(code="A-01")
    with pytest.raises(IntegrityError), transaction.atomic():
        LocationFactory(warehouse=other, code="A-01")


def test_job_done_cannot_exceed_total(warehouse):
    with pytest.raises(IntegrityError), transaction.atomic():
        InventoryJob.objects.create(kind="count_close", done=2, total=1, requested_by=warehouse.user)


class TestPackingCheck:
    @pytest.fixture
    def picked(self, tshirt, bin_a, stock, warehouse):
        """An order of 2 white M T-shirts and 1 pair of jeans, picked and ready for the packing check."""
        self.large = SkuFactory(code="TS001-WHT-L", style_code=tshirt.style_code, colour="白", size="L")
        self.black = SkuFactory(code="TS001-BLK-M", style_code=tshirt.style_code, colour="黑", size="M")
        self.jeans = SkuFactory(
            code="JN003-BLU-30", style_code="JN003", barcode="6901234500999", colour="蓝", size="30"
        )
        for sku in (tshirt, self.jeans):
            stock(sku, bin_a, R, 5)
        (order,) = services.create_orders(
            orders=[
                services.OrderInput(
                    number="TB2001", recipient="张三", address="杭州市", lines=[(tshirt.pk, 2), (self.jeans.pk, 1)]
                )
            ]
        )
        for step in (OrderStatus.PRINTED, OrderStatus.PICKED):
            order = services.advance_order(order=order, to_status=step, user=warehouse.user)
        return order

    def pack(self, order, warehouse, *items):
        return services.pack_order(order=order, items=[services.PackedItem(*i) for i in items], user=warehouse.user)

    def test_a_matching_parcel_is_packed_scanning_codes_or_barcodes(self, picked, warehouse):
        order = self.pack(picked, warehouse, ("TS001-WHT-M", 1), ("6901234500999", 1), ("TS001-WHT-M", 1))
        assert order.status == OrderStatus.PACKED and not order.needs_customer_service

    @pytest.mark.parametrize(
        ("items", "expected"),
        [
            (
                [("TS001-WHT-L", 2), ("JN003-BLU-30", 1)],
                "TS001-WHT-M 白 M was ordered but TS001-WHT-L 白 L was packed (size M, not L).",
            ),
            (
                [("TS001-BLK-M", 2), ("JN003-BLU-30", 1)],
                "was ordered but TS001-BLK-M 黑 M was packed (colour 白, not 黑).",
            ),
            ([("TS001-WHT-M", 1), ("JN003-BLU-30", 1)], "TS001-WHT-M 白 M: 1 packed, the order has 2."),
            ([("TS001-WHT-M", 2)], "JN003-BLU-30 蓝 30 × 1 is missing."),
        ],
    )
    def test_a_mismatch_blocks_packing_and_goes_to_customer_service(self, picked, warehouse, items, expected):
        order = self.pack(picked, warehouse, *items)
        assert order.status == OrderStatus.PICKED and order.needs_customer_service
        assert expected in order.flag_reason and order.flag_reason.startswith("Packing check failed")
        with pytest.raises(InvalidTransition, match="waits for customer service"):
            self.pack(order, warehouse, ("TS001-WHT-M", 2), ("JN003-BLU-30", 1))
        assert not StockMovement.objects.filter(kind=S).exists()

    def test_an_unknown_code_is_refused_as_a_typo_and_the_order_stays_picked(self, picked, warehouse):
        with pytest.raises(
            InventoryError, match=re.escape("NOPE, DR002-BLU-SS: not a known SKU or barcode. Scan it again.")
        ):
            self.pack(picked, warehouse, ("TS001-WHT-M", 2), ("NOPE", 1), ("DR002-BLU-SS", 1), ("NOPE", 1))
        picked.refresh_from_db()
        assert picked.status == OrderStatus.PICKED and not picked.needs_customer_service and not picked.flag_reason
        order = self.pack(picked, warehouse, ("TS001-WHT-M", 2), ("JN003-BLU-30", 1))
        assert order.status == OrderStatus.PACKED

    def test_full_width_codes_from_a_chinese_keyboard_are_scanned_as_typed(self, picked, warehouse):
        order = self.pack(picked, warehouse, ("ＴＳ００１－ＷＨＴ－Ｍ", 2), ("６９０１２３４５００９９９", 1))
        assert order.status == OrderStatus.PACKED and not order.needs_customer_service

    def test_an_extra_item_is_named(self, picked, warehouse):
        order = self.pack(picked, warehouse, ("TS001-WHT-M", 2), ("JN003-BLU-30", 1), ("TS001-BLK-M", 1))
        assert "TS001-BLK-M 黑 M × 1 is not in the order." in order.flag_reason

    def test_only_a_picked_order_is_packed_and_only_a_packed_one_shipped(self, tshirt, warehouse):
        (order,) = services.create_orders(
            orders=[services.OrderInput(number="TB2002", recipient="x", address="y", lines=[(tshirt.pk, 1)])]
        )
        with pytest.raises(InvalidTransition, match="only a picked order"):
            self.pack(order, warehouse, ("TS001-WHT-M", 1))
        with pytest.raises(InvalidTransition, match="only a packed order"):
            services.ship_order(order=order, tracking_number="SF1", user=warehouse.user)


def test_the_fast_ledger_insert_names_the_model_columns_in_order():
    """`_insert_movements` sends column arrays in the model's field order: a new or moved field must update it."""
    fields = [field.attname for field in StockMovement._meta.concrete_fields]
    assert fields[0] == "id"
    assert fields[1:] == [name for name, _type in services._MOVEMENT_COLUMNS]


def test_a_posted_batch_comes_back_as_saved_movements(tshirt, bin_a, bin_b, warehouse):
    created = post_movements(
        movements=[MovementInput(tshirt.pk, bin_a.pk, R, 3, "why", "RK-1"), MovementInput(tshirt.pk, bin_b.pk, R, 4)],
        user=warehouse.user,
    )
    assert [m.pk for m in created] == sorted(m.pk for m in created) and all(m.pk for m in created)
    for movement in created:
        stored = StockMovement.objects.get(pk=movement.pk)
        assert (stored.location_id, stored.quantity, stored.value, stored.created_by_id) == (
            movement.location_id,
            movement.quantity,
            movement.value,
            warehouse.user.pk,
        )
    assert created[0].reason == "why" and created[0].reference == "RK-1" and created[1].value == Decimal("102.00")
