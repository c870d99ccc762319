"""An anonymous visitor gets the image page from the whole-page cache, with no cookie and no token in it; once
signed in, the same page is their own and a like goes out with the CSRF token that atelier.js reads from the cookie."""

from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from e2e.test_community import PASSWORD, image, log_in
from marketplace.styles.models import Style


def test_anonymous_page_from_the_cache_then_a_signed_in_like_with_the_cookie_token(site: str, page: Page, settings):
    settings.ANON_PAGE_CACHE_SECONDS = 10
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password=PASSWORD, role="artist")
    users.create_user(username="ama", email="ama@example.com", password=PASSWORD, display_name="Ama")
    style = Style.objects.create(
        artist=artist, name="Harbour Ink", slug="harbour-ink", price_per_generation=3, commercial_use=True,
        credit_required=False, training_status="completed",
    )
    shared = image(artist, style, "lighthouse, dusk")
    url = f"{site}{shared.get_absolute_url()}"

    assert page.goto(url).headers["x-cache"] == "miss"
    again = page.goto(url)
    assert again.headers["x-cache"] == "hit"
    assert "csrfmiddlewaretoken" not in page.content()
    assert page.context.cookies() == []
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()

    log_in(page, site, "ama@example.com")
    mine = page.goto(url)
    assert "x-cache" not in mine.headers
    expect(page.locator("summary", has_text="Ama")).to_be_visible()
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    with page.expect_request(lambda r: r.method == "POST" and "/like" in r.url) as liked:
        page.get_by_test_id("like-button").click()
    assert liked.value.headers.get("x-csrftoken") == cookie
    assert liked.value.headers.get("hx-request") == "true"
    expect(page.get_by_test_id("like-count")).to_have_text("1")
