import re

from playwright.sync_api import Page, expect


def test_visitor_signs_up_sees_welcome_tokens_logs_out_and_back_in(site: str, page: Page):
    page.goto(f"{site}/")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Sign up").click()

    page.get_by_label("Email").fill("lin@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-secret-42")
    page.get_by_label(re.compile(r"Password \(again\)")).fill("a-long-secret-42")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_test_id("token-balance")).to_have_text("100")

    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_test_id("token-balance")).to_have_count(0)

    nav.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("lin@example.com")
    page.get_by_label("Password").fill("a-long-secret-42")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_test_id("token-balance")).to_have_text("100")
