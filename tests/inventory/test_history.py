"""Audit trail (django-simple-history): the warehouse records that touch stock value or money keep their changes."""

from decimal import Decimal

import pytest

from inventory import services
from inventory.choices import LossReportStatus, MovementKind, PurchaseRequestStatus
from inventory.models import LossReport, StockMovement

from .conftest import on_hand


def test_sku_price_and_listing_changes_are_kept_with_who(tshirt, warehouse):
    tshirt.sale_price = Decimal("79.00")
    tshirt.save()
    services.set_sku_listed(sku=tshirt, listed=False, user=warehouse.user)
    history = list(tshirt.history.order_by("history_date"))
    assert [(h.history_type, h.sale_price, h.is_listed) for h in history] == [
        ("+", Decimal("0.00"), True),
        ("~", Decimal("79.00"), True),
        ("~", Decimal("79.00"), False),
    ]
    assert history[-1].history_user == warehouse.user


def test_count_states_and_the_loss_report_review_are_audited(
    tshirt, bin_a, stock, warehouse, main_warehouse, finance, wh_supervisor
):
    stock(tshirt, bin_a, MovementKind.RECEIPT, 5)
    count = services.open_stock_count(warehouse=main_warehouse, period=bin_a.levels.get().updated_at.date())
    services.record_count(line=count.lines.get(), counted_quantity=3, user=warehouse.user)
    services.close_stock_count(count=count, user=wh_supervisor.user)
    assert [h.status for h in count.history.order_by("history_date")] == ["open", "closing", "closed"]
    assert count.history.latest().history_user == wh_supervisor.user
    assert on_hand(tshirt, bin_a) == 3
    report = LossReport.objects.get(count=count)
    services.review_loss_report(report=report, approve=False, note="请复盘", user=finance.user)
    latest = report.history.latest()
    assert (latest.status, latest.review_note, latest.history_user) == (
        LossReportStatus.REJECTED,
        "请复盘",
        finance.user,
    )


def test_purchase_request_status_changes_are_audited(tshirt, bin_a, warehouse):
    request = services.create_purchase_request(sku=tshirt, quantity=20, user=warehouse.user)
    services.change_purchase_request_status(request=request, status=PurchaseRequestStatus.ORDERED, user=warehouse.user)
    statuses = [h.status for h in request.history.order_by("history_date")]
    assert statuses == ["open", "ordered"]


def test_the_ledger_itself_has_no_history_table():
    assert not hasattr(StockMovement, "history")


@pytest.mark.parametrize("model", ["sku", "stockcount", "lossreport", "purchaserequest"])
def test_audited_models_are_registered(model):
    from django.apps import apps

    assert apps.get_model("inventory", f"historical{model}")
