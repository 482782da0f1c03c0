"""Issue 13 on a phone in Chinese: the order flow's button says 下一步 (next step, not 下一页 next page), amounts
read ¥1,234.00 right-aligned, and the audit page lists sign-ins apart from the changes, in words."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from inventory.models import LossReport, Order

from .conftest import log_in

pytestmark = pytest.mark.browser


def test_the_order_flow_says_next_step_on_a_phone(phone_page, live_server, demo_data):
    order = Order.objects.get(number="TB20250003")  # checked and printed: picking is next
    log_in(phone_page, live_server, "picker")
    phone_page.goto(f"{live_server.url}{reverse('inventory:order-detail', args=[order.pk])}")
    advance = phone_page.get_by_test_id("advance")
    expect(advance).to_have_text(re.compile(r"^下一步：配货完成"))
    expect(phone_page.locator("main")).not_to_contain_text("下一页")
    advance.click()
    order.refresh_from_db()
    assert order.status == "picked"


def test_amounts_read_the_same_and_line_up_on_a_phone(phone_page, live_server, demo_data):
    report = LossReport.objects.order_by("pk").first()
    log_in(phone_page, live_server, "finance")
    phone_page.goto(f"{live_server.url}/inventory/loss-reports/")
    cell = phone_page.locator("td.num", has_text="¥").first
    expect(cell).to_have_text(re.compile(r"^-?¥\d{1,3}(,\d{3})*\.\d\d$"))
    # In a table the amounts line up on the right; on a phone the table is a card per report, each amount under
    # its column's heading.
    if cell.evaluate("element => getComputedStyle(element).display") == "table-cell":
        assert cell.evaluate("element => getComputedStyle(element).textAlign") == "right"
    else:
        assert cell.get_attribute("data-label")
    phone_page.goto(f"{live_server.url}{report.get_absolute_url()}")
    expect(phone_page.locator("main")).to_contain_text(re.compile(r"¥\d{1,3}(,\d{3})*\.\d\d"))


def test_the_audit_page_lists_sign_ins_apart_in_chinese(phone_page, live_server, demo_data):
    log_in(phone_page, live_server, "manager")
    phone_page.goto(f"{live_server.url}/audit/")
    changes = phone_page.get_by_test_id("changes")
    expect(changes).to_be_visible()
    text = changes.inner_text()
    assert not re.search(r"\b(changed|created|deleted|True|False)\b", text)
    assert not re.search(r"\d\d:\d\d:\d\d", text)  # local time to the minute
    phone_page.get_by_role("link", name="登录记录").click()
    expect(phone_page.get_by_test_id("sign-ins")).to_contain_text("manager")
