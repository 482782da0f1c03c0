"""Browser: wide tables turn into one labelled card per row on a phone, and stay tables on a desktop.

Each page is opened in Chinese at 390x844 (touch) and at 1366x900. On the phone the cell a person came for (实发, the
stock on hand, why an order was flagged...) sits inside the screen, labelled with its column's Chinese heading, and
the page does not scroll sideways; on the desktop the header row shows and every cell's label is its heading.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import StockCount
from payroll.demo import demo_months
from payroll.models import Payslip
from roles.models import ChecklistItem

from .conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


@dataclass(frozen=True)
class CardPage:
    url: Callable[[], str]  # called once the demo data is in
    username: str
    table: str  # a CSS selector of the table
    row: str  # text of the row to look at
    cells: dict[str, str]  # Chinese heading → text the cell holds (a part of it)


def summary_url() -> str:
    previous = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    return f"/inventory/summary/?month={previous}"  # last month holds the demo's movements


def run_url() -> str:
    first, _second = demo_months()  # the demo computes, approves and pays the first month
    return f"/payroll/runs/{first:%Y-%m}/"


def count_url() -> str:
    return StockCount.objects.get().get_absolute_url()  # the demo's count of last month, closed


def history_url() -> str:
    item = ChecklistItem.objects.filter(status="done").order_by("-due_date", "pk").first()
    return f"/checklists/people/{item.employee_id}/"


def payslip_url() -> str:
    first, _second = demo_months()
    slip = Payslip.objects.filter(run__month=first).order_by("pk").first()
    return slip.get_absolute_url()


def inputs_url() -> str:
    first, _second = demo_months()  # the demo's bonuses and penalties are entered for its months
    return f"/payroll/inputs/{first:%Y-%m}/"


def tax_openings_url() -> str:
    first, _second = demo_months()  # the demo adopted ShopOps in its first month: opening balances for that year
    return f"/payroll/settings/tax-openings/?year={first.year}"


PAGES = {
    "flagged-orders": CardPage(
        lambda: "/inventory/orders/needs-customer-service/",
        "cs",
        "[data-testid=flagged-orders]",
        "TB20250004",
        {"订单": "TB20250004", "原因": "门牌号", "处理结果": ""},
    ),
    "stock-list": CardPage(
        lambda: "/inventory/?q=TS001-WHT-M",
        "packer",
        "[data-testid=stock-table]",
        "TS001-WHT-M",
        {"SKU": "TS001-WHT-M", "名称": "", "现有库存": "", "警戒库存": ""},
    ),
    "picking-list": CardPage(
        lambda: "/inventory/orders/picking-list/",
        "packer",
        "[data-testid=picking-list]",
        "JN003-BLU-30",
        {"SKU": "JN003-BLU-30", "名称": "", "数量": "2", "取货库位（现有库存）": ""},
    ),
    "run-detail": CardPage(run_url, "finance", "[data-testid=payslips]", "", {"姓名": "", "实发": "¥"}),
    "summary": CardPage(
        summary_url,
        "finance",
        "[data-testid=summary-table]",
        "",
        {"盘点差异": "", "报损": "", "期末": "", "期末金额": "¥"},
    ),
    "person-history": CardPage(history_url, "manager", "[data-testid=history]", "✓", {"任务": "", "状态": "✓"}),
    "order-list": CardPage(
        lambda: "/inventory/orders/", "packer", "[data-testid=orders]", "TB20250004", {"订单": "TB20250004", "状态": ""}
    ),
    "count-detail": CardPage(
        count_url,
        "wh_supervisor",
        "[data-testid=count-lines]",
        "DR002-RED-M",
        {"快照": "", "实盘": "", "差异": "-2"},
    ),
    "payslip-list": CardPage(
        lambda: "/payroll/payslips/", "finance", "[data-testid=payslips]", "", {"姓名": "", "实发": "¥"}
    ),
    "loss-report-list": CardPage(
        lambda: "/inventory/loss-reports/",
        "finance",
        "[data-testid=loss-reports]",
        "",
        {"盘点": "", "状态": "", "短缺数量": "", "成本金额": "¥"},
    ),
    "payslip-lines": CardPage(
        payslip_url, "finance", "[data-testid=lines]", "", {"项目": "", "计算方式": "=", "金额": "¥"}
    ),
    "movement-list": CardPage(
        lambda: "/inventory/movements/", "wh_supervisor", "[data-testid=movement-table]", "", {"SKU": "", "数量": ""}
    ),
    "dashboard-departments": CardPage(
        lambda: "/checklists/",
        "manager",
        "[data-testid=department-completion]",
        "",
        {"部门": "", "完成": "", "当前逾期": ""},
    ),
    "dashboard-people": CardPage(
        lambda: "/checklists/", "manager", "[data-testid=person-completion]", "", {"人员": "", "当前逾期": ""}
    ),
    "adjustments": CardPage(
        inputs_url, "finance", "[data-testid=adjustments]", "错发一单", {"员工": "", "金额": "¥", "录入人": ""}
    ),
    "tax-openings": CardPage(
        tax_openings_url, "finance", "[data-testid=tax-openings]", "", {"员工": "", "减除费用": ""}
    ),
    "purchase-requests": CardPage(
        lambda: "/inventory/purchase-requests/",
        "wh_supervisor",
        "[data-testid=purchase-requests]",
        "",
        {"SKU": "", "数量": "", "状态": ""},
    ),
    "run-list": CardPage(lambda: "/payroll/", "finance", "[data-testid=runs]", "", {"月份": "", "已发放": ""}),
}

# The text of a cell's label as the browser draws it (::before), or "none" where there is none.
LABEL_JS = "cell => getComputedStyle(cell, '::before').content"
# The labelled cells a person sees that hold nothing: an empty cell must not leave its label behind on the card.
ORPHAN_LABELS_JS = """
table => [...table.querySelectorAll('td[data-label], th[data-label]')]
  .filter(cell => cell.checkVisibility() && !cell.textContent.trim())
  .map(cell => cell.dataset.label)
