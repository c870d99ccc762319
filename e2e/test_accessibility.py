"""The accessibility gate: axe-core (bundled by axe-playwright-python, nothing downloaded) on every main page,
anonymous and signed in, at a desktop width and a phone width: no serious or critical violation, and no page
wider than the phone's screen."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from marketplace.accounts.models import User
from marketplace.accounts.services import user_grant_welcome_bonus
from marketplace.community.services import comment_create
from marketplace.generations.models import Generation
from marketplace.ledger.services import ledger_credit_earning
from marketplace.styles.models import Style

PASSWORD = "a-long-secret-42"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
BLOCKING = {"serious", "critical"}
AXE = Axe()
# What sticks out past the right edge, or overflows a box that does not scroll (what to fix on a too-wide page).
WIDEST = """[...document.querySelectorAll('body *')]
  .map(e => [e.getBoundingClientRect().right, e.scrollWidth - e.clientWidth, e])
  .filter(([right, scroll, e]) => right > window.innerWidth + 1
                                  || (scroll > 0 && getComputedStyle(e).overflowX === 'visible'))
  .slice(0, 4).map(([right, scroll, e]) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                                          + ' right ' + Math.round(right) + ' overflows ' + scroll)"""


@pytest.fixture
def pages(db):
    """A small live site: an artist with a live style, a buyer with an image and a comment on it."""
    artist = User.objects.create_user(username="mira", email="mira@example.com", password=PASSWORD,
                                      role=User.Role.ARTIST, display_name="Mira Okafor")
    buyer = User.objects.create_user(username="ines", email="ines@example.com", password=PASSWORD)
    user_grant_welcome_bonus(user=buyer)
    style = Style.objects.create(
        artist=artist, name="Harbour Ink", slug="harbour-ink", price_per_generation=3, commercial_use=True,
        credit_required=False, training_status="completed", description="Ink harbours at dawn.",
    )
    image = Generation.objects.create(
        user=buyer, style=style, prompt="a heron, dusk", aspect_ratio="1:1", seed=1, cost=3,
        status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC,
    )
    ledger_credit_earning(generation=image)  # the earnings page with its chart, its words and its table
    comment_create(user=artist, generation_id=image.pk, body="Lovely light.")
    public = {
        "home": "/", "catalog": "/styles/", "catalog table": "/styles/?view=table&sort=price",
        "style": style.get_absolute_url(), "feed": "/feed/", "image": image.get_absolute_url(),
        "artist": "/artists/mira/",
    }
    buyer_pages = {
        **public, "generate": "/generate/", "notifications": "/notifications/", "wallet": "/wallet/",
        "my images": "/generations/",
    }
    artist_pages = {
        "studio": "/studio/", "upload": "/studio/new/", "status": f"/studio/styles/{style.pk}/",
        "earnings": "/wallet/earnings/",
    }
    return {"public": public, "ines@example.com": buyer_pages, "mira@example.com": artist_pages}


def log_in(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}/")


def problems(page: Page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    # Measured before axe runs: its checks scroll and restyle elements.
    wide = []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        widest = page.evaluate(WIDEST)
        wide.append(f"{url}: {overflow} px wider than the {page.viewport_size['width']} px screen: {widest}")
    return wide + [
        f"{url}: {violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in AXE.run(page).response["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages_have_no_serious_violations_and_fit_the_screen(site: str, page: Page, pages, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    found = [problem for url in pages["public"].values() for problem in problems(page, site + url)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("email", ["ines@example.com", "mira@example.com"])
@pytest.mark.parametrize("width", WIDTHS)
def test_signed_in_pages_have_no_serious_violations_and_fit_the_screen(site: str, page: Page, pages, width, email):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    log_in(page, site, email)
    found = [problem for url in pages[email].values() for problem in problems(page, site + url)]
    assert not found, "\n".join(found)
