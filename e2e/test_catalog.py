import re
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone
from django.utils.text import slugify
from playwright.sync_api import Page, expect

from marketplace.styles.models import Style, Tag


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def live_style(artist, name: str, tags: list[str], price: int = 5) -> None:
    style = Style.objects.create(
        artist=artist,
        name=name,
        slug=slugify(name),
        price_per_generation=price,
        commercial_use=True,
        credit_required=False,
        training_status=Style.Status.COMPLETED,
        trained_at=timezone.now(),
    )
    style.tags.set([Tag.objects.get_or_create(name=tag)[0] for tag in tags])


def test_visitor_filters_by_two_tags_switches_to_the_table_and_goes_back(site: str, page: Page, django_user_model):
    artist = django_user_model.objects.create_user(username="lena", email="lena@example.com", password="x-long-secret")
    live_style(artist, "Harbour Portrait", ["watercolor", "portrait"], price=9)
    live_style(artist, "Misty Lake", ["watercolor", "landscape"])
    live_style(artist, "Ink Face", ["ink", "portrait"])
    live_style(artist, "Rainy Portrait", ["watercolor", "portrait", "rain"], price=4)
    cards = page.locator("#style-list .style-card h3")
    rows = page.get_by_test_id("style-row")

    page.goto(f"{site}/styles/")
    expect(cards).to_have_text(["Rainy Portrait", "Ink Face", "Misty Lake", "Harbour Portrait"])
    # Survives only if no step reloads the page.
    page.evaluate("window.catalogMarker = 'same page'")

    page.get_by_text("More filters").click()  # folded away so that the results start above the fold
    tags = page.get_by_label("With all of these tags")
    tags.fill("watercolor, por")
    expect(page.locator("#tag-suggestions option")).to_have_count(1)
    expect(page.locator("#tag-suggestions option")).to_have_attribute("value", "watercolor, portrait")
    tags.fill("watercolor, portrait")
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"view=grid"))
    assert query(page) == {"sort": ["newest"], "tags": ["watercolor, portrait"], "view": ["grid"]}
    expect(cards).to_have_text(["Rainy Portrait", "Harbour Portrait"])
    assert page.evaluate("window.catalogMarker") == "same page"

    page.get_by_label("Table").check()

    expect(page).to_have_url(re.compile(r"view=table"))
    assert query(page) == {"sort": ["newest"], "tags": ["watercolor, portrait"], "view": ["table"]}
    expect(rows.get_by_test_id("style-name")).to_have_text(["Rainy Portrait", "Harbour Portrait"])
    expect(cards).to_have_count(0)
    assert page.evaluate("window.catalogMarker") == "same page"

    page.go_back()

    expect(page).to_have_url(re.compile(r"view=grid"))
    assert query(page) == {"sort": ["newest"], "tags": ["watercolor, portrait"], "view": ["grid"]}
    expect(cards).to_have_text(["Rainy Portrait", "Harbour Portrait"])
    expect(rows).to_have_count(0)
    expect(tags).to_have_value("watercolor, portrait")
    expect(page.get_by_label("Cards")).to_be_checked()
    assert page.evaluate("window.catalogMarker") == "same page"

    page.get_by_label("Sort by").select_option("-price")

    expect(page).to_have_url(re.compile(r"sort=-price"))
    expect(cards).to_have_text(["Harbour Portrait", "Rainy Portrait"])
    assert page.evaluate("window.catalogMarker") == "same page"


def test_load_more_appends_the_next_styles_in_place(site: str, page: Page, django_user_model):
    artist = django_user_model.objects.create_user(
        username="kenji", email="kenji@example.com", password="x-long-secret"
    )
    for n in range(45):
        live_style(artist, f"Style {n:02d}", ["ink"])
    cards = page.locator("#card-grid .style-card h3")

    page.goto(f"{site}/styles/?tags=ink")
    expect(cards).to_have_count(20)
    page.evaluate("window.catalogMarker = 'same page'")

    page.get_by_role("button", name="Load more styles").click()
    expect(cards).to_have_count(40)
    page.get_by_role("button", name="Load more styles").click()
    expect(cards).to_have_count(45)

    expect(cards.last).to_have_text("Style 00")
    expect(page.get_by_role("button", name="Load more styles")).to_have_count(0)
    assert page.url == f"{site}/styles/?tags=ink"
    assert page.evaluate("window.catalogMarker") == "same page"
    assert page.evaluate("new Set([...document.querySelectorAll('#card-grid h3')].map(h => h.textContent)).size") == 45


