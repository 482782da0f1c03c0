"""The warehouse's start page: what waits for them, with how many, since when and where to deal with it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory import selectors
from inventory.models import LossReport, Order, PurchaseRequest, StockCount

from .factories import SkuFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def order(number, status, **kwargs):
    return Order.objects.create(number=number, recipient="张三", address="杭州市", status=status, **kwargs)


def rows_by_key():
    return {row.key: row for row in selectors.warehouse_queue()}


def test_nothing_waiting_gives_the_empty_state(client_as, warehouse):
    assert selectors.warehouse_queue() == []
    order("TB1", "shipped", courier="SF", tracking_number="1", shipped_at=timezone.now())
    assert selectors.warehouse_queue() == []
    body = client_as(warehouse).get(reverse("inventory:queue"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="waiting-empty"' in body


def test_each_step_with_count_oldest_and_link():
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    for number, status in [("TB1", "new"), ("TB2", "new"), ("TB3", "printed"), ("TB4", "picked"), ("TB5", "packed")]:
        order(number, status)
    Order.objects.filter(number="TB1").update(updated_at=two_days_ago)
    order("TB6", "printed", needs_customer_service=True, flag_reason="地址不全")
    StockCount.objects.create(warehouse=WarehouseFactory(), period=datetime.date(2026, 11, 1), snapshot_at=two_days_ago)
    PurchaseRequest.objects.create(sku=SkuFactory(), quantity=5, status="open")
    PurchaseRequest.objects.create(sku=SkuFactory(), quantity=5, status="ordered")
    PurchaseRequest.objects.create(sku=SkuFactory(), quantity=5, status="received")
    rows = rows_by_key()
    assert {key: row.count for key, row in rows.items()} == {
        "orders-new": 2,
        "orders-printed": 1,  # the flagged one waits for customer service instead
        "orders-picked": 1,
        "orders-packed": 1,
        "orders-customer-service": 1,
        "counts-open": 1,
        "purchase-open": 1,
        "purchase-ordered": 1,
    }
    assert rows["orders-new"].since == two_days_ago
    assert rows["orders-new"].url == reverse("inventory:order-list") + "?status=new"
    assert rows["orders-printed"].url == reverse("inventory:picking-list")
    assert rows["orders-customer-service"].url == reverse("inventory:flagged-orders")
    assert rows["counts-open"].since == two_days_ago
    assert rows["purchase-ordered"].url == reverse("inventory:purchase-request-list") + "?status=ordered"


def test_the_page_shows_rows_in_chinese_and_queries_stay_flat(client_as, warehouse, django_assert_max_num_queries):
    order("TB1", "new")
    client = client_as(warehouse)
    client.get(reverse("inventory:queue"))  # warm the navigation cache
    with django_assert_max_num_queries(12):
        body = client.get(reverse("inventory:queue"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="waiting-orders-new"' in body and "仓库待办" in body
    for number in range(2, 40):
        order(f"TB{number}", ["new", "printed", "picked", "packed"][number % 4])
    with django_assert_max_num_queries(12):
        client.get(reverse("inventory:queue"))


def test_loss_reports_waiting_for_finance():
    assert selectors.loss_reports_waiting() is None
    count = StockCount.objects.create(
        warehouse=WarehouseFactory(), period=datetime.date(2026, 10, 1), snapshot_at=timezone.now(), status="closed"
    )
    LossReport.objects.create(count=count)
    row = selectors.loss_reports_waiting()
    assert row.count == 1 and row.url == reverse("inventory:loss-report-list") + "?status=pending"
