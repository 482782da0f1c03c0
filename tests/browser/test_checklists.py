import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from roles import services
from roles.models import ChecklistItem, DutyTemplate, Employee, Holiday
from roles.workdays import WorkCalendar

from .conftest import log_in

pytestmark = pytest.mark.browser
DUTY = "Reply to every chat within one minute"


def make_today_a_working_day():
    today = timezone.localdate()
    if not WorkCalendar.load(start=today, end=today).is_working_day(today):
        Holiday.objects.update_or_create(date=today, defaults={"kind": "workday", "name_zh": "测试", "name_en": "Test"})


def test_manager_adds_a_duty_staff_ticks_it_dashboard_shows_it(browser, live_server, demo_data):
    make_today_a_working_day()
    manager = browser.new_context(locale="en-US")
    manager.set_default_timeout(10_000)
    page = manager.new_page()
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/org/roles/cs_staff/")
    page.get_by_test_id("role-duties").click()
    page.get_by_role("button", name="Add a duty").click()
    page.fill("textarea[name=text_zh]", "一分钟内回复每一条咨询")
    page.fill("textarea[name=text_en]", DUTY)
    page.select_option("select[name=cadence]", "daily")
    page.select_option("select[name=assignment_mode]", "chosen")
    page.get_by_role("button", name="Save").click()
    duty = DutyTemplate.objects.get(text_en=DUTY)
    row = page.get_by_test_id(f"duty-{duty.pk}")
    expect(row).to_contain_text("chosen employees")
    row.get_by_role("link", name="Assign").click()
    page.select_option("select[name=employee]", label=str(Employee.objects.get(user__username="cs")))
    page.fill("input[name=valid_from]", timezone.localdate().isoformat())
    page.get_by_role("button", name="Assign").click()
    expect(page.locator(".message")).to_contain_text("Assigned")

    # The morning job.
    services.generate_checklists(day=timezone.localdate())
    item = ChecklistItem.objects.get(duty=duty)

    staff = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = staff.new_page()
    log_in(phone, live_server, "cs")
    phone.goto(f"{live_server.url}/checklist/")
    row = phone.get_by_test_id(f"item-{item.pk}")
    expect(row).to_contain_text(DUTY)
    row.locator("input[name=note]").fill("all chats answered")
    row.get_by_test_id(f"tick-{item.pk}").click()
    expect(phone.get_by_test_id(f"item-{item.pk}")).to_have_class(re.compile("done"))
    expect(phone.get_by_test_id(f"item-{item.pk}")).to_contain_text(
        f"done by {Employee.objects.get(user__username='cs').full_name}"
    )
    phone.reload()
    expect(phone.get_by_test_id(f"item-{item.pk}")).to_have_class(re.compile("done"))
    expect(phone.get_by_test_id(f"item-{item.pk}")).to_contain_text("all chats answered")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 420, f"My checklist scrolls sideways on a phone ({width}px)"

    page.goto(f"{live_server.url}/checklists/?period=today")
    person = page.get_by_test_id(f"person-{item.employee_id}")
    expect(person).to_contain_text("孙佳怡")
    done, total = (
        ChecklistItem.objects.filter(
            employee_id=item.employee_id, due_date=timezone.localdate(), status="done"
        ).count(),
        ChecklistItem.objects.filter(employee_id=item.employee_id, due_date=timezone.localdate()).count(),
    )
    expect(person).to_contain_text(f"{done} / {total}")
    manager.close()
    staff.close()


def test_staff_unticks_a_mistake(page, live_server, demo_data):
    make_today_a_working_day()
    services.generate_checklists(day=timezone.localdate())
    item = ChecklistItem.objects.filter(employee__user__username="packer", due_date=timezone.localdate()).first()
    assert item is not None, "the packer has daily duties in the seeds"
    log_in(page, live_server, "packer")
    page.goto(f"{live_server.url}/checklist/")
    page.get_by_test_id(f"tick-{item.pk}").click()
    expect(page.get_by_test_id(f"item-{item.pk}")).to_have_class(re.compile("done"))
    page.get_by_test_id(f"tick-{item.pk}").click()
    expect(page.get_by_test_id(f"item-{item.pk}")).not_to_have_class(re.compile("done"))
    item.refresh_from_db()
    assert item.status == "open"


def test_ticking_in_place_updates_the_done_counter_on_a_phone(phone_page, live_server, demo_data):
    """Ticks are saved without reloading the page (htmx); the 已完成 n / m counter follows them."""
    make_today_a_working_day()
    services.generate_checklists(day=timezone.localdate())
    mine = ChecklistItem.objects.filter(employee__user__username="packer", due_date=timezone.localdate())
    first, second = mine.filter(status="open").order_by("pk")[:2]
    log_in(phone_page, live_server, "packer")
    phone_page.goto(f"{live_server.url}/checklist/")
    progress = phone_page.get_by_test_id("progress")
    total = int(re.search(r"/ (\d+)", progress.inner_text()).group(1))
    done = int(re.search(r"已完成 (\d+)", progress.inner_text()).group(1))
    phone_page.evaluate("window.sameDocument = true")
    phone_page.get_by_test_id(f"tick-{first.pk}").click()
    expect(progress).to_have_text(f"已完成 {done + 1} / {total}")
    phone_page.get_by_test_id(f"tick-{second.pk}").click()
    expect(progress).to_have_text(f"已完成 {done + 2} / {total}")
    phone_page.get_by_test_id(f"tick-{first.pk}").click()  # a mistake, unticked
    expect(progress).to_have_text(f"已完成 {done + 1} / {total}")
    assert phone_page.evaluate("window.sameDocument === true"), "the page reloaded"
    phone_page.reload()
    expect(phone_page.get_by_test_id("progress")).to_have_text(f"已完成 {done + 1} / {total}")
