"""A buyer generates, watches the job card turn into the image, publishes it; a failing job is refunded."""

import re

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from marketplace.core.testing import imagefiles
from marketplace.ledger.services import ledger_credit
from marketplace.styles.models import Style
from worker.signature import dump_signature, learn_signature


def make_style(artist, name, artefact: bytes) -> Style:
    style = Style.objects.create(
        artist=artist, name=name, slug=name.lower().replace(" ", "-"), price_per_generation=3,
        commercial_use=True, credit_required=False, training_status="completed",
    )
    style.model_path.save(f"style-{style.pk}.json", ContentFile(artefact))
    return style


def test_buyer_generates_watches_it_finish_and_publishes(site: str, page: Page, reference_worker):
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password="x-long-secret-1", role="artist")
    buyer = users.create_user(username="sam", email="sam@example.com", password="a-long-secret-42")
    ledger_credit(user_id=buyer.pk, amount=20, kind="welcome", reason="hi", idempotency_key="w")
    good = make_style(artist, "Teal Study", dump_signature(learn_signature([imagefiles.png(colour=(20, 140, 150))])))
    broken = make_style(artist, "Broken Set", b"this is not a signature")

    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("a-long-secret-42")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("token-balance")).to_have_text("20")

    page.goto(f"{site}/generate/?style={good.pk}")
    page.evaluate("window.notReloaded = true")
    expect(page.get_by_test_id("generation-cost")).to_contain_text("Costs 3 tokens.")
    page.get_by_label(re.compile("1:2 portrait")).check()
    expect(page.get_by_test_id("generation-cost")).to_contain_text("Costs 6 tokens.")
    page.get_by_label("Prompt tags").fill("lighthouse, dusk")
    page.get_by_role("button", name="Generate").click()

    card = page.locator(".job-card").first
    expect(card.get_by_test_id("job-status")).to_have_text(re.compile("Queued|Processing|Completed"))
    expect(page.get_by_test_id("token-balance")).to_have_text("14")
    expect(card.get_by_test_id("job-status")).to_have_text("Completed", timeout=60_000)
    expect(card.locator("img")).to_have_attribute("height", "1024")
    assert page.evaluate("window.notReloaded === true")

    # The finished card is no dead end: publish from it in place, then open the image's page.
    card.get_by_test_id("job-actions").get_by_role("button", name="Publish to feed").click()
    expect(card.get_by_role("button", name="Withdraw from feed")).to_be_visible()
    expect(card.get_by_role("button", name="Download")).to_have_attribute("download", "")
    assert page.evaluate("window.notReloaded === true")
    card.get_by_role("button", name="Open").click()
    expect(page.get_by_test_id("image-page")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw from feed")).to_be_visible()
    page.goto(f"{site}/feed/")
    expect(page.get_by_role("link", name="Teal Study", exact=True)).to_be_visible()

    # A job the worker cannot do: its reason shows, and the tokens come back.
    page.goto(f"{site}/generate/?style={broken.pk}")
    page.get_by_label("Prompt tags").fill("anything")
    page.get_by_role("button", name="Generate").click()
    card = page.locator(".job-card").first
    expect(card.get_by_test_id("job-status")).to_have_text("Failed", timeout=60_000)
    expect(card.get_by_test_id("job-failure")).to_contain_text("3 tokens refunded.")
    expect(page.get_by_test_id("token-balance")).to_have_text("14")
