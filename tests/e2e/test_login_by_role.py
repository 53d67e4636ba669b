"""Every demo user signs in through a real browser and sees their role's home, in English and in Chinese."""

from pathlib import Path

import pytest

from portal.demo import DEMO_PASSWORD, demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# user name → (English heading, Simplified Chinese heading) on that role's home
HOMES = {
    "trader": ("Drafts to finish", "待完成的草稿"),
    "officer.shunde": ("Your queue", "您的待办队列"),
    "officer.shekou": ("Your queue", "您的待办队列"),
    "supervisor": ("Port dashboard", "口岸看板"),
    "bank.gbtb": ("Financing requests to review", "待审核的融资申请"),
    "bank.lingnan": ("Financing requests to review", "待审核的融资申请"),
    "carrier": ("Connecting your system", "连接您的系统"),
    "terminal": ("Connecting your system", "连接您的系统"),
}


@pytest.mark.parametrize("username", list(HOMES))
def test_demo_user_sees_their_home_in_english_and_chinese(page, username):
    demo_seed()
    english, chinese = HOMES[username]
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=english).wait_for()
    assert page.locator("html").get_attribute("lang") == "en"

    page.select_option("#language-select", "zh-hans")  # the page's script submits the form on change
    page.get_by_role("heading", name=chinese).wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"home-{username}-zh-hans.png"), full_page=True)

    page.get_by_role("button", name="退出").click()
    page.get_by_role("heading", name="登录").wait_for()


def test_home_works_on_a_phone_sized_screen(browser, live_server):
    demo_seed()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("trader")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Drafts to finish").wait_for()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()
