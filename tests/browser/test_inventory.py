import re

import pytest
from playwright.sync_api import expect

from inventory.models import LossReport, Order

from .conftest import log_in

pytestmark = pytest.mark.browser


def test_receiver_posts_a_receipt_and_sees_the_ledger(page, live_server, demo_data):
    log_in(page, live_server, "receiver")
    page.get_by_role("link", name="Warehouse").first.click()
    expect(page.get_by_test_id("stock-table")).to_contain_text("TS001-WHT-M")
    page.get_by_role("button", name="Post a movement").click()
    page.select_option("select[name=kind]", "receipt")
    page.fill("input[name=sku]", "TS001-WHT-S")
    page.select_option("select[name=location]", label="A-01")
    page.fill("input[name=quantity]", "12")
    page.fill("input[name=reference]", "RK-BROWSER")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message")).to_contain_text("Posted: Receipt")
    expect(page.get_by_test_id("movement-table")).to_contain_text("RK-BROWSER")


def test_finance_reads_the_summary_and_rejects_the_loss_report(page, live_server, demo_data):
    log_in(page, live_server, "finance")
    page.get_by_role("link", name="Warehouse").first.click()
    page.get_by_role("link", name="Summary").first.click()
    page.get_by_role("button", name=re.compile("←")).click()  # last month holds the demo's movements
    expect(page.get_by_test_id("summary-table")).to_contain_text("TS001-WHT-M")
    expect(page.locator("svg.bar-chart rect.bar")).to_have_count(7)
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    report = LossReport.objects.get()
    page.goto(f"{live_server.url}{report.get_absolute_url()}")
    page.select_option("select[name=decision]", "reject")
    page.get_by_role("button", name="Send the decision").click()
    expect(page.locator(".message")).to_contain_text("Say why")
    page.select_option("select[name=decision]", "reject")
    page.fill("textarea[name=note]", "请复盘 DR002")
    page.get_by_role("button", name="Send the decision").click()
    expect(page.get_by_test_id("report-status")).to_contain_text("Rejected")


def test_customer_service_answers_a_flagged_order_on_a_phone(phone_page, live_server, demo_data):
    log_in(phone_page, live_server, "cs")
    phone_page.goto(f"{live_server.url}/inventory/orders/needs-customer-service/")
    row = phone_page.get_by_test_id("flagged-TB20250004")
    row.locator("input[name=note]").fill("买家补充了门牌号")
    row.get_by_role("button").click()
    expect(phone_page.get_by_test_id("flagged-orders")).not_to_contain_text("TB20250004")
    assert not Order.objects.get(number="TB20250004").needs_customer_service
    phone_page.goto(f"{live_server.url}/inventory/")
    expect(phone_page).to_have_url(f"{live_server.url}/")


def test_warehouse_counts_and_closes_a_blind_count(page, live_server, demo_data):
    log_in(page, live_server, "wh_supervisor")
    page.goto(f"{live_server.url}/inventory/counts/new/")
    page.check("input[name=blind]")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("count-status")).to_contain_text("Open")
    expect(page.get_by_test_id("count-lines")).not_to_contain_text("Snapshot")
    while page.locator("input[name=counted_quantity][value='']").count():
        form = page.locator("table form").filter(has=page.locator("input[name=counted_quantity][value='']")).first
        form.locator("input[name=counted_quantity]").fill("1")
        form.get_by_role("button", name="Save").click()
        expect(page.locator(".message")).to_contain_text("Counted")
    page.get_by_role("button", name="Close the count…").click()
    page.get_by_test_id("confirm-close").click()
    expect(page.get_by_test_id("count-status")).to_contain_text("Closed")
    expect(page.get_by_test_id("count-lines")).to_contain_text("Snapshot")
