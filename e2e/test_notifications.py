"""A person with unread notices sees the bell count, opens one and lands on its page; settings save in place."""

from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from marketplace.generations.models import Generation
from marketplace.notifications.models import Notification, NotificationSetting
from marketplace.notifications.services import notification_create
from marketplace.styles.models import Style

PASSWORD = "b-long-secret-77"


def seed():
    users = get_user_model().objects
    owner = users.create_user(username="bea", email="bea@example.com", password=PASSWORD, display_name="Bea")
    artist = users.create_user(username="lena", email="lena@example.com", password="x-long-secret-1", role="artist")
    style = Style.objects.create(
        artist=artist, name="Teal Study", slug="teal-study", price_per_generation=3, commercial_use=True,
        credit_required=False, training_status="completed",
    )
    image = Generation.objects.create(
        user=owner, style=style, prompt="harbour at dawn", aspect_ratio="1:1", seed=1, cost=3,
        status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC, image="generations/out.png",
    )
    return owner, image


def log_in(page: Page, site: str, email: str, next_url: str = "/") -> None:
    page.goto(f"{site}/accounts/login/?next={next_url}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}{next_url}")


def test_the_bell_counts_unread_and_opening_a_notice_lands_on_its_page(site: str, page: Page):
    owner, image = seed()
    noor = get_user_model().objects.create_user(username="noor", email="noor@example.com", password="n-secret-123",
                                                display_name="Noor")
    sam = get_user_model().objects.create_user(username="sam", email="sam@example.com", password="s-secret-123",
                                               display_name="Sam")
    for fan in (sam, noor):
        notification_create(
            recipient=owner, actor=fan, kind=Notification.Kind.LIKE, subject="harbour at dawn",
            link=image.get_absolute_url(), group_key=f"like:{image.pk}",
        )
    notification_create(recipient=owner, actor=sam, kind=Notification.Kind.FOLLOW, message="Sam started following you.",
                        link=sam.get_absolute_url())

    log_in(page, site, "bea@example.com", "/feed/")
    bell = page.locator("#notification-bell")
    expect(bell.get_by_test_id("unread-count")).to_have_text("2")
    expect(bell).to_have_attribute("aria-label", "2 unread notifications")

    bell.click()
    page.wait_for_url(f"{site}/notifications/")
    notices = page.get_by_test_id("notification")
    expect(notices).to_have_count(2)
    grouped = notices.filter(has_text="Noor and 1 other liked your image “harbour at dawn”.")
    expect(grouped).to_have_class("unread")
    grouped.get_by_role("link").click()

    page.wait_for_url(f"{site}{image.get_absolute_url()}")
    expect(page.locator("#notification-bell").get_by_test_id("unread-count")).to_have_text("1")

    # A notice that arrives while the page is open shows up on the next notificationsChanged, without a reload.
    page.evaluate("window.notReloaded = true")
    notification_create(recipient=owner, kind=Notification.Kind.SYSTEM, message="Welcome to the community!")
    page.evaluate("htmx.trigger(document.body, 'notificationsChanged')")
    expect(page.locator("#notification-bell").get_by_test_id("unread-count")).to_have_text("2")

    # Marking all read on the list empties the badge in place.
    page.goto(f"{site}/notifications/")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#notification-bell").get_by_test_id("unread-count")).to_have_count(0)
    expect(page.locator("#notification-list .unread")).to_have_count(0)
    assert page.evaluate("window.notReloaded === true")


def test_unticking_a_box_in_settings_saves_in_place(site: str, page: Page):
    owner, _image = seed()
    log_in(page, site, "bea@example.com", "/account/profile/")
    page.get_by_role("button", name="Notification settings").click()  # a link styled as a button
    page.wait_for_url(f"{site}/notifications/settings/")
    page.evaluate("window.notReloaded = true")

    likes = page.get_by_label("Likes on your images: in the app")
    expect(likes).to_be_checked()
    likes.uncheck()
    page.get_by_label("Training completed: by email").check()
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_role("status")).to_have_text("Saved")  # the page's live region, announced
    expect(page.get_by_test_id("settings-saved")).to_be_visible()
    expect(page.get_by_label("Likes on your images: in the app")).not_to_be_checked()
    expect(page.get_by_label("Training completed: by email")).to_be_checked()
    assert page.evaluate("window.notReloaded === true")
    saved = {s.kind: (s.in_app, s.email) for s in NotificationSetting.objects.filter(user=owner)}
    assert saved[Notification.Kind.LIKE] == (False, False)
    assert saved[Notification.Kind.TRAINING_COMPLETE] == (True, True)
