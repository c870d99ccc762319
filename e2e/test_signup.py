import re
from urllib.parse import urlparse

from django.core import mail
from playwright.sync_api import Page, expect


def confirmation_path() -> str:
    """The link allauth mailed; live_server runs in this process, so the test mail backend's outbox has it."""
    [message] = mail.outbox
    assert message.to == ["lin@example.com"]
    [link] = re.findall(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    return urlparse(link).path


def test_visitor_signs_up_verifies_their_email_gets_the_welcome_tokens_logs_out_and_back_in(site: str, page: Page):
    page.goto(f"{site}/")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Verify your email to get 100 free tokens")).to_be_visible()

    page.get_by_label("Email").fill("lin@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-secret-42")
    page.get_by_label(re.compile(r"Password \(again\)")).fill("a-long-secret-42")
    page.get_by_role("button", name="Create account").click()

    # Signed in, but the tokens wait for the verified address; the page says where the link went.
    expect(page.get_by_text("We sent a link to lin@example.com")).to_be_visible()
    expect(page.get_by_test_id("token-balance")).to_have_text("0")
    page.get_by_role("link", name=re.compile("Wallet")).click()
    expect(page.get_by_test_id("welcome-pending")).to_contain_text("Verify your email address to get your 100")

    page.goto(f"{site}{confirmation_path()}")
    page.get_by_role("button", name="Confirm").click()
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
    page.goto(f"{site}/wallet/")
    expect(page.get_by_test_id("wallet-balance")).to_have_text("100")
    expect(page.get_by_test_id("welcome-pending")).to_have_count(0)
