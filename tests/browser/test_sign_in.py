"""Two-factor sign-in in the browser: a Finance login sets up its authenticator at the first sign-in (the test reads
the secret off the page and computes the codes with django-otp's TOTP, as the phone app would), then signs in with a
code; in Chinese on a phone and in English on a desktop."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from .conftest import ARTIFACTS, DEMO_PASSWORD, english_desktop, open_menu

pytestmark = pytest.mark.browser
# Where signing in leads each of these logins (roles.permissions.start_page).
START_PAGE = {"finance": "/payroll/waiting/", "manager": "/checklists/"}


def code_for(secret: str, *, steps_ahead: int = 0) -> str:
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = totp.time + 30 * steps_ahead
    return f"{totp.token():06d}"


def password_step(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()


def enrol_and_sign_in_again(page, live_server, username, texts, screenshot=None):
    password_step(page, live_server, username)
    expect(page).to_have_url(re.compile("/accounts/two-factor/setup/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["setup"])
    expect(page.get_by_test_id("qr-code").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("secret").inner_text()
    if screenshot:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{screenshot}-setup.png"), full_page=True)
    page.get_by_test_id("otp").fill("000000")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".field-error")).to_contain_text(texts["wrong"])
    page.wait_for_timeout(1100)  # django-otp's back-off after one wrong code: 1 s
    page.get_by_test_id("otp").fill(code_for(secret))
    page.locator("main button[type=submit]").click()
    codes = page.get_by_test_id("backup-codes").locator("li")
    expect(codes).to_have_count(10)
    if screenshot:
        page.screenshot(path=str(ARTIFACTS / f"{screenshot}-codes.png"), full_page=True)
    page.get_by_test_id("continue").click()
    expect(page).to_have_url(f"{live_server.url}{START_PAGE[username]}")

    open_menu(page)  # on a phone sign-out sits behind the Menu button
    page.locator("[data-testid=logout]").click()
    password_step(page, live_server, username)
    expect(page).to_have_url(re.compile("/accounts/two-factor/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["step"])
    page.get_by_test_id("otp").fill(code_for(secret, steps_ahead=1))
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}{START_PAGE[username]}")
    page.goto(f"{live_server.url}/accounts/security/")
    expect(page.get_by_test_id("two-factor-state")).to_contain_text(texts["state"])
    if screenshot:
        page.screenshot(path=str(ARTIFACTS / f"{screenshot}-security.png"), full_page=True)
    page.get_by_test_id("sign-out-everywhere").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.get_by_test_id("two-factor-state")).to_be_visible()  # this browser stays signed in


def test_finance_enrols_and_signs_in_with_a_code_on_a_phone_in_chinese(phone_page, live_server, demo_data, settings):
    settings.OTP_REQUIRED = True
    texts = {"setup": "设置两步验证", "wrong": "验证码不正确", "step": "两步验证", "state": "剩余 10 个备用验证码"}
    enrol_and_sign_in_again(phone_page, live_server, "finance", texts, screenshot="sign-in-zh-390")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


@english_desktop
def test_manager_enrols_and_signs_in_with_a_code_on_a_desktop_in_english(page, live_server, demo_data, settings):
    settings.OTP_REQUIRED = True
    texts = {
        "setup": "Set up two-factor sign-in",
        "wrong": "That code is not right",
        "step": "Two-factor sign-in",
        "state": "10 backup codes left",
    }
    enrol_and_sign_in_again(page, live_server, "manager", texts)
