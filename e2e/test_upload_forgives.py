"""Choosing a training set forgives mistakes: thumbnails as files are chosen or dropped, each bad file
marked with its reason and removable, and a refusal by the server keeps the good files chosen."""

import base64
import io
import re

from PIL import Image
from playwright.sync_api import Page, expect

from e2e.test_training import log_in_as_new_artist
from marketplace.core.testing import imagefiles
from marketplace.styles.models import Style


def png(name: str, shade: int, size=(320, 320)) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": imagefiles.png(size=size, colour=(shade, 90, 140))}


def gif_named_png(name: str) -> dict:
    """A GIF the browser shows happily: only the server, which reads the content, can tell."""
    out = io.BytesIO()
    Image.new("RGB", (320, 320), (200, 40, 40)).save(out, "GIF")
    return {"name": name, "mimeType": "image/png", "buffer": out.getvalue()}


def drop_files(page: Page, files: list[dict]) -> None:
    """Drops files on the drop area as a person dragging them from their desktop would."""
    transfer = page.evaluate_handle(
        """files => {
             const transfer = new DataTransfer();
             for (const f of files) {
               const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
               transfer.items.add(new File([bytes], f.name, {type: f.type}));
             }
             return transfer;
           }""",
        [{"name": f["name"], "type": f["mimeType"], "data": base64.b64encode(f["buffer"]).decode()}
         for f in files],
    )
    page.dispatch_event("[data-upload-drop]", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("[data-upload-drop]", "drop", {"dataTransfer": transfer})


def tile(page: Page, name: str):
    return page.locator("[data-upload-grid] li", has_text=name)


def test_bad_files_are_marked_removed_and_a_refusal_keeps_the_rest(site: str, page: Page):
    log_in_as_new_artist(page, site, "Noor")
    page.goto(f"{site}/studio/new/")
    page.get_by_label("Name").fill("Salt Marsh")
    page.get_by_label("Price per image (tokens)").fill("3")
    page.get_by_role("group", name=re.compile("commercially")).get_by_label("Yes").check()
    page.get_by_role("group", name=re.compile("credit you")).get_by_label("No").check()
    expect(page.get_by_text("You can also drop images here.")).to_be_visible()

    # Eight good images and two the browser can judge: a PDF, and a picture too small to train on.
    page.get_by_label("Training images").set_input_files(
        [png(f"marsh{i}.png", 60 + i * 10) for i in range(8)]
        + [{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}, png("icon.png", 10, (100, 100))]
    )
    expect(page.locator("[data-upload-grid] li")).to_have_count(10)
    expect(tile(page, "marsh0.png").locator("img")).to_have_js_property("naturalWidth", 320)
    expect(tile(page, "notes.pdf")).to_contain_text("notes.pdf is not a JPEG or PNG image.")
    expect(tile(page, "icon.png")).to_contain_text(
        "icon.png is 100 × 100 pixels; the short side must be at least 256 px."
    )
    expect(tile(page, "marsh0.png").locator(".upload-file-problem")).to_be_hidden()

    page.get_by_role("button", name="Upload and start training").click()
    expect(page.locator("[data-upload-progress]")).to_be_hidden()  # nothing sent while a file is marked

    page.get_by_role("button", name="Remove notes.pdf").click()
    page.get_by_role("button", name="Remove icon.png").click()
    expect(page.locator("[data-upload-grid] li")).to_have_count(8)
    expect(page.locator("[data-upload-errors]")).to_contain_text("needs 10 to 100 images; you chose 8")

    # Two more dropped from the desktop, and one GIF named .png that only the server can refuse.
    drop_files(page, [png("marsh8.png", 150), png("marsh9.png", 160), gif_named_png("harbour.png")])
    expect(page.locator("[data-upload-grid] li")).to_have_count(11)
    expect(page.locator("[data-upload-errors]")).to_be_empty()
    page.get_by_role("button", name="Upload and start training").click()

    problems = page.get_by_test_id("upload-problems")
    expect(problems).to_contain_text("harbour.png is a GIF image; only JPEG and PNG are accepted.")
    expect(problems).to_contain_text("The other images are still chosen")
    # The form came back with what was typed and every file still chosen, the refused one marked.
    expect(page.get_by_label("Name")).to_have_value("Salt Marsh")
    expect(page.locator("[data-upload-grid] li")).to_have_count(11)
    expect(tile(page, "harbour.png")).to_have_class(re.compile("is-refused"))
    expect(tile(page, "marsh9.png")).not_to_have_class(re.compile("is-refused"))
    assert not Style.objects.exists()

    page.get_by_role("button", name="Remove harbour.png").click()
    page.get_by_role("button", name="Upload and start training").click()
    expect(page).to_have_url(re.compile(r"/studio/styles/\d+/$"), timeout=20_000)
    expect(page.get_by_text("Your training set of 10 images is uploaded.")).to_be_visible()
    style = Style.objects.get()
    assert style.name == "Salt Marsh" and style.training_images.count() == 10
