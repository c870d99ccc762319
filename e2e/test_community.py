"""Two people in two browsers: A likes, comments on and follows B's image; B's bell rises without a
reload and its notice leads to the image; A's Following tab shows what B publishes next."""

import re

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from playwright.sync_api import Browser, Page, expect

from marketplace.core.testing import imagefiles
from marketplace.generations.models import Generation
from marketplace.styles.models import Style

PASSWORD = "a-long-secret-42"


def image(owner, style, prompt, *, public=True, seed=1):
    generation = Generation.objects.create(
        user=owner, style=style, prompt=prompt, aspect_ratio="1:1", seed=seed, cost=3,
        status=Generation.Status.COMPLETED, visibility="public" if public else "private",
    )
    generation.image.save(f"g{generation.pk}.png", ContentFile(imagefiles.png(colour=(30, 90 + seed, 160))))
    return generation


def log_in(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)


def test_a_likes_comments_and_follows_b_who_sees_it_live(site: str, page: Page, browser: Browser, settings):
    settings.NOTIFICATION_POLL_SECONDS = 2
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password=PASSWORD, role="artist")
    b = users.create_user(username="ben", email="ben@example.com", password=PASSWORD, display_name="Ben")
    a = users.create_user(username="ama", email="ama@example.com", password=PASSWORD, display_name="Ama")
    style = Style.objects.create(
        artist=artist, name="Harbour Ink", slug="harbour-ink", price_per_generation=3, commercial_use=True,
        credit_required=False, training_status="completed",
    )
    shared = image(b, style, "lighthouse, dusk")
    later = image(b, style, "gulls over the pier", public=False, seed=2)
    assert a.pk != b.pk

    log_in(page, site, "ben@example.com")  # B, in the test's own browser context
    page.goto(f"{site}/feed/")
    page.evaluate("window.notReloaded = true")
    expect(page.get_by_test_id("unread-count")).to_have_count(0)

    other = browser.new_context()
    a_page = other.new_page()
    a_page.set_default_timeout(10_000)
    try:
        log_in(a_page, site, "ama@example.com")
        a_page.goto(f"{site}{shared.get_absolute_url()}")
        a_page.get_by_test_id("like-button").click()
        expect(a_page.get_by_test_id("like-count")).to_have_text("1")
        a_page.get_by_role("textbox", name="Add a comment").fill("The light on the water is perfect.")
        a_page.get_by_test_id("comment-submit").click()
        expect(a_page.get_by_test_id("comment-body").last).to_have_text("The light on the water is perfect.")
        a_page.get_by_test_id("follow-button").first.click()
        expect(a_page.get_by_test_id("follow-button").first).to_have_text(re.compile("Following"))

        # B's bell rises by itself: a like, a comment and a new follower, without a reload.
        expect(page.get_by_test_id("unread-count")).to_have_text("3", timeout=15_000)
        assert page.evaluate("window.notReloaded === true")

        page.get_by_role("link", name=re.compile("3 unread notifications")).click()
        notice = page.get_by_test_id("notification-link").filter(has_text="Ama liked your image")
        expect(notice).to_be_visible()
        notice.click()
        expect(page).to_have_url(re.compile(rf"/images/{shared.pk}/"))
        expect(page.get_by_test_id("unread-count")).to_have_text("2")

        # B publishes the next image; A's Following tab shows it.
        page.goto(f"{site}{later.get_absolute_url()}")
        page.get_by_role("button", name="Publish to feed").click()
        a_page.goto(f"{site}/feed/?tab=following")
        expect(a_page.get_by_test_id("feed-list").locator(f'a[href="{later.get_absolute_url()}"]').first).to_be_visible()
        expect(a_page.get_by_test_id("feed-list")).to_contain_text("made by Ben")
    finally:
        other.close()
