import re

from playwright.sync_api import Page, expect

from marketplace.accounts.services import user_grant_welcome_bonus
from marketplace.ledger.services import ledger_debit

PASSWORD = "a-long-secret-42"


def test_buyer_buys_a_pack_without_a_reload_then_filters_the_history(site: str, page: Page, django_user_model):
    buyer = django_user_model.objects.create_user(username="ines", email="ines@example.com", password=PASSWORD)
    user_grant_welcome_bonus(user=buyer)
    ledger_debit(user_id=buyer.pk, amount=5, reason="Generation in Ink Wash", idempotency_key="e2e:1")

    page.goto(f"{site}/accounts/login/?next=/wallet/")
    page.get_by_label("Email").fill("ines@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{site}/wallet/")
    expect(page.get_by_test_id("token-balance")).to_have_text("95")
    rows = page.get_by_test_id("ledger-row")
    expect(rows).to_have_count(2)

    # A full page load would drop this marker; htmx swaps keep it.
    page.evaluate("window.sameDocument = true")
    page.get_by_role("button", name="Buy 100 tokens for €5.00").click()
    expect(page.get_by_role("status").filter(has_text="+100 tokens")).to_be_visible()
    expect(page.get_by_test_id("token-balance")).to_have_text("195")
    expect(page.get_by_test_id("wallet-balance")).to_have_text("195")
    expect(rows).to_have_count(3)
    assert page.evaluate("window.sameDocument") is True

    page.get_by_label("Kind").select_option(label="Purchase")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/wallet/\?kind=purchase"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bought the Starter pack")
    assert page.evaluate("window.sameDocument") is True

    page.go_back()
    expect(page).to_have_url(f"{site}/wallet/")
    expect(rows).to_have_count(3)
    expect(page.get_by_text("Generation in Ink Wash")).to_be_visible()