"""
# Each labelled cell's label against its column's heading (counting colspans), where they differ.
LABEL_MISMATCHES_JS = """
table => {
  const headings = [];
  for (const th of table.tHead.rows[0].cells) {
    for (let i = 0; i < th.colSpan; i++) headings.push(th.textContent.trim());
  }
  const wrong = [];
  for (const row of table.querySelectorAll('tbody tr, tfoot tr')) {
    let column = 0;
    for (const cell of row.cells) {
      if (cell.dataset.label !== undefined && cell.dataset.label !== headings[column]) {
        wrong.push(`${cell.dataset.label} under ${headings[column]}`);
      }
      column += cell.colSpan;
    }
  }
  return wrong;
}
"""


@contextmanager
def opened(browser, live_server, card: CardPage, size: dict):
    """The page signed in as the card's user, in Chinese at the given size; yields the page, the table and the row."""
    context = browser.new_context(locale="zh-CN", **size)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, live_server, card.username)
        page.goto(f"{live_server.url}{card.url()}")
        table = page.locator(card.table)
        yield page, table, table.locator("tbody tr").filter(has_text=card.row).first
    finally:
        context.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_a_phone_shows_each_row_as_a_labelled_card(browser, live_server, demo_data, name):
    card = PAGES[name]
    with opened(browser, live_server, card, PHONE) as (page, table, row):
        expect(row).to_be_visible()
        for label, text in card.cells.items():
            cell = row.locator(f'[data-label="{label}"]')
            expect(cell).to_be_visible()
            expect(cell).to_contain_text(text)
            assert cell.evaluate(LABEL_JS) == f'"{label}"', f"{name}: the {label} cell shows no label"
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{name}: {label} is off the screen: {box}"
        for control in table.locator("a[href], button, input:not([type=hidden]), select").all():
            box = control.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{name}: a control is off the screen: {box}"
            assert box["height"] >= 44, f"{name}: a control too small for a finger: {box}"
        assert table.locator("thead").is_hidden(), f"{name}: the header row still shows on the phone"
        assert table.evaluate(ORPHAN_LABELS_JS) == [], f"{name}: labels without a value"
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"{name}: the page scrolls sideways ({width})"
        scroller = table.locator("xpath=ancestor::div[contains(@class, 'overflow-auto')]")
        if scroller.count():  # the box that scrolls a wide table on a desktop has nothing to scroll on a phone
            assert scroller.evaluate("box => box.scrollWidth <= box.clientWidth"), f"{name}: the table scrolls"
        (ARTIFACTS / "phone-cards").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone-cards" / f"{name}-zh-390.png"), full_page=True)


