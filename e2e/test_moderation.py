"""Someone reports a style from its page; a moderator hides it from the admin's queue after saying why;
it leaves the catalog and its artist is told the reason."""

import re

from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from marketplace.notifications.models import Notification
from marketplace.styles.models import Style


def log_in(page: Page, site: str, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)


def test_a_reported_style_is_hidden_by_a_moderator(site: str, page: Page):
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password="x-long-secret-1", role="artist")
    users.create_user(username="sam", email="sam@example.com", password="a-long-secret-42")
    users.create_user(username="mo", email="mo@example.com", password="mod-secret-4242", is_staff=True,
                      is_superuser=True)
    style = Style.objects.create(
        artist=artist, name="Copied Koi", slug="copied-koi", price_per_generation=3, commercial_use=True,
        credit_required=False, training_status="completed",
    )

    log_in(page, site, "sam@example.com", "a-long-secret-42")
    page.goto(f"{site}{style.get_absolute_url()}")
    page.get_by_test_id("report-link").click()
    expect(page.get_by_test_id("reported-object")).to_contain_text("Copied Koi")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Stolen art").check()
    page.get_by_label(re.compile("Anything the moderators should know")).fill("These are Ama's koi paintings.")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_test_id("report-done")).to_contain_text("Thank you.")
    assert page.evaluate("window.notReloaded === true")  # confirmed in place
    page.reload()
    expect(page.get_by_test_id("report-already")).to_be_visible()

    log_in(page, site, "mo@example.com", "mod-secret-4242")
    page.goto(f"{site}/admin/community/report/")
    row = page.get_by_test_id("queue-row").filter(has_text="Copied Koi")
    expect(row.get_by_test_id("report-count")).to_have_text("1")
    expect(row).to_contain_text("Stolen art")
    expect(row).to_contain_text("These are Ama's koi paintings.")
    row.get_by_role("link", name="Hide…").click()
    expect(page.get_by_label("Why?")).to_have_attribute("required", "")  # never without a reason
    page.get_by_label("Why?").fill("The training set is another artist's work.")
    page.get_by_role("button", name="Yes, hide it").click()
    expect(page.locator(".messagelist")).to_contain_text("is hidden; its owner has been told why.")
    expect(page.get_by_test_id("queue-empty")).to_be_visible()

    log_in(page, site, "sam@example.com", "a-long-secret-42")
    page.goto(f"{site}/styles/")
    expect(page.get_by_text("Copied Koi")).to_have_count(0)
    assert page.goto(f"{site}{style.get_absolute_url()}").status == 404
    notice = Notification.objects.get(recipient=artist, kind=Notification.Kind.MODERATION)
    assert "The training set is another artist's work." in notice.message
