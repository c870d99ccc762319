import re

from playwright.sync_api import Page, expect

from marketplace.accounts.services import user_grant_welcome_bonus
from marketplace.generations.models import Generation
from marketplace.ledger.services import ledger_debit
from marketplace.styles.models import Style

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


def test_older_movements_page_by_keyset_and_the_gallery_loads_more_in_place(site: str, page: Page, django_user_model):
    owner = django_user_model.objects.create_user(username="olga", email="olga@example.com", password=PASSWORD)
    style = Style.objects.create(
        artist=owner, name="Harbour Ink", slug="harbour-ink", price_per_generation=3, commercial_use=True,
        credit_required=False, training_status="completed",
    )
    user_grant_welcome_bonus(user=owner)
    for n in range(24):
        ledger_debit(user_id=owner.pk, amount=1, reason=f"Generation number {n}", idempotency_key=f"e2e:older:{n}")
    for n in range(30):
        Generation.objects.create(user=owner, style=style, prompt=f"heron {n}", aspect_ratio="1:1", seed=n, cost=3,
                                  status=Generation.Status.COMPLETED)

    page.goto(f"{site}/accounts/login/?next=/wallet/")
    page.get_by_label("Email").fill("olga@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    rows = page.get_by_test_id("ledger-row")
    expect(rows).to_have_count(20)
    page.evaluate("window.sameDocument = true")
    # No page numbers: "Older" steps on (the URL keeps the place), "Back to the newest" returns.
    page.get_by_role("link", name="Older").click()
    expect(page).to_have_url(re.compile(r"/wallet/\?cursor="))
    expect(rows).to_have_count(5)  # 24 debits and the welcome bonus
    expect(rows.last).to_contain_text("Welcome bonus")
    expect(page.get_by_role("link", name="Older")).to_have_count(0)
    page.get_by_role("link", name="Back to the newest movements").click()
    expect(rows).to_have_count(20)
    assert page.evaluate("window.sameDocument") is True

    # The gallery grows in place: the next 6 images join the 24 and the button goes away.
    page.goto(f"{site}/generations/")
    items = page.get_by_test_id("gallery-item")
    expect(items).to_have_count(24)
    page.evaluate("window.sameDocument = true")
    page.get_by_role("button", name="Load older images").click()
    expect(items).to_have_count(30)
    expect(items.last).to_contain_text("heron 0")
    expect(page.get_by_role("button", name="Load older images")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True