@pytest.mark.parametrize("name", list(PAGES))
def test_a_desktop_still_shows_a_table(browser, live_server, demo_data, name):
    card = PAGES[name]
    with opened(browser, live_server, card, DESKTOP) as (_page, table, row):
        expect(table.locator("thead tr")).to_be_visible()
        for label in card.cells:
            expect(table.locator("thead th").filter(has_text=label).first).to_be_visible()
            cell = row.locator(f'[data-label="{label}"]')
            assert cell.evaluate(LABEL_JS) == "none", f"{name}: a label shows inside the desktop table"
            assert cell.evaluate("cell => getComputedStyle(cell).display") == "table-cell"
        assert table.evaluate(LABEL_MISMATCHES_JS) == [], f"{name}: labels that are not their column's heading"


def test_a_phone_shows_the_payslip_totals_whole(browser, live_server, demo_data):
    """The totals under a payslip's lines (应发, 扣款, 实发) read as a label and an amount inside the screen."""
    card = PAGES["payslip-lines"]
    with opened(browser, live_server, card, PHONE) as (_page, table, _row):
        totals = table.locator("tfoot tr")
        expect(totals).to_have_count(3)
        for total in totals.all():
            label, amount = total.locator("th").all()
            expect(amount).to_contain_text("¥")
            for cell in (label, amount):
                box = cell.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"a total is off the screen: {box}"
            assert amount.bounding_box()["y"] < label.bounding_box()["y"] + label.bounding_box()["height"], (
                "a total's amount is not on its label's line"
            )


# Links that stand on their own in a line of text: a finger taps them, so they are 44 px tall on a touch screen.
STANDALONE_LINKS = {
    "count-detail loss report": (count_url, "wh_supervisor", "p a[href*='/loss-reports/']"),
    "loss report's count": (
        lambda: StockCount.objects.get().loss_report.get_absolute_url(),
        "finance",
        "main p a.tap",
    ),
    "payroll links": (lambda: "/payroll/", "finance", "a[href$='/payroll/structures/']"),
    "dashboard start links": (lambda: "/checklists/", "manager", "[data-testid=start-links] a"),
    "tax openings edit": (tax_openings_url, "finance", "[data-testid=tax-openings] tbody a"),
    "pay settings tabs": (tax_openings_url, "finance", "nav.tabs a"),
}


@pytest.mark.parametrize("name", list(STANDALONE_LINKS))
def test_a_phone_gives_standalone_links_a_fingers_height(browser, live_server, demo_data, name):
    url, username, selector = STANDALONE_LINKS[name]
    context = browser.new_context(locale="zh-CN", **PHONE)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, live_server, username)
        page.goto(f"{live_server.url}{url()}")
        links = page.locator(selector)
        expect(links.first).to_be_visible()
        for link in links.all():
            box = link.bounding_box()
            assert box["height"] >= 44, f"{name}: {link.text_content()} is {box['height']} px tall"
    finally:
        context.close()
