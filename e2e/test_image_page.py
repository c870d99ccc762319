"""A signed-in visitor on someone's image: likes it, writes a comment while the counter follows, posts it
without a reload, loads the rest of the comments, and copies the link."""

import io

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import Page, expect

from marketplace.community.models import Comment
from marketplace.community.services import counters_recount
from marketplace.generations.models import Generation
from marketplace.styles.models import Style


def seed_image(comments: int = 0) -> Generation:
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password="x-long-secret-1", role="artist")
    maker = users.create_user(username="noor", email="noor@example.com", password="x-long-secret-2",
                              display_name="Noor")
    style = Style.objects.create(
        artist=artist, name="Teal Study", slug="teal-study", price_per_generation=3, commercial_use=True,
        credit_required=False, training_status="completed",
    )
    image = Generation.objects.create(
        user=maker, style=style, prompt="lighthouse, dusk", aspect_ratio="1:1", seed=7, cost=3,
        status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC, image="generations/out.png",
    )
    Comment.objects.bulk_create(Comment(user=artist, generation=image, body=f"older {n}") for n in range(comments))
    counters_recount(Generation.objects.filter(pk=image.pk))  # bulk rows skip the services that keep the count
    users.create_user(username="sam", email="sam@example.com", password="a-long-secret-42", display_name="Sam")
    return image


def log_in(page: Page, site: str, next_url: str) -> None:
    page.goto(f"{site}/accounts/login/?next={next_url}")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("a-long-secret-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}{next_url}")


def test_a_visitor_likes_comments_and_copies_the_link_without_a_reload(site: str, page: Page):
    image = seed_image(comments=21)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, site, image.get_absolute_url())
    page.evaluate("window.notReloaded = true")
    expect(page.get_by_test_id("image-maker")).to_have_text("Noor")
    expect(page.get_by_test_id("image-style")).to_have_text("Teal Study")

    # The like toggles in place.
    expect(page.get_by_test_id("like-count")).to_have_text("0")
    page.get_by_test_id("like-button").click()
    expect(page.get_by_test_id("like-count")).to_have_text("1")
    expect(page.get_by_test_id("like-button")).to_have_attribute("aria-pressed", "true")

    comments = page.get_by_test_id("comment")
    expect(comments).to_have_count(20)  # the oldest twenty of 21
    expect(page.get_by_test_id("comment-count")).to_have_text("21 comments")

    # The counter follows the typing; the comment lands at the end, the form empties, the count goes up.
    box = page.get_by_label("Add a comment")
    expect(page.get_by_test_id("comment-counter")).to_have_text("0 / 500")
    box.press_sequentially("Lovely light")
    expect(page.get_by_test_id("comment-counter")).to_have_text("12 / 500")
    page.get_by_test_id("comment-submit").click()
    expect(comments).to_have_count(21)
    expect(comments.last.get_by_test_id("comment-body")).to_have_text("Lovely light")
    expect(page.get_by_test_id("comment-count")).to_have_text("22 comments")
    expect(page.get_by_label("Add a comment")).to_have_value("")
    expect(page.get_by_test_id("comment-counter")).to_have_text("0 / 500")

    # The older ones load above it; the new comment is still last, and there once.
    page.get_by_test_id("comments-more").click()
    expect(comments).to_have_count(22)
    expect(page.get_by_test_id("comments-more")).to_have_count(0)
    expect(comments.nth(20).get_by_test_id("comment-body")).to_have_text("older 20")
    expect(comments.last.get_by_test_id("comment-body")).to_have_text("Lovely light")
    expect(page.get_by_text("Lovely light")).to_have_count(1)

    # A comment of only spaces is refused next to the form.
    page.get_by_label("Add a comment").fill("   ")
    page.get_by_test_id("comment-submit").click()
    expect(page.get_by_test_id("comment-error")).to_have_text("Write something before posting.")
    expect(comments).to_have_count(22)

    # Copy link says it worked, and the clipboard holds the page's address.
    page.get_by_test_id("copy-link").click()
    expect(page.get_by_test_id("copy-link-feedback")).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{site}{image.get_absolute_url()}"

    assert page.evaluate("window.notReloaded === true")
    assert Comment.objects.filter(body="Lovely light", user__username="sam").exists()


def test_on_a_desktop_the_picture_fits_the_screen_beside_its_sidebar_with_comments_under_it(site: str, page: Page):
    image = seed_image(comments=2)
    portrait = io.BytesIO()
    Image.new("RGB", (512, 1024), (20, 120, 130)).save(portrait, "PNG")
    image.aspect_ratio = "1:2"
    image.image.save("portrait.png", ContentFile(portrait.getvalue()), save=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{site}{image.get_absolute_url()}")

    picture = page.locator(".image-main img")
    expect(picture).to_have_js_property("complete", True)
    shown, sidebar = picture.bounding_box(), page.locator(".image-sidebar").bounding_box()
    comments = page.get_by_test_id("comment-count").bounding_box()
    # A 1:2 portrait is shown whole within the window's height, not two screens tall.
    assert shown["height"] <= 800 - 48, shown
    # The sidebar beside the picture; the comments under it, in its column, not under both.
    assert sidebar["x"] >= shown["x"] + shown["width"] and sidebar["y"] < shown["y"] + 50
    assert comments["y"] > shown["y"] + shown["height"] and comments["x"] < sidebar["x"]
