"""An artist uploads a training set, watches it train, and is notified."""

import re

from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from marketplace.core.testing import imagefiles


def log_in(page: Page, site: str, email: str, password: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("token-balance")).to_be_visible()



def upload_watching_the_progress_bar(page: Page) -> None:
    """Click upload, recording what the progress bar shows (sessionStorage outlives the redirect that follows)."""
    page.evaluate(
        """document.addEventListener('htmx:xhr:progress', () => {
             const bar = document.querySelector('[data-upload-progress]');
             const seen = JSON.parse(sessionStorage.getItem('progress') || '[]');
             const status = document.querySelector('[data-upload-status]').textContent;
             seen.push({visible: !bar.hidden, value: bar.value, status: status});
             sessionStorage.setItem('progress', JSON.stringify(seen));
           })"""
    )
    page.get_by_role("button", name="Upload and start training").click()


def assert_the_progress_bar_showed_the_upload(page: Page, files: int) -> None:
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('progress') || '[]')")
    assert seen and all(step["visible"] for step in seen) and seen[-1]["value"] == 100
    # Once all is sent, it says what the server is doing rather than sitting at 100 %.
    assert seen[-1]["status"] == f"Uploaded. Checking {files} images…", seen[-1]

def log_in_as_new_artist(page: Page, site: str, name: str) -> None:
    email = f"{name.lower()}@example.com"
    get_user_model().objects.create_user(
        username=name.lower(), email=email, password="a-long-secret-42", role="artist", display_name=name
    )
    log_in(page, site, email, "a-long-secret-42")


def test_artist_uploads_watches_training_and_sees_notification(site: str, page: Page, reference_worker):
    log_in_as_new_artist(page, site, "Iris")

    page.goto(f"{site}/studio/new/")
    page.get_by_label("Name").fill("Harbour Fog")
    page.get_by_label("Tags").fill("fog, Harbour")
    page.get_by_label("Price per image (tokens)").fill("4")
    page.get_by_role("group", name=re.compile("commercially")).get_by_label("No").check()
    page.get_by_role("group", name=re.compile("credit you")).get_by_label("Yes").check()

    images = page.get_by_label("Training images")
    images.set_input_files([
        {"name": f"fog{i}.png", "mimeType": "image/png", "buffer": imagefiles.png(colour=(90 + i, 110, 120))}
        for i in range(3)
    ])
    # The browser checks the set before sending anything.
    expect(page.locator("[data-upload-errors]")).to_contain_text("needs 10 to 100 images; you chose 3")
    page.get_by_role("button", name="Upload and start training").click()
    expect(page.locator("[data-upload-progress]")).to_be_hidden()

    # Choosing again adds to the set rather than starting over.
    images.set_input_files([
        {"name": f"fog{i}.png", "mimeType": "image/png", "buffer": imagefiles.png(colour=(90 + i, 110, 120))}
        for i in range(3, 12)
    ])
    expect(page.locator("[data-upload-errors]")).to_be_empty()
    expect(page.locator("[data-upload-grid] li")).to_have_count(12)
    upload_watching_the_progress_bar(page)

    expect(page).to_have_url(re.compile(r"/studio/styles/\d+/$"), timeout=20_000)
    assert_the_progress_bar_showed_the_upload(page, 12)
    expect(page.get_by_test_id("training-status")).to_have_text("Completed", timeout=60_000)
    expect(page.get_by_role("button", name="See it in the catalog")).to_be_visible()

    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    page.get_by_role("link", name=re.compile("unread notification")).click()
    expect(page.get_by_text("Your style model Harbour Fog is ready!")).to_be_visible()
