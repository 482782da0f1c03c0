"""Where each person starts, in the browser: staff and the warehouse on a phone in Chinese, finance and managers
on a desktop in English; missed duties on a phone; customer service answering a hand-off on an order page."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import Order
from roles import services
from roles.choices import ItemStatus
from roles.models import ChecklistItem, DutyTemplate, Employee
from roles.workdays import WorkCalendar

from .conftest import english_desktop, log_in

pytestmark = pytest.mark.browser


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def two_missed_items(employee):
    """A daily duty of the person's role left open on the two working days before the latest: missed now."""
    today = timezone.localdate()
    workdays = WorkCalendar.load(start=today, end=today)
    latest = today if workdays.is_working_day(today) else workdays.previous_working_day(today)
    second = workdays.previous_working_day(latest)
    first = workdays.previous_working_day(second)
    duty = DutyTemplate.objects.create(role=employee.role, text_zh="整理样衣间", text_en="Tidy the sample room")
    items = [
        ChecklistItem.objects.create(
            employee=employee, duty=duty, period_start=day, due_date=day, title_zh=duty.text_zh, title_en=duty.text_en
        )
        for day in (first, second)
    ]
    services.mark_missed_items(day=today)
    return first, items


def test_staff_start_on_my_checklist_without_missed_items_and_see_them_in_history(phone_page, live_server, demo_data):
    designer = Employee.objects.get(user__username="designer")
    first, items = two_missed_items(designer)
    assert {ChecklistItem.objects.get(pk=i.pk).status for i in items} == {ItemStatus.MISSED}
    log_in(phone_page, live_server, "designer")
    expect(phone_page).to_have_url(f"{live_server.url}/checklist/")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("我的清单")
    for item in items:
        expect(phone_page.get_by_test_id(f"item-{item.pk}")).to_have_count(0)
    fits_the_phone(phone_page)
    phone_page.goto(f"{live_server.url}/checklists/people/{designer.pk}/?start={first.isoformat()}")
    for item in items:
        expect(phone_page.get_by_test_id(f"history-status-{item.pk}")).to_have_text("已错过")
    fits_the_phone(phone_page)


def test_warehouse_start_on_their_queue_and_follow_a_row(phone_page, live_server, demo_data):
    log_in(phone_page, live_server, "packer")
    expect(phone_page).to_have_url(f"{live_server.url}/inventory/queue/")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("仓库待办")
    row = phone_page.get_by_test_id("waiting-orders-printed")  # the demo's orders checked and printed
    expect(row).to_contain_text("待配货")
    expect(row).to_contain_text("最早的已等待")
    fits_the_phone(phone_page)
    row.get_by_role("link").click()
    expect(phone_page).to_have_url(re.compile("/inventory/orders/picking-list/"))
    expect(phone_page.get_by_test_id("picking-list")).to_contain_text("TB20250003")


@english_desktop
def test_finance_start_on_what_waits_for_them(page, live_server, demo_data):
    log_in(page, live_server, "finance")
    expect(page).to_have_url(f"{live_server.url}/payroll/waiting/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for finance")
    waiting = page.get_by_test_id("waiting")
    # The demo pays its first month and leaves the last month, now over, for finance to compute.
    due = waiting.get_by_test_id("waiting-month-due")
    expect(due).to_contain_text(re.compile(r"Payroll of \d{4}-\d{2} to compute"))
    expect(due).to_contain_text("oldest waiting")
    expect(waiting.get_by_test_id("waiting-loss-reports")).to_contain_text("Loss reports to approve")
    waiting.get_by_test_id("waiting-loss-reports").get_by_role("link").click()
    expect(page).to_have_url(re.compile("/inventory/loss-reports/"))
    expect(page.locator(".message")).to_have_count(0)
    page.go_back()
    page.get_by_test_id("waiting-month-due").get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/payroll/")
    expect(page.locator(".message")).to_have_count(0)


@english_desktop
def test_managers_start_on_the_dashboard_and_reach_the_warehouse_queue(page, live_server, demo_data):
    log_in(page, live_server, "manager")
    expect(page).to_have_url(f"{live_server.url}/checklists/")
    page.get_by_test_id("start-links").get_by_role("link", name="Warehouse queue").click()
    expect(page).to_have_url(f"{live_server.url}/inventory/queue/")
    expect(page.get_by_test_id("waiting")).to_be_visible()
    page.get_by_role("link", name="ShopOps").click()
    expect(page).to_have_url(f"{live_server.url}/checklists/")


def test_customer_service_answers_a_hand_off_on_the_order_page(phone_page, live_server, demo_data):
    log_in(phone_page, live_server, "cs")
    expect(phone_page).to_have_url(f"{live_server.url}/checklist/")
    # Their start page says how many orders wait for them (found by a tester: it said nothing).
    waiting = Order.objects.filter(needs_customer_service=True).exclude(status__in=["shipped", "cancelled"]).count()
    expect(phone_page.get_by_test_id("cs-waiting")).to_have_text(f"{waiting} 个订单等待客服处理")
    phone_page.get_by_test_id("cs-waiting").click()
    expect(phone_page).to_have_url(f"{live_server.url}/inventory/orders/needs-customer-service/")
    phone_page.get_by_test_id("flagged-TB20250004").get_by_role("link", name="TB20250004").click()
    expect(phone_page).to_have_url(re.compile(r"/inventory/orders/\d+/$"))
    form = phone_page.get_by_test_id("resolve-form")
    form.locator("input[name=note]").fill("买家补充了门牌号")
    form.get_by_role("button", name="退回仓库").click()
    expect(phone_page).to_have_url(f"{live_server.url}/inventory/orders/needs-customer-service/")
    expect(phone_page.locator(".message")).to_contain_text("订单 TB20250004 已退回仓库处理。")
    expect(phone_page.locator("body")).not_to_contain_text("您无权访问该页面")
    expect(phone_page.get_by_test_id("flagged-orders")).not_to_contain_text("TB20250004")
    fits_the_phone(phone_page)
    # Back to the answered order (the back button, an old link): their list, saying where it went.
    phone_page.goto(f"{live_server.url}{Order.objects.get(number='TB20250004').get_absolute_url()}")
    expect(phone_page).to_have_url(f"{live_server.url}/inventory/orders/needs-customer-service/")
    expect(phone_page.locator(".message")).to_contain_text("订单 TB20250004 已不在客服待处理列表中")
