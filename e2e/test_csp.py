"""Every main page under the ENFORCED Content-Security-Policy, with nothing the browser refuses.

The live server answers with production's policy (settings.CONTENT_SECURITY_POLICY as SECURE_CSP). Chromium
reports each refusal twice: a `securitypolicyviolation` event (listened to from an init script, which the
policy does not block) and a console message; htmx reports an expression it was asked to evaluate with
`htmx:evalDisallowedError`. Any of them, or a script error, fails the journey.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from e2e.test_training import assert_the_progress_bar_showed_the_upload, upload_watching_the_progress_bar
from marketplace.core.testing import imagefiles
from marketplace.core.tests.test_headers import production_settings
from marketplace.ledger.services import ledger_credit
from marketplace.styles.models import Style, Tag
from worker.signature import dump_signature, learn_signature

REPORTER = """
(() => {
  const report = (text) => console.error("[csp-journey] " + text);
  document.addEventListener("securitypolicyviolation", (event) => report(
    "securitypolicyviolation " + event.effectiveDirective + " blocked " + (event.blockedURI || "inline")
    + " at " + event.documentURI));
  document.addEventListener("htmx:evalDisallowedError", (event) => report(
    "htmx:evalDisallowedError on " + (event.target && event.target.outerHTML || "").slice(0, 120)));
})();
"""
PROBLEM = re.compile(r"\[csp-journey\]|Content Security Policy|Permissions-Policy|Unrecognized feature", re.I)


class Problems(list):
    def watch(self, page: Page) -> None:
        page.add_init_script(REPORTER)
        page.on("console", lambda message: PROBLEM.search(message.text) and self.append(message.text))
        page.on("pageerror", lambda error: self.append(f"script error: {error}"))


@pytest.fixture
def enforced(settings):
    settings.SECURE_CSP = settings.CONTENT_SECURITY_POLICY
    settings.SECURE_CSP_REPORT_ONLY = {}


@pytest.fixture
def problems(page: Page, enforced) -> Problems:
    found = Problems()
    found.watch(page)
    return found


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"]


def settled(page: Page) -> None:
    """htmx wires up swapped-in content when it settles (20 ms later); a change before that goes unheard."""
    page.wait_for_function("() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-request')")


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def log_in(page: Page, site: str, email: str) -> None:
    page.context.clear_cookies()
    visit(page, f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a-long-secret-42")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("token-balance")).to_be_visible()


def live_style(artist, name: str, tags: list[str], artefact: bytes, price: int = 3) -> Style:
    style = Style.objects.create(
        artist=artist, name=name, slug=name.lower().replace(" ", "-"), price_per_generation=price,
        commercial_use=True, credit_required=False, training_status="completed", trained_at=timezone.now(),
    )
    style.tags.set([Tag.objects.get_or_create(name=tag)[0] for tag in tags])
    style.model_path.save(f"style-{style.pk}.json", ContentFile(artefact))
    return style


def test_the_journey_breaks_no_rule_of_the_enforced_policy(site: str, page: Page, problems, reference_worker):
    users = get_user_model().objects
    artist = users.create_user(username="lena", email="lena@example.com", password="a-long-secret-42",
                               role="artist", display_name="Lena")
    buyer = users.create_user(username="sam", email="sam@example.com", password="a-long-secret-42")
    ledger_credit(user_id=buyer.pk, amount=20, kind="welcome", reason="hi", idempotency_key="w")
    signature = dump_signature(learn_signature([imagefiles.png(colour=(20, 140, 150))]))
    teal = live_style(artist, "Teal Study", ["watercolor", "portrait"], signature)
    ink = live_style(artist, "Ink Lake", ["ink", "landscape"], signature, price=5)

    # The listener works and the policy is enforced: an injected inline style is refused and reported.
    visit(page, f"{site}/")
    with page.expect_console_message(lambda message: "[csp-journey] securitypolicyviolation style-src" in message.text):
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<b id=canary style=\"color: red\">x</b>')")
    expect(page.locator("#canary")).not_to_have_css("color", "rgb(255, 0, 0)")
    assert any("securitypolicyviolation style-src" in text for text in problems), problems
    problems.clear()

    for path in ("/", "/accounts/signup/", "/accounts/login/", "/accounts/password/reset/", "/feed/",
                 teal.get_absolute_url(), f"/artists/{artist.username}/"):
        visit(page, site + path)

    # The catalog: suggestions (q without hx-vals js:), a filter (empty fields left out), a choice that
    # applies at once (hx-trigger without a [filter]).
    visit(page, f"{site}/styles/")
    page.evaluate("window.samePage = true")
    page.get_by_text("More filters").click()
    tags = page.get_by_label("With all of these tags")
    tags.fill("watercolor, por")
    expect(page.locator("#tag-suggestions option")).to_have_attribute("value", "watercolor, portrait")
    tags.fill("watercolor")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#style-list .style-card h3")).to_have_text(["Teal Study"])
    assert query(page) == {"sort": ["newest"], "tags": ["watercolor"], "view": ["grid"]}
    page.get_by_label("Table").check()
    expect(page).to_have_url(re.compile(r"view=table"))
    expect(page.get_by_test_id("style-row")).to_have_count(1)
    page.get_by_label("Sort by").select_option("price")
    expect(page).to_have_url(re.compile(r"sort=price\b"))
    assert page.evaluate("window.samePage === true")

    visit(page, f"{site}/tags/")
    page.locator("#find-tags").fill("la")
    expect(page.locator("#tag-suggestions option")).to_have_attribute("value", "landscape")

    # A buyer: the live price, a job card polling until the image is done, the image page, the feed's filter.
    log_in(page, site, "sam@example.com")
    visit(page, f"{site}/generate/?style={teal.pk}")
    expect(page.get_by_test_id("generation-cost")).to_contain_text("Costs 3 tokens.")
    for change, price in ((lambda: page.get_by_label(re.compile("1:2 portrait")).check(), 6),
                          (lambda: page.get_by_label("Style").select_option(str(ink.pk)), 10),
                          (lambda: page.get_by_label("Style").select_option(str(teal.pk)), 6)):
        change()
        expect(page.get_by_test_id("generation-cost")).to_contain_text(f"Costs {price} tokens.")
        settled(page)
    page.get_by_label("Prompt tags").fill("lighthouse, dusk")
    page.get_by_role("button", name="Generate").click()
    card = page.locator(".job-card").first
    expect(card.get_by_test_id("job-status")).to_have_text("Completed", timeout=60_000)
    expect(page.get_by_test_id("token-balance")).to_have_text("14")
    card.get_by_test_id("job-actions").get_by_role("button", name="Publish to feed").click()
    expect(card.get_by_role("button", name="Withdraw from feed")).to_be_visible()
    card.get_by_role("button", name="Open").click()
    expect(page.get_by_test_id("image-page")).to_be_visible()
    expect(page.get_by_test_id("image-page").locator("img").first).to_have_js_property("complete", True)
    page.get_by_label("Add a comment").fill("Lovely light")
    expect(page.get_by_test_id("comment-counter")).to_have_text("12 / 500")
    image_url = page.url

    visit(page, f"{site}/feed/")
    page.get_by_text("Filter by tags").click()
    page.locator("#feed form").get_by_label("With all of these tags").fill("lighthouse")
    page.locator("#feed form").get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"tags=lighthouse"))
    assert query(page) == {"tags": ["lighthouse"]}
    expect(page.get_by_test_id("generation-card")).to_have_count(1)

    visit(page, f"{site}/wallet/")
    page.get_by_role("button", name=re.compile("Buy 100 tokens")).click()
    expect(page.get_by_test_id("token-balance")).to_have_text("114")
    for path in ("/notifications/", "/notifications/settings/", "/generations/", "/following/", "/account/profile/",
                 "/account/profile/edit/", "/accounts/email/", "/accounts/password/change/", "/studio/become-artist/"):
        visit(page, site + path)

    # The artist: the studio, an upload with its progress bar, training polled until done; a report.
    log_in(page, site, "lena@example.com")
    visit(page, f"{site}/studio/")
    visit(page, f"{site}/wallet/earnings/")
    visit(page, f"{site}/studio/new/")
    page.get_by_label("Name").fill("Harbour Fog")
    # The tag field's own htmx request (suggestions) is no upload: no check of the images, no progress bar.
    page.get_by_label("Tags").fill("fog, water")
    expect(page.locator("#tag-suggestions option")).to_have_attribute("value", "fog, watercolor")
    expect(page.locator("[data-upload-progress]")).to_be_hidden()
    expect(page.locator("[data-upload-errors]")).to_be_empty()
    expect(page.locator("[data-upload-submit]")).not_to_have_attribute("aria-busy", "true")
    page.get_by_label("Price per image (tokens)").fill("4")
    page.get_by_role("group", name=re.compile("commercially")).get_by_label("No").check()
    page.get_by_role("group", name=re.compile("credit you")).get_by_label("Yes").check()
    page.get_by_label("Training images").set_input_files([
        {"name": f"fog{i}.png", "mimeType": "image/png", "buffer": imagefiles.png(colour=(90 + i, 110, 120))}
        for i in range(10)
    ])
    upload_watching_the_progress_bar(page)
    expect(page).to_have_url(re.compile(r"/studio/styles/\d+/$"), timeout=20_000)
    assert_the_progress_bar_showed_the_upload(page, 10)
    expect(page.get_by_test_id("training-status")).to_have_text("Completed", timeout=60_000)

    visit(page, image_url)
    page.get_by_test_id("report-link").click()
    # 12rem from atelier.css (.report-page .card-thumb), no longer a style attribute.
    expect(page.get_by_test_id("reported-object").locator("img")).to_have_css("max-width", re.compile(r"^\d+px$"))

    assert problems == []


def test_the_admin_works_under_the_enforced_policy(site: str, page: Page, problems):
    users = get_user_model().objects
    users.create_superuser(username="root", email="root@example.com", password="a-long-secret-42")
    artist = users.create_user(username="lena", email="lena@example.com", password="a-long-secret-42",
                               role="artist")
    style = live_style(artist, "Teal Study", ["ink"], b"{}")
    log_in(page, site, "root@example.com")

    for path in ("/admin/", "/admin/styles/style/", f"/admin/styles/style/{style.pk}/change/",
                 "/admin/community/report/hidden/", "/admin/generations/generation/", "/admin/accounts/user/"):
        visit(page, site + path)
    # The changelist's select-all box is the admin's own script (actions.js) at work.
    visit(page, f"{site}/admin/styles/style/")
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()
    visit(page, f"{site}/admin/community/report/")
    expect(page.locator(".moderation-tabs")).to_have_css("position", "static")  # static/css/admin.css

    assert problems == []


@pytest.mark.parametrize("configured", [True, False], ids=["google-configured", "google-not-in-policy"])
def test_continue_with_google_leaves_only_when_the_policy_lets_the_form_go_there(
    site: str, page: Page, settings, problems, configured
):
    """The button posts here and allauth redirects to Google: Chromium checks form-action on that redirect too."""
    settings.GOOGLE_CLIENT_ID = "csp-client-id"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "csp-client-id", "secret": "csp-secret", "key": ""}]}
    }
    production = production_settings(**({"GOOGLE_CLIENT_ID": "csp-client-id"} if configured else {}))
    settings.SECURE_CSP = production["SECURE_CSP"]
    # Google itself is outside the project: its sign-in page is a stand-in.
    page.route("https://accounts.google.com/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<title>Sign in - Google Accounts</title>"))

    visit(page, f"{site}/accounts/login/")
    if configured:
        page.get_by_role("button", name="Continue with Google").click()
        page.wait_for_url(re.compile(r"^https://accounts\.google\.com/o/oauth2/"))
        assert "client_id=csp-client-id" in page.url
        assert problems == []
    else:
        with page.expect_console_message(lambda message: "form-action" in message.text):
            page.get_by_role("button", name="Continue with Google").click()
        assert not page.url.startswith("https://accounts.google.com")
        assert any("form-action" in text for text in problems)