def test_visitor_types_part_of_an_artist_name_picks_a_suggestion_and_the_grid_filters(
    site: str, page: Page, django_user_model
):
    lena = django_user_model.objects.create_user(
        username="lena", email="lena@example.com", password="x-long-secret", display_name="Lena Marsh"
    )
    oto = django_user_model.objects.create_user(
        username="oto", email="oto@example.com", password="x-long-secret", display_name="Oto Marlen"
    )
    live_style(lena, "Harbour Portrait", ["watercolor"])
    live_style(oto, "Neon Fox", ["neon"])
    live_style(lena, "Misty Lake", ["watercolor"])
    cards = page.locator("#style-list .style-card h3")

    page.goto(f"{site}/styles/")
    expect(cards).to_have_text(["Misty Lake", "Neon Fox", "Harbour Portrait"])
    page.evaluate("window.catalogMarker = 'same page'")

    page.get_by_text("More filters").click()
    artist = page.get_by_label("Artist")
    artist.press_sequentially("mars")
    suggestions = page.locator("#artist-suggestions option")
    expect(suggestions).to_have_count(1)
    expect(suggestions).to_have_attribute("value", "lena")
    expect(suggestions).to_have_text("Lena Marsh")
    # Picking an option of a <datalist> puts its value in the input; Chromium's native popup is out of
    # Playwright's reach, so the pick is made the way the popup makes it.
    artist.fill(suggestions.get_attribute("value"))
    artist.press("Enter")

    expect(page).to_have_url(re.compile(r"artist=lena"))
    assert query(page) == {"artist": ["lena"], "sort": ["newest"], "view": ["grid"]}
    expect(cards).to_have_text(["Misty Lake", "Harbour Portrait"])
    assert page.evaluate("window.catalogMarker") == "same page"

    page.goto(f"{site}/styles/?artist_id={oto.pk}")
    expect(artist).to_have_value("oto")
    expect(cards).to_have_text(["Neon Fox"])


def test_the_first_style_is_above_the_fold_on_a_desktop_and_a_phone_and_chips_remove_filters(
    site: str, page: Page, django_user_model
):
    artist = django_user_model.objects.create_user(username="lena", email="lena@example.com", password="x-long-secret")
    live_style(artist, "Harbour Portrait", ["watercolor", "portrait"], price=9)
    live_style(artist, "Ink Face", ["ink", "portrait"])
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{site}/styles/")
        first = page.locator("#style-list .style-card").first
        expect(first).to_be_visible()
        assert first.bounding_box()["y"] < height - 100, (width, first.bounding_box())  # its picture shows
        # The artist and the price share one line, and the price does not squeeze the name out of sight.
        artist_name, price = first.locator(".card-meta > span"), first.locator(".card-meta > strong")
        expect(artist_name).to_contain_text("by lena")
        assert artist_name.bounding_box()["width"] > 60, (width, artist_name.bounding_box())
        assert abs(artist_name.bounding_box()["y"] - price.bounding_box()["y"]) < 8, width

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{site}/styles/?tags=portrait&price_max=6")
    expect(page.locator("#style-list .style-card h3")).to_have_text(["Ink Face"])
    page.evaluate("window.catalogMarker = 'same page'")
    page.get_by_role("link", name="Remove filter: up to 6 tokens").click()
    expect(page.locator("#style-list .style-card h3")).to_have_text(["Ink Face", "Harbour Portrait"])
    assert query(page) == {"tags": ["portrait"]}
    expect(page.get_by_role("link", name="Remove filter: up to 6 tokens")).to_have_count(0)
    assert page.evaluate("window.catalogMarker") == "same page"  # swapped by htmx, not reloaded

    # The form follows the chip: changing the sort now does not bring the removed price limit back.
    page.get_by_text("More filters").click()
    expect(page.get_by_label("Price up to (tokens)")).to_have_value("")
    page.get_by_label("Sort by").select_option("price")
    expect(page).to_have_url(re.compile(r"sort=price"))
    expect(page.locator("#style-list .style-card h3")).to_have_text(["Ink Face", "Harbour Portrait"])
    assert query(page) == {"tags": ["portrait"], "sort": ["price"], "view": ["grid"]}


def test_table_view_has_pictures_and_headers_that_sort(site: str, page: Page, django_user_model):
    artist = django_user_model.objects.create_user(username="lena", email="lena@example.com", password="x-long-secret")
    live_style(artist, "Harbour Portrait", ["watercolor", "portrait"], price=9)
    live_style(artist, "Ink Face", ["ink", "portrait"], price=2)
    live_style(artist, "Misty Lake", ["watercolor", "landscape"], price=5)
    names = page.get_by_test_id("style-row").get_by_test_id("style-name")

    page.goto(f"{site}/styles/?tags_any=portrait,landscape&view=table")
    expect(names).to_have_text(["Misty Lake", "Ink Face", "Harbour Portrait"])
    expect(page.locator(".catalog-table .table-cover")).to_have_count(3)
    page.evaluate("window.catalogMarker = 'same page'")

    page.get_by_role("link", name="Tokens / image").click()
    expect(names).to_have_text(["Ink Face", "Misty Lake", "Harbour Portrait"])
    expect(page.get_by_role("columnheader", name="Tokens / image")).to_have_attribute("aria-sort", "ascending")
    expect(page.get_by_label("Sort by")).to_have_value("price")  # the form follows the header

    page.get_by_role("link", name="Tokens / image").click()
    expect(names).to_have_text(["Harbour Portrait", "Misty Lake", "Ink Face"])
    expect(page.get_by_role("columnheader", name="Tokens / image")).to_have_attribute("aria-sort", "descending")
    assert query(page) == {"tags_any": ["portrait,landscape"], "view": ["table"], "sort": ["-price"]}
    assert page.evaluate("window.catalogMarker") == "same page"

    page.get_by_label("Sort by").select_option("newest")  # the form still has the filters and the view
    expect(names).to_have_text(["Misty Lake", "Ink Face", "Harbour Portrait"])
    assert query(page)["view"] == ["table"] and query(page)["tags_any"] == ["portrait,landscape"]
