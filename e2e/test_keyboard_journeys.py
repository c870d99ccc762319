"""Keyboard only: filter the catalog, open a style and generate in it; on a phone, the filters' bottom sheet."""

import re

from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from e2e.test_catalog import live_style
from e2e.test_generation import make_style
from marketplace.core.testing import imagefiles
from marketplace.ledger.services import ledger_credit
from marketplace.styles.models import Style
from worker.signature import dump_signature, learn_signature

FOCUSED = "(() => { const e = document.activeElement; return [e.tagName, e.labels?.[0]?.textContent.trim() ?? '',"\
          " e.textContent.trim(), e.getAttribute('aria-label') ?? ''].join('|'); })()"


def tab_to(page: Page, pattern: str, *, limit: int = 80) -> None:
    """Presses Tab until the focused element's tag, label, text or aria-label matches `pattern`."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if re.search(pattern, focused):
            return
        seen.append(focused)
    raise AssertionError(f"Tab never reached {pattern!r}; it went through {seen}")


def test_filter_open_a_style_and_generate_with_the_keyboard_alone(site: str, page: Page, reference_worker):
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password="x-long-secret-1", role="artist")
    users.create_user(username="sam", email="sam@example.com", password="a-long-secret-42")
    ledger_credit(user_id=users.get(username="sam").pk, amount=20, kind="welcome", reason="hi", idempotency_key="w")
    make_style(artist, "Teal Study", dump_signature(learn_signature([imagefiles.png(colour=(20, 140, 150))])))
    live_style(artist, "Teal Harbour Sketch", ["ink"])
    Style.objects.filter(name="Teal Harbour Sketch").update(commercial_use=False)
    live_style(artist, "Misty Lake", ["watercolor"])

    page.goto(f"{site}/accounts/login/?next=/styles/")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("a-long-secret-42")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Style catalog")).to_be_visible()
    cards = page.locator("#style-list .style-card h3")

    tab_to(page, r"^INPUT\|Search")
    page.keyboard.type("teal")
    page.keyboard.press("Enter")
    expect(cards).to_have_text(["Teal Harbour Sketch", "Teal Study"])
    tab_to(page, r"^SUMMARY\|")
    page.keyboard.press("Enter")
    tab_to(page, r"^INPUT\|Commercial use allowed")
    page.keyboard.press("Space")
    expect(cards).to_have_text(["Teal Study"])
    expect(page).to_have_url(re.compile(r"commercial=on"))

    tab_to(page, r"^A\|\|Teal Study")  # the card's title link (its picture's link is out of the tab order)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Teal Study", level=1)).to_be_visible()
    tab_to(page, r"^INPUT\|Prompt tags")
    page.keyboard.type("lighthouse, dusk")
    tab_to(page, r"^BUTTON\|\|Generate\s+·\s+3 tokens")
    page.keyboard.press("Enter")

    card = page.locator(".job-card").first
    expect(card.get_by_test_id("job-status")).to_have_text("Completed", timeout=60_000)
    expect(page.get_by_test_id("token-balance")).to_have_text("17")


def test_on_a_phone_the_filters_are_a_bottom_sheet_over_the_updating_results(site: str, page: Page):
    artist = get_user_model().objects.create_user(username="lena", email="lena@example.com", password="x-long-1")
    live_style(artist, "Harbour Portrait", ["watercolor"])
    live_style(artist, "Ink Face", ["ink"])
    page.set_viewport_size({"width": 390, "height": 844})
    cards = page.locator("#style-list .style-card h3")
    sheet = page.locator(".catalog-sheet")

    # With a filter applied the server opens the panel (right on a desktop); on a phone the chips say it instead.
    page.goto(f"{site}/styles/?tags=ink")
    expect(page.get_by_test_id("filter-chips")).to_be_visible()
    expect(sheet).to_be_hidden()

    page.get_by_text("More filters").click()
    expect(sheet).to_be_visible()
    box = sheet.bounding_box()
    assert box["y"] + box["height"] == 844 and box["width"] == 390, box  # pinned to the bottom, full width
    expect(sheet).to_be_focused()
    field = page.get_by_label("With all of these tags")
    field.fill("watercolor")
    field.press("Enter")
    expect(cards).to_have_text(["Harbour Portrait"])  # behind the sheet, which stays open
    expect(sheet).to_be_visible()
    page.get_by_test_id("sheet-done").click()
    expect(sheet).to_be_hidden()
    expect(page.locator("details.catalog-more summary")).to_be_focused()

    page.locator("details.catalog-more summary").press("Enter")
    expect(sheet).to_be_visible()
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
