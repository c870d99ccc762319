"""A visitor scrolls the feed and more images arrive without a reload; a signed-in person likes one in place."""

from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from marketplace.generations.models import Generation
from marketplace.styles.models import Style

IMAGES = 45


def seed_images(count: int) -> None:
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password="x-long-secret-1", role="artist")
    maker = users.create_user(username="noor", email="noor@example.com", password="x-long-secret-2")
    style = Style.objects.create(
        artist=artist, name="Teal Study", slug="teal-study", price_per_generation=3, commercial_use=True,
        credit_required=False, training_status="completed",
    )
    Generation.objects.bulk_create(
        Generation(
            user=maker, style=style, prompt=f"image {n}", aspect_ratio="1:1", seed=n, cost=3,
            status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC, image="generations/out.png",
        )
        for n in range(count)
    )


def scroll_to_bottom(page: Page) -> None:
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")


def test_scrolling_the_feed_loads_more_cards_without_a_reload(site: str, page: Page):
    seed_images(IMAGES)
    page.goto(f"{site}/feed/")
    page.evaluate("window.notReloaded = true")
    cards = page.get_by_test_id("generation-card")
    expect(cards).to_have_count(20)

    scroll_to_bottom(page)
    expect(cards).to_have_count(40)
    scroll_to_bottom(page)
    expect(cards).to_have_count(IMAGES)

    expect(page.get_by_test_id("feed-more")).to_have_count(0)
    assert page.evaluate("window.notReloaded === true")
    assert page.url == f"{site}/feed/"


def test_liking_a_card_in_the_feed_toggles_its_count_in_place(site: str, page: Page):
    seed_images(3)
    get_user_model().objects.create_user(username="sam", email="sam@example.com", password="a-long-secret-42")
    page.goto(f"{site}/accounts/login/?next=/feed/")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("a-long-secret-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}/feed/")
    page.evaluate("window.notReloaded = true")

    card = page.get_by_test_id("generation-card").first
    button = card.get_by_test_id("like-button")
    expect(card.get_by_test_id("like-count")).to_have_text("0")
    button.click()
    expect(card.get_by_test_id("like-count")).to_have_text("1")
    expect(card.get_by_test_id("like-button")).to_have_attribute("aria-pressed", "true")
    card.get_by_test_id("like-button").click()
    expect(card.get_by_test_id("like-count")).to_have_text("0")
    expect(card.get_by_test_id("like-button")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.notReloaded === true")
