"""The header on a phone: one row (wordmark, balance, bell, Menu), the links behind a disclosure button that
works from the keyboard; on a desktop the links stand in the bar."""

from playwright.sync_api import Page, expect

from marketplace.accounts.models import User
from marketplace.accounts.services import user_grant_welcome_bonus

PASSWORD = "a-long-secret-42"


def test_a_phone_opens_the_menu_from_the_keyboard_and_escape_closes_it(site: str, page: Page, db):
    buyer = User.objects.create_user(username="ines", email="ines@example.com", password=PASSWORD)
    user_grant_welcome_bonus(user=buyer)
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill("ines@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}/")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    catalog = nav.get_by_role("link", name="Catalog")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(catalog).to_be_hidden()
    expect(page.get_by_test_id("token-balance")).to_be_visible()  # the balance stays in the bar
    # One row, not three: the wordmark, the balance and the button side by side.
    middles = [box["y"] + box["height"] / 2 for box in (
        nav.get_by_role("link", name="Atelier").bounding_box(), page.get_by_test_id("token-balance").bounding_box(),
        menu.bounding_box(),
    )]
    assert max(middles) - min(middles) < 16, middles
    assert page.locator("header.site-header").bounding_box()["height"] < 110

    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(catalog).to_be_visible()
    page.keyboard.press("Tab")
    expect(catalog).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(catalog).to_be_hidden()

    page.keyboard.press("Space")
    expect(catalog).to_be_visible()
    catalog.click()
    expect(page).to_have_url(f"{site}/styles/")


def test_a_desktop_shows_the_links_and_no_menu_button(site: str, page: Page):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(site)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Catalog")).to_be_visible()
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    expect(nav.get_by_role("button", name="Menu")).to_be_hidden()
