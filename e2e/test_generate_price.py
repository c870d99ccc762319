"""The generate form's price: the preview follows the last choice; a changed price is confirmed before it is paid."""

import re

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from marketplace.generations.models import Generation
from marketplace.ledger.services import ledger_credit
from marketplace.styles.models import Style


def buyer_on_the_form(site: str, page: Page, *, price: int, balance: int) -> Style:
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password="x-long-secret-1", role="artist")
    users.create_user(username="sam", email="sam@example.com", password="a-long-secret-42")
    buyer = users.get(username="sam")
    ledger_credit(user_id=buyer.pk, amount=balance, kind="welcome", reason="hi", idempotency_key="w")
    style = Style.objects.create(
        artist=artist, name="Teal Study", slug="teal-study", price_per_generation=price,
        commercial_use=True, credit_required=False, training_status="completed",
    )
    style.model_path.save(f"style-{style.pk}.json", ContentFile(b"{}"))

    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("a-long-secret-42")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("token-balance")).to_have_text(str(balance))
    page.goto(f"{site}/generate/?style={style.pk}")
    return style


def test_the_preview_follows_a_ratio_clicked_right_after_typing(site: str, page: Page):
    buyer_on_the_form(site, page, price=4, balance=20)
    cost = page.get_by_test_id("generation-cost")
    expect(cost).to_contain_text("Costs 4 tokens.")

    # Typing and then clicking a ratio: the tags' change (on blur) and the ratio's change ask one after the other.
    page.get_by_label("Prompt tags").press_sequentially("lighthouse, dusk")
    page.get_by_label(re.compile("1:2 portrait")).click()
    expect(cost).to_contain_text("Costs 8 tokens.")
    page.wait_for_timeout(500)  # no older answer lands afterwards
    expect(cost).to_contain_text("Costs 8 tokens.")
    expect(page.get_by_test_id("generate-button")).to_have_text("Generate · 8 tokens")  # the price on the button

    page.get_by_role("button", name="Generate · 8 tokens").click()
    expect(page.locator(".job-card").first).to_be_visible()
    expect(page.get_by_test_id("token-balance")).to_have_text("12")
    assert Generation.objects.get().cost == 8


def test_a_price_raised_while_the_form_is_open_is_confirmed_first(site: str, page: Page):
    style = buyer_on_the_form(site, page, price=4, balance=30)
    expect(page.get_by_test_id("generation-cost")).to_contain_text("Costs 4 tokens.")
    page.get_by_label("Prompt tags").fill("lighthouse")
    Style.objects.filter(pk=style.pk).update(price_per_generation=10)  # the artist, meanwhile

    page.get_by_role("button", name="Generate").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("The price changed from 4 to 10 tokens; confirm to continue.")
    expect(alert).to_have_count(1)
    expect(page.get_by_test_id("generation-cost")).to_contain_text("Costs 10 tokens.")
    expect(page.get_by_test_id("token-balance")).to_have_text("30")
    assert not Generation.objects.exists()

    page.get_by_role("button", name="Generate").click()
    expect(page.locator(".job-card").first).to_be_visible()
    expect(page.get_by_test_id("token-balance")).to_have_text("20")
    assert Generation.objects.get().cost == 10
