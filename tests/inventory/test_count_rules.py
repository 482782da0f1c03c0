"""One count of a warehouse at a time, of a month that has begun and is not before its last closed count; a count
line holds at most what one movement may move; surpluses go to finance's review beside the shortages."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.choices import CountStatus, MovementKind
from inventory.exceptions import InventoryConflict, InventoryError
from inventory.models import LossReport, StockCount, StockMovement
from inventory.services import MovementInput, post_movements

from .conftest import on_hand
from .factories import LocationFactory, SkuFactory, WarehouseFactory

BASE = "/api/inventory"
R = MovementKind.RECEIPT


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def months_before(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 - n
    return datetime.date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def second_warehouse(db):
    return WarehouseFactory(code="wh2", name="二号仓")


@pytest.fixture
def shelf(second_warehouse, warehouse, stock):
    """Location Z-01 of a new warehouse holds 10 of one SKU."""
    sku = SkuFactory(code="SK009-RED-M", unit_cost=Decimal("68.00"))
    location = LocationFactory(warehouse=second_warehouse, code="Z-01")
    stock(sku, location, R, 10)
    return sku, location


def count_everything(count, quantity, user):
    for line in count.lines.all():
        services.record_count(line=line, counted_quantity=quantity, user=user)


class TestOneCountAtATime:
    def test_a_second_open_count_of_the_warehouse_is_refused_naming_the_first(self, shelf, second_warehouse, warehouse):
        first = services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        earlier = months_before(this_month(), 1)
        with pytest.raises(InventoryConflict, match=f"count of {this_month():%Y-%m} under way"):
            services.open_stock_count(warehouse=second_warehouse, period=earlier, user=warehouse.user)
        assert list(StockCount.objects.filter(warehouse=second_warehouse)) == [first]

    def test_the_database_refuses_two_open_counts_of_a_warehouse(self, shelf, second_warehouse, warehouse):
        services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        with pytest.raises(IntegrityError), transaction.atomic():
            StockCount.objects.create(
                warehouse=second_warehouse, period=months_before(this_month(), 1), snapshot_at=timezone.now()
            )

    def test_another_warehouse_may_count_at_the_same_time(self, shelf, second_warehouse, main_warehouse, warehouse):
        services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        services.open_stock_count(warehouse=main_warehouse, period=this_month(), user=warehouse.user)
        assert StockCount.objects.filter(status=CountStatus.OPEN).count() == 2

    def test_after_closing_or_cancelling_the_next_count_may_open(
        self, shelf, second_warehouse, warehouse, wh_supervisor
    ):
        first = services.open_stock_count(
            warehouse=second_warehouse, period=months_before(this_month(), 2), user=warehouse.user
        )
        services.cancel_stock_count(count=first, user=warehouse.user)
        second = services.open_stock_count(
            warehouse=second_warehouse, period=months_before(this_month(), 1), user=warehouse.user
        )
        count_everything(second, 7, warehouse.user)
        services.close_stock_count(count=second, user=wh_supervisor.user)
        services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)

    def test_a_future_month_is_refused(self, shelf, second_warehouse, warehouse):
        for period in (months_before(this_month(), -1), datetime.date(9999, 12, 1)):
            with pytest.raises(InventoryError, match="has not begun"):
                services.open_stock_count(warehouse=second_warehouse, period=period, user=warehouse.user)
        assert not StockCount.objects.exists()

    def test_a_month_before_the_last_closed_count_is_refused(self, shelf, second_warehouse, warehouse, wh_supervisor):
        count = services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        count_everything(count, 10, warehouse.user)
        services.close_stock_count(count=count, user=wh_supervisor.user)
        for period in (months_before(this_month(), 1), datetime.date(1000, 1, 1), datetime.date(1, 1, 1)):
            with pytest.raises(InventoryConflict, match=f"last counted for {this_month():%Y-%m}"):
                services.open_stock_count(warehouse=second_warehouse, period=period, user=warehouse.user)

    def test_closing_is_refused_after_another_counts_corrections(
        self, shelf, second_warehouse, warehouse, wh_supervisor
    ):
        """A count whose stock another count corrected after its snapshot (say one opened before this rule) would
        correct the same difference again."""
        sku, location = shelf
        count = services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        count_everything(count, 7, warehouse.user)
        post_movements(
            movements=[MovementInput(sku.pk, location.pk, MovementKind.COUNT_CORRECTION, -3, "", "COUNT-999")],
            user=warehouse.user,
        )
        with pytest.raises(InventoryConflict, match=r"COUNT-999.*open a new one"):
            services.close_stock_count(count=count, user=wh_supervisor.user)
        assert on_hand(sku, location) == 7
        assert StockCount.objects.get(pk=count.pk).status == CountStatus.OPEN

    def test_api_the_attack_opens_one_count_and_the_shortage_is_removed_once(
        self, api_as, shelf, second_warehouse, wh_supervisor
    ):
        sku, location = shelf
        client = api_as(wh_supervisor)
        first = client.post(f"{BASE}/counts/", {"warehouse": second_warehouse.pk, "period": f"{this_month()}"})
        assert first.status_code == 201, first.content
        future = client.post(f"{BASE}/counts/", {"warehouse": second_warehouse.pk, "period": "9999-12-01"})
        assert future.status_code == 400 and "has not begun" in future.content.decode()
        second = client.post(
            f"{BASE}/counts/", {"warehouse": second_warehouse.pk, "period": f"{months_before(this_month(), 1)}"}
        )
        assert second.status_code == 409 and "under way" in second.content.decode()
        count_id = first.json()["id"]
        line = StockCount.objects.get(pk=count_id).lines.get()
        assert (
            client.post(f"{BASE}/counts/{count_id}/record/", {"line": line.pk, "counted_quantity": 7}).status_code
            == 200
        )
        assert client.post(f"{BASE}/counts/{count_id}/close/").status_code == 200
        assert on_hand(sku, location) == 7
        assert StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION).count() == 1
        assert LossReport.objects.count() == 1

    def test_page_a_second_count_is_refused_with_the_message(self, client_as, shelf, second_warehouse, warehouse):
        client = client_as(warehouse)
        url = reverse("inventory:count-open")
        services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        response = client.post(
            url, {"warehouse": second_warehouse.pk, "month": f"{months_before(this_month(), 1):%Y-%m}"}
        )
        assert response.status_code == 200
        assert "under way" in response.content.decode()
        assert StockCount.objects.count() == 1


class TestCountedQuantityAndGains:
    def test_a_counted_quantity_is_capped_like_a_movement(self, shelf, second_warehouse, warehouse):
        count = services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        line = count.lines.get()
        with pytest.raises(InventoryError, match="10000000 is more than 1000000"):
            services.record_count(line=line, counted_quantity=10_000_000, user=warehouse.user)
        services.record_count(line=line, counted_quantity=1_000_000, user=warehouse.user)

    def test_api_ten_million_is_refused(self, api_as, shelf, second_warehouse, warehouse):
        count = services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        line = count.lines.get()
        response = api_as(warehouse).post(
            f"{BASE}/counts/{count.pk}/record/", {"line": line.pk, "counted_quantity": 10_000_000}
        )
        assert response.status_code == 400 and "counted_quantity" in response.json()["errors"]
        line.refresh_from_db()
        assert line.counted_quantity is None

    def test_page_ten_million_is_refused(self, client_as, shelf, second_warehouse, warehouse):
        count = services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        line = count.lines.get()
        client_as(warehouse).post(
            reverse("inventory:count-line", kwargs={"pk": count.pk, "line": line.pk}),
            {"counted_quantity": "10000000"},
        )
        line.refresh_from_db()
        assert line.counted_quantity is None

    def test_a_gain_goes_to_finance_beside_the_shortages(
        self, shelf, second_warehouse, warehouse, stock, finance, wh_supervisor
    ):
        sku, location = shelf
        other = SkuFactory(code="SK010-BLU-M", unit_cost=Decimal("10.00"))
        stock(other, location, R, 5)
        count = services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        services.record_count(line=count.lines.get(sku=sku), counted_quantity=7, user=warehouse.user)
        services.record_count(line=count.lines.get(sku=other), counted_quantity=9, user=warehouse.user)
        services.close_stock_count(count=count, user=wh_supervisor.user)
        report = LossReport.objects.get(count=count)
        assert (report.total_quantity, report.total_value) == (3, Decimal("204.00"))
        assert (report.surplus_quantity, report.surplus_value) == (4, Decimal("40.00"))
        assert sorted((line.sku.code, line.surplus, line.quantity) for line in report.lines.all()) == [
            ("SK009-RED-M", False, 3),
            ("SK010-BLU-M", True, 4),
        ]
        services.review_loss_report(report=report, approve=True, user=finance.user)

    def test_a_count_with_only_gains_makes_a_report_for_review(
        self, api_as, client_as, shelf, second_warehouse, warehouse, finance, wh_supervisor
    ):
        count = services.open_stock_count(warehouse=second_warehouse, period=this_month(), user=warehouse.user)
        count_everything(count, 1_000_000, warehouse.user)
        services.close_stock_count(count=count, user=wh_supervisor.user)
        report = LossReport.objects.get(count=count)
        assert (report.total_quantity, report.surplus_quantity, report.status) == (0, 999_990, "pending")
        data = api_as(finance).get(f"{BASE}/loss-reports/{report.pk}/").json()
        assert data["surplus_quantity"] == 999_990 and data["lines"][0]["surplus"] is True
        page = client_as(finance).get(report.get_absolute_url()).content.decode()
        assert "+999990" in page
